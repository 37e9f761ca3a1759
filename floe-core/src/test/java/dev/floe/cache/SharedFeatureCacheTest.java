package dev.floe.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.data.Examples;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A feature cache folder used by several caches at once, as the runs of a sweep use it. */
class SharedFeatureCacheTest {

    private static float[] values(Features f) {
        FloatBuffer b = f.values().values().iterator().next().duplicate().rewind();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void twoCachesAskingForTheSameEntryAtOnceComputeItOnceAndReadTheSameValues(@TempDir Path dir) throws Exception {
        Examples data = Examples.of(FeatureCacheTest.images(30, 4), "image");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (ModelGraph g1 = FeatureCacheTest.graph(1); ModelGraph g2 = FeatureCacheTest.graph(1);
                FeatureCache a = FeatureCache.shared(dir); FeatureCache b = FeatureCache.shared(dir)) {
            Prefix p1 = Prefix.of(FreezePolicy.builder().freeze("encoder").build().resolve(g1), List.of("logits"));
            Prefix p2 = Prefix.of(FreezePolicy.builder().freeze("encoder").build().resolve(g2), List.of("logits"));
            Callable<float[]> first = () -> values(a.features(g1, p1, data));
            Callable<float[]> second = () -> values(b.features(g2, p2, data));
            Future<float[]> fa = pool.submit(first);
            Future<float[]> fb = pool.submit(second);
            assertArrayEquals(fa.get(), fb.get());
            assertEquals(1, a.stats().misses() + b.stats().misses(), "computed once");
            assertEquals(1, a.stats().hits() + b.stats().hits(), "the other one read it");
            assertEquals(0, a.stats().rebuilt() + b.stats().rebuilt());
            try (Stream<Path> s = Files.list(dir)) {
                assertFalse(s.anyMatch(f -> f.getFileName().toString().contains(".tmp")), "no temporary folder left");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTemporaryFolderOfADeadWriterIsRemovedAndOneOfALiveWriterKept(@TempDir Path dir) throws Exception {
        Examples data = Examples.of(FeatureCacheTest.images(10, 4), "image");
        try (ModelGraph g = FeatureCacheTest.graph(1); FeatureCache c = FeatureCache.shared(dir)) {
            Prefix p = Prefix.of(FreezePolicy.builder().freeze("encoder").build().resolve(g), List.of("logits"));
            String key = FeatureCache.key(g, p, data);
            Process dead = new ProcessBuilder("true").start();
            dead.waitFor();
            Path deadTmp = Files.createDirectories(dir.resolve(key + ".tmp-" + dead.pid() + "-1"));
            Path liveTmp = Files.createDirectories(dir.resolve(key + ".tmp-" + ProcessHandle.current().pid() + "-999"));
            Features f = c.features(g, p, data);
            assertEquals(10, f.rows());
            assertFalse(Files.exists(deadTmp), "left by a writer that is gone");
            assertTrue(Files.exists(liveTmp), "a running writer's folder stays");
        }
    }
}
