package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.io.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Deleting blobs no version references: only old ones, never a referenced one, never one a publish just reused. */
class GarbageCollectionTest {

    @TempDir
    Path tmp;

    private static Map<String, TensorData> tensors(float value) {
        return Map.of("x/w", TensorData.ofFloats(new long[] {2}, new float[] {value, value}));
    }

    private static void age(Path file, Duration by) throws Exception {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(by)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void onlyOldUnreferencedBlobsAndLeftoversAreDeleted(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        TestRuns.TestRun run = TestRuns.write(tmp.resolve("run"), "run-1", null, 1f, "encoder/**", 0.7);
        try (Registry registry = Registry.open(where)) {
            ComponentVersion v = registry.publish(run.dir(), "encoder", "enc", null, null);
            Blobs blobs = new Blobs(where.blobs());
            Path used = blobs.path(v.blobSha256());
            age(used, Duration.ofDays(2));
            String old = blobs.put(tensors(1f));
            age(blobs.path(old), Duration.ofHours(2));
            String recent = blobs.put(tensors(2f));
            String reused = blobs.put(tensors(3f));
            age(blobs.path(reused), Duration.ofHours(2));
            Path oldTemp = Files.writeString(where.blobs().resolve(Blobs.TEMP_PREFIX + "dead" + Blobs.SUFFIX), "half");
            age(oldTemp, Duration.ofHours(2));
            Path liveTemp = Files.writeString(where.blobs().resolve(Blobs.TEMP_PREFIX + "live" + Blobs.SUFFIX), "half");
            // a publish storing the same weights again (before recording its version) makes the blob young
            assertEquals(reused, blobs.put(tensors(3f)));

            Registry.Collected dry = registry.collectGarbage(Duration.ofHours(1), true);
            assertEquals(List.of(old), dry.blobs());
            assertEquals(List.of(oldTemp), dry.leftovers());
            assertEquals(List.of(recent, reused).stream().sorted().toList(), dry.young().stream().sorted().toList());
            assertTrue(Files.exists(blobs.path(old)) && Files.exists(oldTemp), "a dry run deletes nothing");

            Registry.Collected done = registry.collectGarbage(Duration.ofHours(1), false);
            assertEquals(List.of(old), done.blobs());
            assertEquals(Files.size(blobs.path(recent)), done.bytes(), "both small blobs have the same size");
            assertFalse(Files.exists(blobs.path(old)));
            assertFalse(Files.exists(oldTemp));
            assertTrue(Files.exists(used), "a referenced blob stays however old it is");
            assertTrue(Files.exists(blobs.path(recent)) && Files.exists(blobs.path(reused)) && Files.exists(liveTemp));
            assertTrue(registry.verify().ok());
            try (LoadedComponent c = registry.load("enc@1")) {
                assertEquals(v.weightsHash(), c.version().weightsHash());
            }
            assertEquals(List.of(), registry.collectGarbage(Duration.ofHours(1), false).blobs());
            assertEquals(2, registry.collectGarbage(Duration.ZERO, false).blobs().size(), "age 0: every unreferenced blob");
            assertThrows(IllegalArgumentException.class, () -> registry.collectGarbage(Duration.ofMinutes(-1), true));
        }
    }
}
