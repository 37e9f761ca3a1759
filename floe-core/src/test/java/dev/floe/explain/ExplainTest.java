package dev.floe.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.io.ModelWeights;
import dev.floe.nn.ForwardContext;
import dev.floe.text.MiniLm;
import dev.floe.text.Tokenizer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExplainTest {

    private static final int HEADS = 2;
    private static final int HIDDEN = 16;

    /** A small BERT-style encoder over MiniLM's word-piece vocabulary, with a head. */
    private static ModelGraph textModel() {
        return ModelGraph.builder()
                .input("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .input("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .add(TransformerEncoder.builder().name("encoder").vocab(MiniLm.CONFIG.vocab()).hidden(HIDDEN).layers(2)
                        .heads(HEADS).intermediate(32).maxPositions(32).build())
                .add(LinearHead.of("head", HIDDEN, 3))
                .wire("input_ids", "encoder.input_ids")
                .wire("attention_mask", "encoder.attention_mask")
                .wire("encoder.pooled", "head.in")
                .output("logits", "head.logits")
                .seed(21)
                .build();
    }

    @Test
    void recordedAttentionIsTheSoftmaxOfThatPassesQueriesAndKeysWithPaddingMasked() {
        try (ModelGraph g = textModel(); Tokenizer tok = MiniLm.newTokenizer()) {
            Tokenizer.Encoded enc = tok.encode(List.of("the cat sat on the mat", "hello"));
            Attention.Recording r = Attention.record(g, enc);
            assertEquals(List.of("encoder/layer.0", "encoder/layer.1"), r.layers());
            int t = enc.length();
            double scale = Math.sqrt(HIDDEN / HEADS);
            for (String layer : r.layers()) {
                Observed p = r.probabilities(layer);
                Observed q = r.queries(layer);
                Observed k = r.keys(layer);
                assertArrayEquals(new long[] {2, HEADS, t, t}, p.shape());
                for (int b = 0; b < 2; b++) {
                    int real = enc.tokens(b);
                    for (int h = 0; h < HEADS; h++) {
                        for (int i = 0; i < t; i++) {
                            double[] scores = new double[t];
                            double max = Double.NEGATIVE_INFINITY;
                            for (int j = 0; j < t; j++) {
                                double dot = 0;
                                for (int d = 0; d < HIDDEN / HEADS; d++) {
                                    dot += q.get(b, h, i, d) * k.get(b, h, j, d);
                                }
                                scores[j] = j < real ? dot / scale : Double.NEGATIVE_INFINITY;
                                max = Math.max(max, scores[j]);
                            }
                            double sum = 0;
                            for (int j = 0; j < t; j++) {
                                sum += Math.exp(scores[j] - max);
                            }
                            double rowSum = 0;
                            for (int j = 0; j < t; j++) {
                                double expected = Math.exp(scores[j] - max) / sum;
                                assertEquals(expected, p.get(b, h, i, j), 1e-5, layer + " [" + b + "," + h + "," + i + "," + j + "]");
                                rowSum += p.get(b, h, i, j);
                                if (j >= real) {
                                    assertEquals(0f, p.get(b, h, i, j), "padding key " + j + " gets no attention");
                                }
                            }
                            assertEquals(1.0, rowSum, 1e-5);
                        }
                    }
                }
            }
            // the outputs are those of a plain inference pass
            try (NDManager m = g.manager().newSubManager()) {
                NDArray logits = g.forward(enc.toArrays(m), ForwardContext.INFERENCE).get("logits");
                assertArrayEquals(logits.toFloatArray(), r.outputs().get("logits").values(), 0f);
            }
            float[][] roll = Attention.rollout(r, "encoder", 1);
            int real = enc.tokens(1);
            for (int i = 0; i < real; i++) {
                double sum = 0;
                for (int j = 0; j < t; j++) {
                    sum += roll[i][j];
                    if (j >= real) {
                        assertEquals(0f, roll[i][j], "rollout gives padding no weight");
                    }
                }
                assertEquals(1.0, sum, 1e-5);
            }
        }
    }

    @Test
    void integratedGradientsAtTheEmbeddingsAttributeATextsLogitToItsTokensAndNotToPadding() {
        try (ModelGraph g = textModel(); Tokenizer tok = MiniLm.newTokenizer()) {
            Tokenizer.Encoded enc = tok.encode(List.of("the cat sat on the mat", "hello there"));
            int t = enc.length();
            long[][] ids = {java.util.Arrays.copyOfRange(enc.inputIds(), t, 2 * t)}; // "hello there", padded
            long[][] mask = {java.util.Arrays.copyOfRange(enc.attentionMask(), t, 2 * t)};
            long[][] padIds = {new long[t]}; // the padding id everywhere, same mask
            Attributions.SegmentAttribution a = Attributions.integratedGradientsAt(g, "encoder/embeddings", "logits",
                    Map.of("input_ids", ids, "attention_mask", mask), Map.of("input_ids", padIds, "attention_mask", mask), 1, 128);
            assertArrayEquals(new long[] {1, t, HIDDEN}, a.shape());
            double change = a.attribution().output() - a.attribution().baselineOutput();
            assertTrue(Math.abs(change) > 1e-3, "the embeddings move the logit: " + change);
            assertEquals(change, a.attribution().sum(), 0.01 * Math.abs(change), "completeness");
            float[] perToken = a.perPosition();
            int real = enc.tokens(1);
            for (int i = real; i < t; i++) {
                assertEquals(0f, perToken[i], 1e-7, "padding token " + i);
            }
            try (NDManager m = g.manager().newSubManager()) {
                float at = g.forward(Map.of("input_ids", FloeEngine.owned(m.create(ids)), "attention_mask",
                        FloeEngine.owned(m.create(mask))), ForwardContext.INFERENCE).get("logits").toFloatArray()[1];
                assertEquals(at, a.attribution().output(), 1e-6, "the logit at the input is the plain pass's");
            }
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Attributions.integratedGradientsAt(g, "encoder/embedding", "logits",
                            Map.of("input_ids", ids, "attention_mask", mask), Map.of("input_ids", padIds, "attention_mask", mask), 1, 4));
            assertTrue(e.getMessage().contains("did not run a segment 'encoder/embedding'"), e.getMessage());
        }
    }

    @Test
    void pretrainedMiniLmAttentionComesFromThePassThatMadeItsEmbeddings() {
        try (MiniLm m = MiniLm.load()) {
            List<String> texts = List.of("a cat sat on the mat", "hi");
            Tokenizer.Encoded enc = m.tokenizer().encode(texts);
            Attention.Recording r = Attention.record(m.graph(), enc);
            assertEquals(6, r.layers().size());
            float[][] embedded = m.embed(texts);
            float[] pooled = r.outputs().get("pooled").values(); // (2, 384)
            for (int i = 0; i < embedded[0].length; i++) {
                assertEquals(embedded[0][i], pooled[i], 1e-5, "pooled[0][" + i + "]");
            }
            Observed p = r.probabilities("encoder/layer.5");
            int real = enc.tokens(1);
            for (int h = 0; h < 12; h++) {
                for (int q = 0; q < enc.length(); q++) {
                    double sum = 0;
                    for (int k = 0; k < enc.length(); k++) {
                        sum += p.get(1, h, q, k);
                        if (k >= real) {
                            assertEquals(0f, p.get(1, h, q, k));
                        }
                    }
                    assertEquals(1.0, sum, 1e-5);
                }
            }
        }
    }

    private static ModelGraph imageModel() {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 12, 12]"))
                .add(ConvEncoder.builder().name("encoder").input(1, 12, 12).widths(4, 8).build())
                .add(LinearHead.of("head", 8, 3))
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .seed(2)
                .build();
    }

    @Test
    void integratedGradientsSumToTheLogitChangeFromTheBaselineAndChangeNoWeight() {
        Random random = new Random(5);
        float[][] x = new float[2][144];
        for (float[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        try (ModelGraph g = imageModel()) {
            FreezePolicy.trainAll().resolve(g).apply(); // attributions must leave training state alone
            Map<String, float[]> before = ModelWeights.snapshot(g);
            List<Attributions.Attribution> ig = Attributions.integratedGradients(g, "logits", x, new float[144], new int[] {0, 2}, 256);
            for (Attributions.Attribution a : ig) {
                double change = a.output() - a.baselineOutput();
                assertTrue(Math.abs(change) > 1e-3, "the example moves the logit: " + change);
                assertEquals(change, a.sum(), 0.01 * Math.abs(change), "completeness for class " + a.target());
            }
            List<Attributions.Attribution> gxi = Attributions.gradientTimesInput(g, "logits", x, new int[] {0, 2});
            assertEquals(ig.get(0).output(), gxi.get(0).output(), 1e-5);
            Map<String, float[]> after = ModelWeights.snapshot(g);
            before.forEach((path, w) -> assertArrayEquals(w, after.get(path), 0f, path));
            assertTrue(g.parameters().values().stream().filter(p -> !p.kind().isBuffer()).allMatch(p -> p.trainable()),
                    "trainable parameters stay trainable");
        }
    }

    @Test
    void gradientTimesInputOfALinearModelIsEachFeaturesShareOfTheLogit() {
        float[][] x = {{1f, -2f, 0.5f, 3f}};
        try (ModelGraph g = ModelGraph.builder().input("features", TensorSpec.of("[batch, 4]"))
                .add(LinearHead.of("head", 4, 2)).wire("features", "head.in").output("logits", "head.logits").seed(3).build()) {
            Attributions.Attribution a = Attributions.gradientTimesInput(g, "logits", x, new int[] {1}).get(0);
            float[] w = g.parameters().get("head/fc/weight").toFloatArray(); // (2, 4)
            float bias = g.parameters().get("head/fc/bias").toFloatArray()[1];
            for (int j = 0; j < 4; j++) {
                assertEquals(w[4 + j] * x[0][j], a.values()[j], 1e-6);
            }
            assertEquals(a.output() - bias, a.sum(), 1e-5);
        }
    }
}
