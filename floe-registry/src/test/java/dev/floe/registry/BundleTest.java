package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Moving versions between registries with export and import-bundle. */
class BundleTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} to {1}")
    @CsvSource({"sqlite, postgres", "postgres, sqlite"})
    void exportThenImportKeepsVersionsAndLedgersEqual(String from, String to) throws Exception {
        TestRuns.TestRun g1 = TestRuns.write(tmp.resolve("g1"), "run-g1", null, 1f, "encoder/**", 0.70);
        TestRuns.TestRun g2 = TestRuns.write(tmp.resolve("g2"), "run-g2", g1.weights(), 0.5f, "encoder/stem/**", 0.75);
        Path bundle = tmp.resolve("bundle");
        List<ComponentVersion> exported;
        try (Registry source = Registry.open(TestStores.fresh(from, tmp))) {
            source.publish(g1.dir(), "encoder", "enc", null, null);
            source.publish(g2.dir(), "encoder", "enc", "prod", null);
            exported = source.exportBundle("enc@prod", bundle);
        }
        assertEquals(List.of("enc@1", "enc@2"), exported.stream().map(v -> v.ref().toString()).toList(),
                "the version comes with its ancestors, oldest first");
        try (Registry target = Registry.open(TestStores.fresh(to, tmp))) {
            List<Registry.Imported> imported = target.importBundle(bundle);
            assertTrue(imported.stream().allMatch(Registry.Imported::added));
            for (ComponentVersion v : exported) {
                ComponentVersion there = target.resolve(v.ref().toString());
                assertEquals(Json.write(v), Json.write(there), "version and ledger unchanged: " + v.ref());
                assertTrue(target.importedFrom(there).startsWith("bundle "), target.importedFrom(there));
            }
            assertEquals(List.of("enc@2", "enc@1"),
                    target.lineage("enc@2").stream().map(v -> v.ref().toString()).toList());
            assertTrue(target.verify().ok());
            try (LoadedComponent c = target.load("enc@2")) {
                assertEquals(g2.encoderAfter(), c.version().weightsHash());
            }
            assertTrue(target.importBundle(bundle).stream().noneMatch(Registry.Imported::added),
                    "importing the same bundle again changes nothing");
            assertEquals(2, target.versions("enc").size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"../outside.safetensors", "/etc/passwd", "blobs/../../outside.safetensors"})
    void aBundleWhoseFileNamesLeaveItsFolderIsRefused(String escape) throws Exception {
        Path bundle = exportOne();
        Files.writeString(tmp.resolve("outside.safetensors"), "not a blob");
        rewriteFile(bundle, escape);
        try (Registry target = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.importBundle(bundle));
            assertTrue(e.getMessage().contains("names file '" + escape + "' for enc@1, which is outside the bundle folder"),
                    e.getMessage());
            assertTrue(target.list().isEmpty(), "nothing was imported");
        }
    }

    @Test
    void aSymbolicLinkOutOfTheBundleIsRefused() throws Exception {
        Path bundle = exportOne();
        Path outside = Files.writeString(tmp.resolve("secret.safetensors"), "secret");
        Files.createSymbolicLink(bundle.resolve("blobs/link.safetensors"), outside);
        rewriteFile(bundle, "blobs/link.safetensors");
        try (Registry target = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.importBundle(bundle));
            assertTrue(e.getMessage().contains("outside the bundle folder"), e.getMessage());
        }
    }

    @Test
    void aBundleBlobThatDoesNotMatchItsHashIsRefused() throws Exception {
        Path bundle = exportOne();
        try (var files = Files.list(bundle.resolve("blobs"))) {
            CorruptionTest.flipLastByte(files.findFirst().orElseThrow());
        }
        try (Registry target = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.importBundle(bundle));
            assertTrue(e.getMessage().contains("the bundle was damaged in transit"), e.getMessage());
            assertTrue(target.list().isEmpty());
        }
    }

    @Test
    void aConflictingVersionStopsTheWholeImport() throws Exception {
        Path bundle = exportOne();
        TestRuns.TestRun other = TestRuns.write(tmp.resolve("other"), "run-other", null, 5f, "encoder/**", 0.1);
        try (Registry target = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            target.publish(other.dir(), "encoder", "enc", null, null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.importBundle(bundle));
            assertTrue(e.getMessage().contains("already has enc@1 with different weights or ledger; nothing was imported"),
                    e.getMessage());
            assertEquals("run-other", target.resolve("enc@1").ledger().origin().runId());
        }
    }

    @Test
    void exportRefusesAFolderThatHoldsFiles() throws Exception {
        Path bundle = exportOne();
        try (Registry source = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            TestRuns.TestRun r = TestRuns.write(tmp.resolve("r"), "run-r", null, 1f, "encoder/**", 0.5);
            source.publish(r.dir(), "encoder", "enc", null, null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> source.exportBundle("enc@1", bundle));
            assertTrue(e.getMessage().contains("it exists and is not an empty folder"), e.getMessage());
        }
    }

    private Path exportOne() throws Exception {
        TestRuns.TestRun g1 = TestRuns.write(tmp.resolve("g1"), "run-g1", null, 1f, "encoder/**", 0.70);
        Path bundle = tmp.resolve("bundle");
        try (Registry source = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            source.publish(g1.dir(), "encoder", "enc", null, null);
            source.exportBundle("enc@1", bundle);
        }
        assertFalse(Files.exists(tmp.resolve(".bundle.exporting")), "no staging folder is left");
        return bundle;
    }

    private static void rewriteFile(Path bundle, String file) throws Exception {
        Path index = bundle.resolve(Registry.BUNDLE_FILE);
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(index.toFile());
        ((ObjectNode) ((ArrayNode) root.get("versions")).get(0)).put("file", file);
        Files.writeString(index, Json.MAPPER.writeValueAsString(root));
    }
}
