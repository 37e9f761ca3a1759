package dev.floe.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The imported all-MiniLM-L6-v2 computes what ONNX Runtime computes with the original file. */
class MiniLmTest {

    /** fp32 with different kernels: differences of a few 1e-6 are expected, 1e-4 is the bound. */
    private static final double TOLERANCE = 1e-4;

    private static final List<String> SENTENCES = List.of(
            "The cat sits on the mat.",
            "A kitten is resting on a rug.",
            "Quarterly revenue grew by twelve percent, beating analyst expectations for the third time.",
            "Floe freezes encoder layers.");

    private static MiniLm model;
    private static OrtEnvironment env;
    private static OrtSession session;

    @BeforeAll
    static void load() throws Exception {
        long start = System.nanoTime();
        model = MiniLm.load();
        System.out.printf("MiniLM load (read ONNX, map, copy 22.6M weights, tokenizer): %.2f s%n",
                (System.nanoTime() - start) / 1e9);
        byte[] bytes;
        try (InputStream in = MiniLmTest.class.getClassLoader().getResourceAsStream(MiniLm.ONNX_RESOURCE)) {
            bytes = in.readAllBytes();
        }
        env = OrtEnvironment.getEnvironment();
        session = env.createSession(bytes, new OrtSession.SessionOptions());
    }

    @AfterAll
    static void close() throws Exception {
        if (session != null) {
            session.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void theOnnxModelTakesIdsMaskAndTypesAndGivesLastHiddenState() {
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(session.getInputNames()));
        assertEquals(List.of("last_hidden_state"), List.copyOf(session.getOutputNames()));
    }

    @Test
    void everyParameterIsPretrainedAndTheCountIsMiniLms() {
        long count = model.graph().parameterCount();
        assertEquals(22_565_376L, count, "all-MiniLM-L6-v2 without its unused pooler has 22,565,376 weights");
        // random init would give LayerNorm weights of exactly 1; pretrained ones are not
        Param ln = model.graph().parameters().get("encoder/layer.5/output/LayerNorm/weight");
        float[] w = ln.toFloatArray();
        assertTrue(w[0] != 1f || w[1] != 1f);
    }

    @Test
    void hiddenStatesAndPooledEmbeddingsMatchOnnxRuntime() throws Exception {
        Tokenizer.Encoded enc = model.tokenizer().encode(SENTENCES);
        int b = enc.batch();
        int t = enc.length();
        long[][] ids = rows(enc.inputIds(), b, t);
        long[][] mask = rows(enc.attentionMask(), b, t);
        long[][] types = rows(enc.tokenTypeIds(), b, t);
        float[][][] expected;
        try (ai.onnxruntime.OnnxTensor i = ai.onnxruntime.OnnxTensor.createTensor(env, ids);
                ai.onnxruntime.OnnxTensor m = ai.onnxruntime.OnnxTensor.createTensor(env, mask);
                ai.onnxruntime.OnnxTensor y = ai.onnxruntime.OnnxTensor.createTensor(env, types);
                OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", y))) {
            expected = (float[][][]) r.get(0).getValue(); // (B, T, 384)
        }
        ModelGraph graph = model.graph();
        float[] hidden;
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> a = enc.toArrays(batch);
            hidden = graph.forward(
                            Map.of("input_ids", a.get("input_ids"), "attention_mask", a.get("attention_mask")),
                            ForwardContext.INFERENCE,
                            List.of("hidden"))
                    .get("hidden")
                    .toFloatArray(); // (B, T, 384)
        }
        int h = 384;
        double maxHidden = 0;
        for (int s = 0; s < b; s++) {
            for (int j = 0; j < t; j++) {
                if (mask[s][j] == 0) {
                    continue; // padding positions are not part of the contract
                }
                for (int k = 0; k < h; k++) {
                    maxHidden = Math.max(maxHidden, Math.abs(hidden[(s * t + j) * h + k] - expected[s][j][k]));
                }
            }
        }
        float[][] pooled = model.embed(SENTENCES);
        double maxPooled = 0;
        for (int s = 0; s < b; s++) {
            float[] ref = meanPool(expected[s], mask[s]);
            for (int k = 0; k < h; k++) {
                maxPooled = Math.max(maxPooled, Math.abs(pooled[s][k] - ref[k]));
            }
        }
        System.out.printf("MiniLM vs ONNX Runtime, %d sentences x %d tokens: max |diff| hidden %.3g, pooled %.3g%n",
                b, t, maxHidden, maxPooled);
        assertTrue(maxHidden < TOLERANCE, "hidden states differ by " + maxHidden);
        assertTrue(maxPooled < TOLERANCE, "pooled embeddings differ by " + maxPooled);
    }

    @Test
    void similarSentencesAreCloserThanUnrelatedOnes() {
        float[][] e = model.embed(SENTENCES);
        double catKitten = cosine(e[0], e[1]);
        double catRevenue = cosine(e[0], e[2]);
        double kittenRevenue = cosine(e[1], e[2]);
        System.out.printf("cosine: cat/kitten %.3f, cat/revenue %.3f, kitten/revenue %.3f%n",
                catKitten, catRevenue, kittenRevenue);
        assertTrue(catKitten > catRevenue + 0.3, "cat/kitten " + catKitten + " vs cat/revenue " + catRevenue);
        assertTrue(catKitten > kittenRevenue + 0.3);
    }

    @Test
    void anEmbeddingDoesNotDependOnTheOtherTextsInTheBatch() {
        float[][] alone = model.embed(List.of(SENTENCES.get(3)));
        float[][] together = model.embed(SENTENCES);
        for (int k = 0; k < 384; k++) {
            assertEquals(alone[0][k], together[3][k], 1e-5, "dimension " + k);
        }
    }

    private static float[] meanPool(float[][] hidden, long[] mask) {
        float[] out = new float[hidden[0].length];
        double n = 0;
        for (int j = 0; j < hidden.length; j++) {
            if (mask[j] == 1) {
                n++;
                for (int k = 0; k < out.length; k++) {
                    out[k] += hidden[j][k];
                }
            }
        }
        for (int k = 0; k < out.length; k++) {
            out[k] /= (float) n;
        }
        return out;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    private static long[][] rows(long[] flat, int b, int t) {
        long[][] out = new long[b][t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * t, out[i], 0, t);
        }
        return out;
    }
}
