package dev.floe.components;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.LayerNorm;
import dev.floe.nn.Linear;
import dev.floe.nn.Param;
import dev.floe.nn.ParamScope;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransformerEncoderTest {

    private static final long H = 8;

    private static TransformerEncoder tiny(float dropout) {
        return TransformerEncoder.builder().name("enc").vocab(20).hidden(H).layers(2).heads(2)
                .intermediate(16).maxPositions(8).typeVocab(2).dropout(dropout).build();
    }

    private static ModelGraph graphOf(TransformerEncoder enc, boolean withTypes) {
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        ModelGraph.Builder b = ModelGraph.builder().seed(7).input("ids", ids).input("mask", ids).add(enc)
                .wire("ids", "enc.input_ids").wire("mask", "enc.attention_mask")
                .output("hidden", "enc.hidden").output("pooled", "enc.pooled");
        if (withTypes) {
            b.input("types", ids).wire("types", "enc.token_type_ids");
        }
        return b.build();
    }

    private static Map<String, NDArray> batch(NDManager m, long[][] ids, long[][] mask) {
        int b = ids.length;
        int t = ids[0].length;
        long[] flatIds = new long[b * t];
        long[] flatMask = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ids[i], 0, flatIds, i * t, t);
            System.arraycopy(mask[i], 0, flatMask, i * t, t);
        }
        return new LinkedHashMap<>(Map.of(
                "ids", m.create(flatIds, new Shape(b, t)), "mask", m.create(flatMask, new Shape(b, t))));
    }

    @Test
    void pretrainedEncoderStartsAtZerosAndDrawsNoRandomValues() {
        TransformerEncoder pretrained = TransformerEncoder.builder().name("enc").vocab(20).hidden(H).layers(2).heads(2)
                .intermediate(16).maxPositions(8).pretrained(true).build();
        assertTrue(pretrained.pretrained());
        try (ModelGraph g = graphOf(pretrained, false); ModelGraph random = graphOf(tiny(0.1f), false)) {
            Map<String, Param> params = g.parameters();
            assertEquals(random.parameters().keySet(), params.keySet(), "same parameters, only their start values differ");
            for (Param p : params.values()) {
                for (float v : p.toFloatArray()) {
                    assertEquals(0f, v, p.path() + " starts at zero");
                }
            }
            float[] randomWeight = random.parameters().get("enc/layer.0/attention/self/query/weight").toFloatArray();
            assertTrue(java.util.stream.IntStream.range(0, randomWeight.length).anyMatch(i -> randomWeight[i] != 0f),
                    "without pretrained(true) the weights are drawn at random");
        }
    }

    @Test
    void inferenceKeepsNoLayerIntermediatesAliveAndGivesTheSameOutputs() {
        long[][] ids = {{1, 2, 3, 4}, {5, 6, 7, 0}};
        long[][] mask = {{1, 1, 1, 1}, {1, 1, 1, 0}};
        try (ModelGraph shallow = graphOf(deep(1), false); ModelGraph deep = graphOf(deep(6), false);
                NDManager m = FloeEngine.newManager()) {
            int[] alive = new int[2];
            int i = 0;
            for (ModelGraph g : List.of(shallow, deep)) {
                try (NDManager pass = m.newSubManager()) {
                    g.forward(batch(pass, ids, mask), ForwardContext.INFERENCE, List.of("pooled"));
                    alive[i++] = FloeEngine.liveArrays(pass);
                }
            }
            // each further layer leaves only its output behind, not its ~30 intermediates
            assertTrue(alive[1] - alive[0] <= 5, "live arrays after the pass: 1 layer " + alive[0] + ", 6 layers " + alive[1]);
        }
        // the scoped inference pass computes what a training-mode pass without dropout computes
        try (ModelGraph g = graphOf(tiny(0f), false); NDManager m = FloeEngine.newManager()) {
            float[] inference = g.forward(batch(m, ids, mask), ForwardContext.INFERENCE, List.of("hidden")).get("hidden")
                    .toFloatArray();
            float[] training = g.forward(batch(m, ids, mask), path -> true, List.of("hidden")).get("hidden").toFloatArray();
            assertArrayEquals(training, inference, 0f);
        }
    }

    private static TransformerEncoder deep(int layers) {
        return TransformerEncoder.builder().name("enc").vocab(20).hidden(H).layers(layers).heads(2)
                .intermediate(16).maxPositions(8).build();
    }

    @Test
    void portsChildNamesAndLayerOrderFollowBert() {
        TransformerEncoder enc = tiny(0.1f);
        assertEquals("[input_ids [batch, seq] int64, attention_mask [batch, seq] int64, token_type_ids [batch, seq] int64]",
                enc.inputs().toString());
        assertFalse(enc.input("token_type_ids").required());
        assertEquals("[hidden [batch, seq, 8], pooled [batch, 8]]", enc.outputs().toString());
        assertEquals(List.of("embeddings", "layer.0", "layer.1"), enc.layerOrder());
        try (ModelGraph g = graphOf(enc, false)) {
            for (String p : List.of(
                    "enc/embeddings/word_embeddings/weight", "enc/embeddings/position_embeddings/weight",
                    "enc/embeddings/token_type_embeddings/weight", "enc/embeddings/LayerNorm/weight",
                    "enc/layer.1/attention/self/query/weight", "enc/layer.1/attention/self/key/bias",
                    "enc/layer.1/attention/self/value/weight", "enc/layer.1/attention/output/dense/weight",
                    "enc/layer.1/attention/output/LayerNorm/bias", "enc/layer.1/intermediate/dense/weight",
                    "enc/layer.1/output/dense/bias", "enc/layer.1/output/LayerNorm/weight")) {
                assertTrue(g.parameters().containsKey(p), p + " in " + g.parameters().keySet());
            }
            // 3 embeddings + LayerNorm, then per layer 6 dense layers and 2 LayerNorms, 2 tensors each
            assertEquals(5 + 2 * 16, g.parameters().size());
            assertInstanceOf(Linear.class, enc.layers().get("enc/layer.0/attention/self/value"));
            assertInstanceOf(Linear.class, enc.layers().get("enc/layer.0/intermediate/dense"));
        }
    }

    @Test
    void outputsHaveTheDeclaredShapes() {
        try (ModelGraph g = graphOf(tiny(0.1f), false); NDManager m = g.manager().newSubManager()) {
            Map<String, NDArray> out = g.forward(
                    batch(m, new long[][] {{1, 2, 3, 4, 5}, {6, 7, 0, 0, 0}}, new long[][] {{1, 1, 1, 1, 1}, {1, 1, 0, 0, 0}}),
                    ForwardContext.INFERENCE);
            assertEquals(new Shape(2, 5, H), out.get("hidden").getShape());
            assertEquals(new Shape(2, H), out.get("pooled").getShape());
        }
    }

    @Test
    void paddingDoesNotChangeTheRealTokensOutputs() {
        try (ModelGraph g = graphOf(tiny(0.1f), false); NDManager m = g.manager().newSubManager()) {
            Map<String, NDArray> alone = g.forward(
                    batch(m, new long[][] {{3, 4, 5}}, new long[][] {{1, 1, 1}}), ForwardContext.INFERENCE);
            // padding positions hold arbitrary ids: the mask alone must hide them
            Map<String, NDArray> padded = g.forward(
                    batch(m, new long[][] {{3, 4, 5, 19, 9}}, new long[][] {{1, 1, 1, 0, 0}}), ForwardContext.INFERENCE);
            assertClose(alone.get("pooled").toFloatArray(), padded.get("pooled").toFloatArray(), 1e-5);
            float[] realHidden = padded.get("hidden").get("0, :3, :").toFloatArray();
            assertClose(alone.get("hidden").toFloatArray(), realHidden, 1e-5);
            // and the mask matters: unmasking the padding changes the result
            Map<String, NDArray> unmasked = g.forward(
                    batch(m, new long[][] {{3, 4, 5, 19, 9}}, new long[][] {{1, 1, 1, 1, 1}}), ForwardContext.INFERENCE);
            assertTrue(maxDiff(alone.get("pooled").toFloatArray(), unmasked.get("pooled").toFloatArray()) > 1e-3);
        }
    }

    @Test
    void tokenTypesDefaultToZeros() {
        try (ModelGraph g = graphOf(tiny(0f), true); NDManager m = g.manager().newSubManager()) {
            Map<String, NDArray> in = batch(m, new long[][] {{3, 4, 5}}, new long[][] {{1, 1, 1}});
            in.put("types", m.zeros(new Shape(1, 3), ai.djl.ndarray.types.DataType.INT64));
            float[] zeros = g.forward(in, ForwardContext.INFERENCE).get("pooled").toFloatArray();
            in.put("types", m.ones(new Shape(1, 3), ai.djl.ndarray.types.DataType.INT64));
            float[] ones = g.forward(in, ForwardContext.INFERENCE).get("pooled").toFloatArray();
            assertTrue(maxDiff(zeros, ones) > 1e-4, "token types must matter");
        }
        try (ModelGraph g = graphOf(tiny(0f), false); NDManager m = g.manager().newSubManager()) {
            // same seed and names, so the same weights as above: omitted types equal explicit zeros
            Map<String, NDArray> in = batch(m, new long[][] {{3, 4, 5}}, new long[][] {{1, 1, 1}});
            float[] omitted = g.forward(in, ForwardContext.INFERENCE).get("pooled").toFloatArray();
            try (ModelGraph g2 = graphOf(tiny(0f), true); NDManager m2 = g2.manager().newSubManager()) {
                Map<String, NDArray> in2 = batch(m2, new long[][] {{3, 4, 5}}, new long[][] {{1, 1, 1}});
                in2.put("types", m2.zeros(new Shape(1, 3), ai.djl.ndarray.types.DataType.INT64));
                assertArrayEquals(omitted, g2.forward(in2, ForwardContext.INFERENCE).get("pooled").toFloatArray());
            }
        }
    }

    @Test
    void dropoutRunsOnlyInTrainingMode() {
        try (ModelGraph g = graphOf(tiny(0.5f), false); NDManager m = g.manager().newSubManager()) {
            Map<String, NDArray> in = batch(m, new long[][] {{3, 4, 5, 6}}, new long[][] {{1, 1, 1, 1}});
            float[] a = g.forward(in, ForwardContext.INFERENCE).get("pooled").toFloatArray();
            float[] b = g.forward(in, ForwardContext.INFERENCE).get("pooled").toFloatArray();
            assertArrayEquals(a, b);
            float[] trained = g.forward(in, path -> true).get("pooled").toFloatArray();
            assertTrue(maxDiff(a, trained) > 1e-4);
        }
    }

    @Test
    void oneAdamWStepChangesEveryTrainedTensorAndOnlyTheRowsOfRealTokens() {
        TransformerEncoder enc = tiny(0.1f);
        try (ModelGraph g = graphOf(enc, false);
                GroupedOptimizer opt = GroupedOptimizer.of(new OptimizerSpec.AdamW(1e-2, 0.9, 0.999, 1e-8, 0.0))) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            plan.apply();
            opt.setGroups(plan.groups(opt.spec()));
            Map<String, float[]> before = new LinkedHashMap<>();
            g.parameters().forEach((k, p) -> before.put(k, p.toFloatArray()));
            try (NDManager m = g.manager().newSubManager()) {
                Map<String, NDArray> in = batch(m, new long[][] {{1, 2, 3, 0}, {4, 5, 0, 0}}, new long[][] {{1, 1, 1, 0}, {1, 1, 0, 0}});
                try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                    NDArray pooled = g.forward(in, plan.trainingContext(), List.of("pooled")).get("pooled"); // (2, H)
                    NDArray target = m.arange(0f, 2f * H).reshape(2, H).div(2f * H); // (2, H)
                    gc.backward(pooled.sub(target).square().mean());
                }
            }
            opt.step(1.0);
            for (Map.Entry<String, Param> e : g.parameters().entrySet()) {
                float[] after = e.getValue().toFloatArray();
                if (e.getKey().endsWith("word_embeddings/weight")) {
                    for (int row = 0; row < 20; row++) {
                        // ids 1..5 are real tokens; id 0 appears only under mask 0, so it gets no gradient
                        boolean used = row >= 1 && row <= 5;
                        boolean changed = maxDiff(slice(before.get(e.getKey()), row), slice(after, row)) > 0;
                        assertEquals(used, changed, "row " + row);
                    }
                } else if (e.getKey().endsWith("position_embeddings/weight") || e.getKey().endsWith("token_type_embeddings/weight")) {
                    assertTrue(maxDiff(slice(before.get(e.getKey()), 0), slice(after, 0)) > 0, e.getKey());
                } else {
                    assertTrue(maxDiff(before.get(e.getKey()), after) > 0, e.getKey() + " did not change");
                }
            }
        }
    }

    @Test
    void nativeArraysStayFlatOverTrainingSteps() {
        TransformerEncoder enc = tiny(0.1f);
        try (ModelGraph g = graphOf(enc, false); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(1e-3))) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            plan.apply();
            opt.setGroups(plan.groups(opt.spec()));
            int[] live = new int[5];
            for (int step = 0; step < live.length; step++) {
                try (NDManager m = g.manager().newSubManager()) {
                    Map<String, NDArray> in = batch(m, new long[][] {{1, 2, 3, 0}, {4, 5, 6, 7}}, new long[][] {{1, 1, 1, 0}, {1, 1, 1, 1}});
                    try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                        NDArray pooled = g.forward(in, plan.trainingContext(), List.of("pooled")).get("pooled"); // (2, H)
                        gc.backward(pooled.square().mean());
                    }
                }
                opt.step(1.0);
                live[step] = FloeEngine.liveArraysEverywhere();
            }
            assertEquals(live[1], live[4], "live native arrays per step: " + java.util.Arrays.toString(live));
        }
    }

    @Test
    void geluIsTheErfForm() {
        try (NDManager m = FloeEngine.newManager()) {
            float[] xs = {-3f, -1f, -0.5f, 0f, 0.3f, 1f, 2.5f};
            NDArray x = m.create(xs);
            float[] gelu = Activation.gelu(x).toFloatArray();
            for (int i = 0; i < xs.length; i++) {
                double exact = 0.5 * xs[i] * (1 + erf(xs[i] / Math.sqrt(2)));
                assertEquals(exact, gelu[i], 1e-6, "gelu(" + xs[i] + ")");
            }
        }
    }

    @Test
    void layerNormNormalisesTheLastAxisWithItsEpsilon() {
        try (NDManager m = FloeEngine.newManager()) {
            Map<String, Param> sink = new LinkedHashMap<>();
            LayerNorm ln = new LayerNorm(new ParamScope("n", m, 0, sink), 4, 1e-12f);
            assertEquals(List.of("n/weight", "n/bias"), List.copyOf(sink.keySet()));
            ln.weight().load(new float[] {1, 2, 3, 4}, new long[] {4});
            ln.bias().load(new float[] {0, 0, 0, 1}, new long[] {4});
            float[] y = ln.forward(ForwardContext.INFERENCE, m.create(new float[] {1, 2, 3, 4}, new Shape(1, 4))).toFloatArray();
            double mean = 2.5;
            double std = Math.sqrt((2.25 + 0.25 + 0.25 + 2.25) / 4);
            float[] x = {1, 2, 3, 4};
            for (int i = 0; i < 4; i++) {
                assertEquals((x[i] - mean) / std * (i + 1) + (i == 3 ? 1 : 0), y[i], 1e-5);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ln.forward(ForwardContext.INFERENCE, m.zeros(new Shape(2, 3))));
            assertTrue(e.getMessage().contains("layer norm n normalises a last axis of 4"), e.getMessage());
        }
    }

    @Test
    void badInputsAndSizesFailWithTheReason() {
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> TransformerEncoder.builder().name("enc").vocab(10).hidden(10).layers(1).heads(3).build());
        assertTrue(heads.getMessage().contains("hidden 10 is not divisible by heads 3"), heads.getMessage());
        try (ModelGraph g = graphOf(tiny(0f), false); NDManager m = g.manager().newSubManager()) {
            long[][] nine = {{1, 2, 3, 4, 5, 6, 7, 8, 9}};
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> g.forward(batch(m, nine, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1, 1}}), ForwardContext.INFERENCE));
            assertTrue(tooLong.getMessage().contains("longer than the 8 positions"), tooLong.getMessage());
            IllegalArgumentException badId = assertThrows(IllegalArgumentException.class,
                    () -> g.forward(batch(m, new long[][] {{1, 20}}, new long[][] {{1, 1}}), ForwardContext.INFERENCE));
            assertTrue(badId.getMessage().contains("embedding enc/embeddings/word_embeddings has 20 rows but got ids in [1, 20]"),
                    badId.getMessage());
        }
    }

    private static float[] slice(float[] table, int row) {
        return java.util.Arrays.copyOfRange(table, (int) (row * H), (int) ((row + 1) * H));
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static void assertClose(float[] a, float[] b, double tol) {
        double d = maxDiff(a, b);
        assertTrue(d < tol, "max difference " + d);
    }

    /** Abramowitz–Stegun 7.1.26 is too coarse for 1e-6; use the series/continued fraction via Math. */
    private static double erf(double x) {
        // erf(x) = 2/sqrt(pi) * sum_{n} (-1)^n x^(2n+1) / (n! (2n+1)), converges fast for |x| <= 3
        double sum = 0;
        double term = x;
        for (int n = 0; n < 100; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void clsPoolingGivesTheFirstTokensHiddenStateAndMeanPoolingAverages() {
        TransformerEncoder cls = TransformerEncoder.builder().name("enc").vocab(20).hidden(H).layers(1).heads(2)
                .intermediate(16).maxPositions(8).dropout(0f).pooling(TransformerEncoder.Pooling.CLS).build();
        assertEquals(TransformerEncoder.Pooling.MEAN, tiny(0f).pooling());
        try (ModelGraph g = graphOf(cls, false); NDManager m = g.manager().newSubManager()) {
            Map<String, NDArray> out = g.forward(batch(m, new long[][] {{1, 5, 6, 0}, {1, 7, 0, 0}},
                    new long[][] {{1, 1, 1, 0}, {1, 1, 0, 0}}), ForwardContext.INFERENCE, List.of("hidden", "pooled"));
            float[] hidden = out.get("hidden").toFloatArray(); // (2, 4, H)
            float[] pooled = out.get("pooled").toFloatArray(); // (2, H)
            for (int b = 0; b < 2; b++) {
                for (int h = 0; h < H; h++) {
                    assertEquals(hidden[(int) (b * 4 * H + h)], pooled[(int) (b * H + h)], 0f);
                }
            }
        }
        assertEquals(TransformerEncoder.Pooling.CLS, TransformerEncoder.Pooling.parse(" CLS "));
        assertThrows(IllegalArgumentException.class, () -> TransformerEncoder.Pooling.parse("max"));
    }
}
