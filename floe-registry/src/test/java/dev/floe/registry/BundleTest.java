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
        List<TagEvent> candidateHistory;
        try (Registry source = Registry.open(TestStores.fresh(from, tmp))) {
            source.publish(g1.dir(), "encoder", "enc", null, null);
            source.publish(g2.dir(), "encoder", "enc", "prod", null);
            source.tag("enc@1", "candidate");
            source.tag("enc@2", "candidate");
            source.rollback("enc", "candidate");
            candidateHistory = source.tagHistory("enc", "candidate");
            Registry.Exported done = source.exportBundle("enc@prod", bundle);
            exported = done.versions();
            assertEquals(List.of("enc@candidate → 1", "enc@prod → 2"),
                    done.tags().stream().map(Registry.BundleTag::toString).toList());
        }
        assertEquals(List.of("enc@1", "enc@2"), exported.stream().map(v -> v.ref().toString()).toList(),
                "the version comes with its ancestors, oldest first");
        try (Registry target = Registry.open(TestStores.fresh(to, tmp))) {
            Registry.BundleImport done = target.importBundle(bundle);
            List<Registry.Imported> imported = done.versions();
            assertTrue(imported.stream().allMatch(Registry.Imported::added));
            assertTrue(done.tags().stream().allMatch(Registry.ImportedTag::added));
            assertEquals(java.util.Map.of("candidate", 1, "prod", 2), target.tags("enc"));
            assertEquals(candidateHistory, target.tagHistory("enc", "candidate"),
                    "the tag's history comes along: who moved it, when, set and rollback");
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
            Registry.BundleImport again = target.importBundle(bundle);
            assertTrue(again.versions().stream().noneMatch(Registry.Imported::added)
                    && again.tags().stream().noneMatch(Registry.ImportedTag::added),
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
    void aTagPointingElsewhereHereStopsTheImportUnlessTagsAreLeftOut() throws Exception {
        TestRuns.TestRun g1 = TestRuns.write(tmp.resolve("g1"), "run-g1", null, 1f, "encoder/**", 0.70);
        TestRuns.TestRun g2 = TestRuns.write(tmp.resolve("g2"), "run-g2", g1.weights(), 0.5f, "encoder/**", 0.75);
        Path bundle = tmp.resolve("bundle");
        try (Registry source = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            source.publish(g1.dir(), "encoder", "enc", null, null);
            source.publish(g2.dir(), "encoder", "enc", "prod", null);
            source.exportBundle("enc@2", bundle);
        }
        try (Registry target = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            assertTrue(target.importBundle(bundle, false).tags().isEmpty());
            target.tag("enc@1", "prod");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.importBundle(bundle));
            assertEquals("cannot import " + bundle + ": tag enc@prod points to enc@1 here but to enc@2 in the bundle;"
                    + " nothing was imported — move the tag here first (floe registry tag enc@2 prod), or import the"
                    + " versions without their tags (--no-tags)", e.getMessage());
            assertEquals(1, target.resolve("enc@prod").version());
            assertEquals(1, target.tagHistory("enc", "prod").size());
        }
    }

    @Test
    void aNewTagsHistoryKeepsOnlyTheMovesToVersionsThisRegistryHolds() throws Exception {
        TestRuns.TestRun g1 = TestRuns.write(tmp.resolve("g1"), "run-g1", null, 1f, "encoder/**", 0.70);
        TestRuns.TestRun other = TestRuns.write(tmp.resolve("other"), "run-other", null, 3f, "encoder/**", 0.60);
        Path bundle = tmp.resolve("bundle");
        try (Registry source = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            source.publish(g1.dir(), "encoder", "enc", null, null);
            source.publish(other.dir(), "encoder", "enc", "staging", null); // enc@2, not an ancestor of enc@1
            source.tag("enc@1", "staging");
            assertEquals(2, source.exportBundle("enc@1", bundle).tags().get(0).history().size());
        }
        try (Registry target = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            target.importBundle(bundle);
            List<TagEvent> history = target.tagHistory("enc", "staging");
            assertEquals(List.of(1), history.stream().map(TagEvent::version).toList(), "the move to enc@2 is left out");
            assertEquals(1, history.get(0).seq());
            assertEquals(2, history.get(0).previous(), "the kept move still says where the tag came from");
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
