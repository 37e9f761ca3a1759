package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A damaged blob is found on load and by verify, named with its versions and the fix. */
class CorruptionTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void aCorruptedBlobIsDetectedOnLoadAndByVerifyAndRepublishingRepairsIt(String kind) throws Exception {
        TestRuns.TestRun run = TestRuns.write(tmp.resolve("run"), "run-1", null, 1f, "encoder/**", 0.7);
        try (Registry registry = Registry.open(TestStores.fresh(kind, tmp))) {
            ComponentVersion v = registry.publish(run.dir(), "encoder", "enc", null, null);
            registry.publish(run.dir(), "head", "head", null, null);
            assertTrue(registry.verify().ok());
            Path blob = registry.blobPath(v);
            flipLastByte(blob);

            RegistryException load = assertThrows(RegistryException.class, () -> registry.load("enc@1"));
            assertTrue(load.getMessage().startsWith("enc@1 cannot be loaded: its weight blob " + blob + " is corrupted"),
                    load.getMessage());
            assertTrue(load.getMessage().contains("floe registry verify"), load.getMessage());
            assertTrue(load.getMessage().contains("re-publish"), load.getMessage());

            VerifyReport report = registry.verify();
            assertEquals(2, report.versions());
            assertEquals(1, report.problems().size());
            assertEquals("corrupted", report.problems().get(0).state());
            assertEquals(List.of(VersionRef.parse("enc@1")), report.problems().get(0).versions());

            Files.delete(blob);
            VerifyReport missing = registry.verify();
            assertEquals("missing", missing.problems().get(0).state());
            RegistryException gone = assertThrows(RegistryException.class, () -> registry.load("enc"));
            assertTrue(gone.getMessage().contains("is missing"), gone.getMessage());

            ComponentVersion again = registry.publish(run.dir(), "encoder", "enc", null, null);
            assertEquals(v.blobSha256(), again.blobSha256(), "same weights, same blob");
            assertTrue(registry.verify().ok(), "re-publishing wrote the blob back");
            registry.load("enc@1").close();
        }
    }

    static void flipLastByte(Path file) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long at = ch.size() - 1;
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x01));
            b.rewind();
            ch.write(b, at);
        }
    }
}
