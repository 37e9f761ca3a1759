package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.components.TransformerEncoder;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.Role;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GradientCheckpointingTest {

    private static final int BATCH = 6;
    private static final int SEQ = 7;
    private static final int VOCAB = 40;
    private static final int CLASSES = 3;
    private static final double TOLERANCE = 1e-6;

    /** Token ids with right padding (every row keeps at least two tokens), labels in [0, 3). */
    static final class Tokens implements Examples {
        final long[][] ids;
        final int[] labels;

        Tokens(int n, long seed) {
            Random r = new Random(seed);
            ids = new long[n][SEQ];
            labels = new int[n];
            for (int i = 0; i < n; i++) {
                int real = 2 + r.nextInt(SEQ - 1);
                for (int t = 0; t < real; t++) {
                    ids[i][t] = 1 + r.nextInt(VOCAB - 1);
                }
                labels[i] = r.nextInt(CLASSES);
            }
        }

        @Override public String name() { return "tokens"; }
        @Override public int size() { return ids.length; }
        @Override public int numClasses() { return CLASSES; }
        @Override public int label(int i) { return labels[i]; }
        @Override public String fingerprint() { return "tokens"; }

        @Override
        public Map<String, NDArray> inputs(NDManager manager, int[] indices) {
            long[][] x = new long[indices.length][];
            long[][] m = new long[indices.length][SEQ];
            for (int i = 0; i < indices.length; i++) {
                x[i] = ids[indices[i]];
                for (int t = 0; t < SEQ; t++) {
                    m[i][t] = x[i][t] != 0 ? 1 : 0;
                }
            }
            return Map.of("input_ids", FloeEngine.owned(manager.create(x)),
                    "attention_mask", FloeEngine.owned(manager.create(m)));
        }
    }

    static ModelGraph transformer() {
        return transformer(false);
    }

    /** @param maskAsTypes wire the attention mask to token_type_ids too (one array under two input names) */
    static ModelGraph transformer(boolean maskAsTypes) {
        ModelGraph.Builder b = ModelGraph.builder();
        if (maskAsTypes) {
            b.wire("attention_mask", "encoder.token_type_ids");
        }
        return b
                .input("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .input("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .add(TransformerEncoder.builder().name("encoder").vocab(VOCAB).hidden(16).layers(3).heads(2)
                        .intermediate(32).maxPositions(16).dropout(0.2f).build())
                .add(LinearHead.of("head", 16, CLASSES, 0.2f))
                .wire("input_ids", "encoder.input_ids")
                .wire("attention_mask", "encoder.attention_mask")
                .wire("encoder.pooled", "head.in")
                .output("logits", "head.logits")
                .seed(5)
                .build();
    }

    /** A conv encoder (BatchNorm, residual blocks) under an MLP with dropout. */
    static ModelGraph convMlp() {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 12, 12]"))
                .add(ConvEncoder.builder().name("encoder").input(1, 12, 12).widths(4, 8, 8).build())
                .add(Mlp.builder().name("head").role(Role.HEAD).inputs(8).hidden(16, 16).outputs(CLASSES).dropout(0.3f).build())
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.out")
                .seed(9)
                .build();
    }

    static Examples images(int n) {
        Random r = new Random(3);
        float[] x = new float[n * 144];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 144; j++) {
                x[i * 144 + j] = (float) r.nextGaussian();
            }
            y[i] = r.nextInt(CLASSES);
        }
        return Examples.of(Dataset.of("noise", new long[] {1, 12, 12}, x, y, CLASSES), "image");
    }

    /** One training forward and backward on the first BATCH examples; returns every trainable parameter's gradient. */
    static Map<String, float[]> gradients(ModelGraph g, Examples data, FreezePlan plan, GradientCheckpointing ckpt) {
        plan.apply();
        int[] idx = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            idx[i] = i;
        }
        FloeEngine.seed(77); // the same dropout draws in both passes
        try (NDManager batch = g.manager().newSubManager()) {
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                CheckpointedPass pass = ckpt.enabled() ? new CheckpointedPass(plan.trainingContext(), ckpt, batch) : null;
                ForwardContext context = pass != null ? pass : plan.trainingContext();
                NDArray logits = g.forward(data.inputs(batch, idx), context).get("logits");
                NDArray loss = Trainer.crossEntropy(logits, data.labels(batch, idx));
                if (pass != null) {
                    pass.backward(loss);
                } else {
                    gc.backward(loss);
                }
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Param p : plan.trainable()) {
            try (PtNDArray grad = JniUtils.getGradient((PtNDArray) p.array())) {
                out.put(p.path(), grad == null ? null : grad.toFloatArray());
            }
            JniUtils.zeroGrad((PtNDArray) p.array());
        }
        return out;
    }

    static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String path : expected.keySet()) {
            float[] e = expected.get(path);
            float[] a = actual.get(path);
            assertTrue(e != null && a != null, path + " got a gradient in both passes");
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], TOLERANCE, "gradient of " + path + "[" + i + "]");
            }
        }
    }

    static boolean anyNonZero(Map<String, float[]> grads, String prefix) {
        return grads.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .anyMatch(e -> { for (float v : e.getValue()) { if (v != 0f) { return true; } } return false; });
    }

    @Test
    void transformerGradientsWithDropoutAreTheSameWithEveryLayerCheckpointed() {
        Tokens data = new Tokens(BATCH, 1);
        for (List<String> globs : List.of(List.of("encoder/layer.*"), List.of("encoder/*"), List.of("encoder"),
                List.of("encoder/layer.1", "head"))) {
            try (ModelGraph plain = transformer(); ModelGraph ckpt = transformer()) {
                Map<String, float[]> expected = gradients(plain, data, FreezePolicy.trainAll().resolve(plain), GradientCheckpointing.none());
                GradientCheckpointing c = GradientCheckpointing.of(ckpt, globs);
                Map<String, float[]> actual = gradients(ckpt, data, FreezePolicy.trainAll().resolve(ckpt), c);
                assertClose(expected, actual);
                assertTrue(anyNonZero(actual, "encoder/embeddings/word_embeddings"), "gradients reach the embeddings");
                assertEquals(c.segments(), c.recomputations().keySet(), globs + ": every segment recomputed once");
                c.recomputations().values().forEach(n -> assertEquals(1L, n));
            }
        }
    }

    @Test
    void loraTrainingWithAccumulationGivesTheSameWeightsWithCheckpointing() {
        Tokens data = new Tokens(24, 6);
        Map<String, float[]> first = null;
        for (List<String> globs : List.of(List.<String>of(), List.of("encoder/layer.*"))) {
            try (ModelGraph g = transformer()) {
                dev.floe.peft.Lora.inject(g, dev.floe.peft.LoraSpec.of("qv", 4, "encoder/**/attention/self/{query,value}"));
                FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").build().resolve(g);
                try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).batchSize(4)
                        .gradientAccumulation(2).seed(3).checkpointing(globs).build()) {
                    t.run(data, null);
                    Map<String, float[]> w = dev.floe.io.ModelWeights.snapshot(g);
                    if (first == null) {
                        first = w;
                    } else {
                        for (Map.Entry<String, float[]> e : first.entrySet()) {
                            assertArrayEquals(e.getValue(), w.get(e.getKey()), (float) TOLERANCE, e.getKey());
                        }
                        // every layer holds trainable LoRA parameters, so every layer is recomputed, last first
                        assertEquals(List.of("encoder/layer.2", "encoder/layer.1", "encoder/layer.0"),
                                List.copyOf(t.checkpointing().recomputations().keySet()));
                    }
                }
            }
        }
    }

    @Test
    void aSegmentGivenOneArrayUnderTwoNamesKeepsItAndGetsTheSameGradients() {
        Tokens data = new Tokens(BATCH, 4);
        int before = FloeEngine.liveArraysEverywhere();
        try (ModelGraph plain = transformer(true); ModelGraph ckpt = transformer(true)) {
            Map<String, float[]> expected = gradients(plain, data, FreezePolicy.trainAll().resolve(plain), GradientCheckpointing.none());
            GradientCheckpointing c = GradientCheckpointing.of(ckpt, List.of("encoder"));
            assertClose(expected, gradients(ckpt, data, FreezePolicy.trainAll().resolve(ckpt), c));
            assertTrue(anyNonZero(expected, "encoder/embeddings/token_type_embeddings"), "token types are used");
        }
        assertEquals(before, FloeEngine.liveArraysEverywhere(), "no native array outlives the passes");
    }

    @Test
    void convAndMlpGradientsWithBatchNormAndDropoutAreTheSame() {
        Examples data = images(BATCH);
        try (ModelGraph plain = convMlp(); ModelGraph ckpt = convMlp()) {
            Map<String, float[]> expected = gradients(plain, data, FreezePolicy.trainAll().resolve(plain), GradientCheckpointing.none());
            GradientCheckpointing c = GradientCheckpointing.of(ckpt, List.of("encoder/*", "head/fc*"));
            Map<String, float[]> actual = gradients(ckpt, data, FreezePolicy.trainAll().resolve(ckpt), c);
            assertClose(expected, actual);
            // recomputed in reverse order, as the backward pass reaches them
            assertEquals(List.of("head/fc2", "head/fc1", "encoder/block2", "encoder/block1", "encoder/stem"),
                    List.copyOf(c.recomputations().keySet()));
            // running statistics are updated once per pass, not again by the recomputation
            for (String stat : List.of("encoder/stem/bn/running_mean", "encoder/block2/bn2/running_var")) {
                assertArrayEquals(plain.parameters().get(stat).array().toFloatArray(),
                        ckpt.parameters().get(stat).array().toFloatArray(), stat);
            }
        }
    }

    @Test
    void frozenSegmentsWithNothingTrainableBeforeThemAreNeverRecomputed() {
        Tokens data = new Tokens(24, 2);
        FreezePolicy policy = FreezePolicy.builder().freeze("encoder/embeddings").freeze("encoder/layer.0").build();
        try (ModelGraph g = transformer();
                Trainer t = Trainer.builder().plan(policy.resolve(g)).optimizer(OptimizerSpec.adamW(1e-3))
                        .batchSize(BATCH).seed(4).checkpointing(List.of("encoder/*")).build()) {
            t.run(data, null);
            assertEquals(4, t.steps());
            Map<String, Long> counts = t.checkpointing().recomputations();
            assertEquals(Map.of("encoder/layer.1", 4L, "encoder/layer.2", 4L), counts);
        }
        // a frozen layer after a trainable one is recomputed: the gradient must pass through it
        FreezePolicy middle = FreezePolicy.builder().freeze("encoder/layer.1").build();
        try (ModelGraph g = transformer();
                Trainer t = Trainer.builder().plan(middle.resolve(g)).optimizer(OptimizerSpec.adamW(1e-3))
                        .batchSize(BATCH).seed(4).checkpointing(List.of("encoder/layer.*")).build()) {
            t.run(data, null);
            assertEquals(4L, t.checkpointing().recomputations().get("encoder/layer.1"));
        }
    }

    @Test
    void trainingGivesTheSameWeightsAndKeepsLessForTheBackwardPass() {
        Tokens data = new Tokens(24, 3);
        Map<String, float[]> weights = new LinkedHashMap<>();
        long[] kept = new long[2];
        for (int run = 0; run < 2; run++) {
            List<String> globs = run == 0 ? List.of() : List.of("encoder/layer.*");
            int before = FloeEngine.liveArraysEverywhere();
            try (ModelGraph g = transformer();
                    Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g)).optimizer(OptimizerSpec.adamW(1e-2))
                            .batchSize(BATCH).seed(8).checkpointing(globs).build()) {
                t.run(data, null);
                kept[run] = t.peakForwardBytes();
                for (Param p : g.parameters().values()) {
                    float[] w = p.array().toFloatArray();
                    if (run == 0) {
                        weights.put(p.path(), w);
                    } else {
                        float[] e = weights.get(p.path());
                        for (int i = 0; i < e.length; i++) {
                            assertEquals(e[i], w[i], TOLERANCE, p.path() + "[" + i + "] after 4 steps");
                        }
                    }
                }
            }
            assertEquals(before, FloeEngine.liveArraysEverywhere(), "no native array outlives the run");
        }
        assertTrue(kept[1] < kept[0], "checkpointing keeps less: " + kept[1] + " vs " + kept[0] + " bytes");
    }

    @Test
    void theEstimateShowsWhatEachCheckpointedLayerSavesAndChangesNothing() {
        try (ModelGraph g = convMlp()) {
            float[] mean = g.parameters().get("encoder/stem/bn/running_mean").array().toFloatArray();
            ForwardContext training = FreezePolicy.trainAll().resolve(g).trainingContext();
            ActivationEstimate none = ActivationEstimate.measure(g, training, GradientCheckpointing.none(), Map.of("batch", 8L));
            ActivationEstimate some = ActivationEstimate.measure(g, training,
                    GradientCheckpointing.of(g, List.of("encoder/block*")), Map.of("batch", 8L));
            assertEquals(none.totalBytes(), none.totalKeptBytes());
            assertEquals(none.totalBytes(), some.totalBytes());
            assertTrue(some.totalKeptBytes() < some.totalBytes());
            ActivationEstimate.Row block = some.rows().stream().filter(r -> r.path().equals("encoder/block1")).findFirst().orElseThrow();
            assertTrue(block.checkpointed() && block.keptBytes() == 8L * 8 * 6 * 6 * Float.BYTES, block.toString()); // its output
            ActivationEstimate.Row encoder = some.rows().get(0);
            long saved = some.rows().stream().filter(ActivationEstimate.Row::checkpointed).mapToLong(r -> r.bytes() - r.keptBytes()).sum();
            assertEquals(encoder.bytes() - saved, encoder.keptBytes());
            assertArrayEquals(mean, g.parameters().get("encoder/stem/bn/running_mean").array().toFloatArray(),
                    "measuring does not update BatchNorm statistics");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ActivationEstimate.measure(g, training, GradientCheckpointing.none(), Map.of()));
            assertTrue(e.getMessage().contains("dimension batch has no size"), e.getMessage());
        }
    }

    @Test
    void aGlobMatchingNoSegmentNamesTheNearestSegments() {
        try (ModelGraph g = transformer()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GradientCheckpointing.of(g, List.of("encoder/layers.*")));
            assertTrue(e.getMessage().contains("'encoder/layers.*' matches no segment"), e.getMessage());
            assertTrue(e.getMessage().contains("encoder/layer.0"), e.getMessage());
            assertFalse(GradientCheckpointing.of(g, List.of()).enabled());
            assertEquals(List.of("encoder", "encoder/embeddings", "encoder/layer.0", "encoder/layer.1", "encoder/layer.2", "head"),
                    GradientCheckpointing.segmentPaths(g));
        }
    }
}
