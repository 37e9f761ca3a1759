package dev.floe.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.components.ConvEncoder;
import dev.floe.components.MlpHead;
import dev.floe.data.Dataset;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.optim.OptimizerSpec;
import dev.floe.data.Examples;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureCacheTest {

    static Dataset images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 144];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int p = 0; p < 144; p++) {
                x[i * 144 + p] = (float) (r.nextDouble() + (((p % 12) < 6) == (y[i] == 0) ? 0.5 : 0));
            }
        }
        return Dataset.of("images-" + seed, new long[] {1, 12, 12}, x, y, 2);
    }

    static ModelGraph graph(long seed) {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 12, 12]"))
                .add(ConvEncoder.builder().name("encoder").input(1, 12, 12).widths(8).build())
                .add(MlpHead.of("head", 8, 16, 2, 0.2f))
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    private static final FreezePolicy FROZEN_ENCODER = FreezePolicy.builder().freeze("encoder").build();

    private static TrainResult train(ModelGraph g, FeatureCache cache) {
        try (Trainer t = Trainer.builder().plan(FROZEN_ENCODER.resolve(g)).optimizer(OptimizerSpec.adamW(1e-2))
                .batchSize(8).epochs(4).seed(3).featureCache(cache).build()) {
            return t.run(images(40, 1), images(24, 2));
        }
    }

    @Test
    void trainingWithTheCacheGivesTheSameLossesAndWeightsAsWithout() {
        Map<String, float[]> without = new HashMap<>();
        TrainResult a;
        try (ModelGraph g = graph(1)) {
            a = train(g, null);
            g.parameters().forEach((k, p) -> without.put(k, p.toFloatArray()));
        }
        try (ModelGraph g = graph(1); FeatureCache cache = FeatureCache.inMemory(1 << 24)) {
            TrainResult b = train(g, cache);
            for (int i = 0; i < a.epochs().size(); i++) {
                assertEquals(a.epochs().get(i).trainLoss(), b.epochs().get(i).trainLoss(), 1e-6, "epoch " + i);
                assertEquals(a.epochs().get(i).evalLoss(), b.epochs().get(i).evalLoss(), 1e-6, "eval epoch " + i);
            }
            g.parameters().forEach((k, p) -> {
                float[] w = p.toFloatArray();
                for (int i = 0; i < w.length; i++) {
                    assertEquals(without.get(k)[i], w[i], 1e-6, k);
                }
            });
            FeatureCache.Stats s = cache.stats();
            assertEquals(2, s.misses(), "train and eval features computed once each");
            assertTrue(s.hits() >= 3, "later evaluations are served from the cache: " + s);
        }
    }

    @Test
    void theKeyChangesWithWeightsDataAndPrefixAndNothingElse() {
        try (ModelGraph g = graph(1); ModelGraph other = graph(2)) {
            FreezePlan plan = FROZEN_ENCODER.resolve(g);
            Prefix p = Prefix.of(plan, List.of("logits"));
            assertEquals(List.of("encoder"), p.components());
            assertEquals(List.of("encoder.features"), p.boundary());
            Examples data = Examples.of(images(8, 1), "image");
            String key = FeatureCache.key(g, p, data);
            assertEquals(key, FeatureCache.key(g, p, Examples.of(images(8, 1), "image")), "same weights and data");
            assertNotEquals(key, FeatureCache.key(g, p, Examples.of(images(8, 9), "image")), "other data");
            assertNotEquals(key, FeatureCache.key(other, Prefix.of(FROZEN_ENCODER.resolve(other), List.of("logits")), data),
                    "other weights");
            // a change in the head (not in the prefix) keeps the key
            var headWeight = g.parameters().get("head/fc1/weight");
            float[] w = headWeight.toFloatArray();
            w[0] += 1;
            headWeight.load(w, headWeight.shape().getShape());
            assertEquals(key, FeatureCache.key(g, p, data));
            var convWeight = g.parameters().get("encoder/stem/conv/weight");
            float[] c = convWeight.toFloatArray();
            c[0] += 1e-3f;
            convWeight.load(c, convWeight.shape().getShape());
            assertNotEquals(key, FeatureCache.key(g, p, data), "one changed prefix weight misses");
        }
    }

    @Test
    void nothingFrozenMeansNoCacheAndPlanSaysWhy() {
        try (ModelGraph g = graph(1)) {
            Prefix p = Prefix.of(FreezePolicy.trainAll().resolve(g), List.of("logits"));
            assertTrue(!p.usable());
            assertTrue(p.whyOff().contains("no frozen component"), p.whyOff());
            Prefix bn = Prefix.of(FreezePolicy.builder().freeze("encoder").trainBn(true).build().resolve(g), List.of("logits"));
            assertTrue(!bn.usable(), "a BatchNorm that trains inside the encoder changes its outputs every step");
        }
    }

    @Test
    void diskEntriesAreReusedAndCorruptedOrHalfWrittenOnesRebuilt(@TempDir Path dir) throws Exception {
        try (ModelGraph g = graph(1)) {
            Prefix p = Prefix.of(FROZEN_ENCODER.resolve(g), List.of("logits"));
            Examples data = Examples.of(images(20, 4), "image");
            float[] expected;
            try (FeatureCache c = FeatureCache.onDisk(dir, 0)) {
                Features f = c.features(g, p, data);
                assertNotNull(f);
                expected = values(f);
                assertEquals(1, c.stats().misses());
            }
            String key = FeatureCache.key(g, p, data);
            try (FeatureCache c = FeatureCache.onDisk(dir, 0)) {
                assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(values(c.features(g, p, data))));
                assertEquals(1, c.stats().hits());
                assertEquals(0, c.stats().rebuilt());
            }
            // corrupt one byte of the values
            Path file;
            try (Stream<Path> s = Files.list(dir.resolve(key))) {
                file = s.filter(f -> f.toString().endsWith(".f32")).findFirst().orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(file);
            bytes[5] ^= 0x40;
            Files.write(file, bytes);
            try (FeatureCache c = FeatureCache.onDisk(dir, 0)) {
                assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(values(c.features(g, p, data))));
                assertEquals(1, c.stats().rebuilt(), "checksum mismatch detected and rebuilt");
                assertEquals(1, c.stats().misses());
            }
            // half-written: a killed writer left only a temp folder and a folder without meta.json
            Files.delete(dir.resolve(key).resolve("meta.json"));
            Files.createDirectories(dir.resolve(key + ".tmp"));
            try (FeatureCache c = FeatureCache.onDisk(dir, 0)) {
                c.features(g, p, data);
                assertEquals(1, c.stats().rebuilt());
                assertTrue(!Files.exists(dir.resolve(key + ".tmp")));
            }
            // another version
            Path meta = dir.resolve(key).resolve("meta.json");
            Files.writeString(meta, Files.readString(meta).replace(FeatureCache.FORMAT, "floe-feature-cache/0"));
            try (FeatureCache c = FeatureCache.onDisk(dir, 0)) {
                c.features(g, p, data);
                assertEquals(1, c.stats().rebuilt(), "an entry of another version is never used");
            }
        }
    }

    @Test
    void overTheBudgetWithoutADirectoryMeansNoCache() {
        try (ModelGraph g = graph(1); FeatureCache c = FeatureCache.inMemory(16)) {
            Prefix p = Prefix.of(FROZEN_ENCODER.resolve(g), List.of("logits"));
            assertNull(c.features(g, p, Examples.of(images(20, 4), "image")));
        }
    }

    private static float[] values(Features f) {
        var buf = f.values().values().iterator().next().duplicate();
        buf.rewind();
        float[] out = new float[buf.remaining()];
        buf.get(out);
        return out;
    }
}
