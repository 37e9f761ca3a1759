package dev.floe.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.floe.components.LinearHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A transformer encoder (two outputs, one of them unused; GELU inside its layers) with a head: the
 * profile covers every layer and its gradients equal one ordinary backward pass.
 */
class TransformerProfileTest {

    private static final int N = 12;
    private static final int SEQ = 6;

    /** Token ids whose label is the first token modulo 3; every sequence has one padded position. */
    static Examples tokens() {
        Random r = new Random(11);
        long[][] ids = new long[N][SEQ];
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            for (int t = 0; t < SEQ; t++) {
                ids[i][t] = 1 + r.nextInt(19);
            }
            labels[i] = (int) (ids[i][0] % 3);
        }
        return new Examples() {
            @Override
            public String name() {
                return "tokens";
            }

            @Override
            public int size() {
                return N;
            }

            @Override
            public int numClasses() {
                return 3;
            }

            @Override
            public int label(int i) {
                return labels[i];
            }

            @Override
            public String fingerprint() {
                return "tokens-11";
            }

            @Override
            public Map<String, NDArray> inputs(NDManager manager, int[] indices) {
                long[] flat = new long[indices.length * SEQ];
                long[] mask = new long[indices.length * SEQ];
                for (int k = 0; k < indices.length; k++) {
                    for (int t = 0; t < SEQ; t++) {
                        flat[k * SEQ + t] = ids[indices[k]][t];
                        mask[k * SEQ + t] = t < SEQ - 1 ? 1 : 0;
                    }
                }
                ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(indices.length, SEQ);
                return Map.of("ids", FloeEngine.owned(manager.create(flat, shape)),
                        "mask", FloeEngine.owned(manager.create(mask, shape)));
            }
        };
    }

    static ModelGraph graph() {
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        return ModelGraph.builder().seed(7).input("ids", ids).input("mask", ids)
                .add(TransformerEncoder.builder().name("enc").vocab(20).hidden(8).layers(2).heads(2).intermediate(16)
                        .maxPositions(8).typeVocab(2).dropout(0f).build())
                .add(LinearHead.of("head", 8, 3))
                .wire("ids", "enc.input_ids").wire("mask", "enc.attention_mask").wire("enc.pooled", "head.in")
                .output("logits", "head.logits").build();
    }

    @Test
    void everyLayerIsMeasuredAndGradientsEqualOneBackwardPass() {
        List<String> layers = List.of("enc/embeddings", "enc/layer.0", "enc/layer.1", "head/fc");
        Examples data = tokens();
        try (ModelGraph g = graph()) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            plan.apply();
            double[] expected = new double[layers.size()];
            try (NDManager batch = g.manager().newSubManager()) {
                int[] all = data.shuffledIndices(0);
                try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                    NDArray logits = g.forward(data.inputs(batch, all), plan.trainingContext()).get("logits");
                    NDArray y = data.labels(batch, all);
                    gc.backward(logits.logSoftmax(1).mul(y.oneHot(3)).sum(new int[] {1}).mean().neg());
                }
                for (Param p : g.parameters().values()) {
                    if (p.kind().isBuffer()) {
                        continue;
                    }
                    for (int i = 0; i < layers.size(); i++) {
                        if (p.path().startsWith(layers.get(i) + "/")) {
                            for (float v : p.array().getGradient().toFloatArray()) {
                                expected[i] += v * v;
                            }
                        }
                    }
                    p.array().getGradient().subi(p.array().getGradient());
                }
            }
            Profile profile = GradientProfiler.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-3)).steps(1)
                    .batchSize(N).build().run(data);

            assertEquals(layers, profile.layers().stream().map(LayerProfile::layer).toList());
            for (int i = 0; i < layers.size(); i++) {
                LayerProfile l = profile.layer(layers.get(i));
                assertEquals(Math.sqrt(expected[i]), l.gradNorm().mean(), 1e-4 * Math.sqrt(expected[i]), l.layer());
                assertTrue(l.gradOutNorm().mean() > 0, l.layer());
            }
            assertNull(profile.layer("enc/embeddings").gradInNorm(), "token ids take no gradient");
            assertNotNull(profile.layer("enc/layer.0").gradInNorm());
            assertNull(profile.layer("enc/embeddings").geluTailShare(), "no GELU in the embeddings");
            double tail = profile.layer("enc/layer.1").geluTailShare();
            assertTrue(tail >= 0 && tail < 1, "a share: " + tail);
            assertNull(profile.layer("enc/layer.0").reluDeadShare(), "no ReLU in a transformer layer");
        }
    }
}
