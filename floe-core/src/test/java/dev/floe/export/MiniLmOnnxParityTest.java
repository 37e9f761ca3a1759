package dev.floe.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.text.MiniLm;
import dev.floe.text.TextClassifier;
import dev.floe.text.Tokenizer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ONNX export of the bundled MiniLM (6 layers, 384 wide, pretrained weights) with LoRA on query and
 * value (B set non-zero, so the merged delta matters) and a 3-class head: ONNX Runtime gives Floe's
 * logits within 1e-4 on a padded batch of texts of different lengths.
 */
class MiniLmOnnxParityTest {

    private static final List<String> TEXTS = List.of(
            "Win a free cruise now, click the link before midnight to claim your prize!",
            "Lunch on Friday?",
            "The quarterly report is attached; please review the figures in section three and send comments.",
            "ok");
    private static final int CLASSES = 3;
    private static final double TOLERANCE = 1e-4;

    @Test
    void exportedMiniLmWithNonZeroLoraAndHeadMatchesOnnxRuntime() throws Exception {
        long started = System.nanoTime();
        try (TextClassifier c = MiniLm.classifier(List.of("a", "b", "c"), 64)) {
            ModelGraph g = c.graph();
            Tokenizer.Encoded enc = c.tokenizer().encode(TEXTS);
            assertTrue(enc.tokens(1) < enc.length() && enc.tokens(3) < enc.length(), "the batch holds padded rows");
            float[] base = logits(g, enc);

            Lora.inject(g, new LoraSpec("qv", 4, 8, 0.0, "encoder/**/attention/self/{query,value}"));
            Random r = new Random(17);
            int loraB = 0;
            for (Param p : g.parameters().values()) {
                if (p.path().endsWith("/B") && p.adapter() != null) {
                    float[] v = new float[(int) p.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) r.nextGaussian() * 0.05f; // as after some training steps: B moved off zero
                    }
                    p.load(v, p.shape().getShape());
                    loraB++;
                }
            }
            assertEquals(12, loraB, "query and value of 6 layers");
            float[] expected = logits(g, enc);
            double loraEffect = maxAbsDiff(base, expected);
            assertTrue(loraEffect > 1e-2, "the LoRA delta changes the logits (by " + loraEffect + ")");
            long built = System.nanoTime();

            byte[] model = OnnxExport.toOnnx(g, null, "test");
            assertTrue(Lora.isMerged(g, "qv"), "LoRA is merged into the exported weights");
            long exported = System.nanoTime();

            OrtEnvironment env = OrtEnvironment.getEnvironment();
            long[] shape = {enc.batch(), enc.length()};
            float[] got = new float[expected.length];
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(1);
                try (OrtSession s = env.createSession(model, options);
                        OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(enc.inputIds()), shape);
                        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(enc.attentionMask()), shape);
                        OrtSession.Result res = s.run(Map.of("input_ids", ids, "attention_mask", mask))) {
                    float[][] out = (float[][]) res.get(0).getValue();
                    assertEquals(TEXTS.size(), out.length);
                    for (int b = 0; b < out.length; b++) {
                        System.arraycopy(out[b], 0, got, b * CLASSES, CLASSES);
                    }
                }
            }
            long ran = System.nanoTime();
            double diff = maxAbsDiff(expected, got);
            System.out.printf(Locale.ROOT, "MiniLM+LoRA+head ONNX Runtime vs Floe: max abs diff %.2e over %d texts"
                    + " (%d tokens padded); build+LoRA %.1f s, export %.1f s (%,d bytes), ONNX Runtime %.1f s%n", diff,
                    TEXTS.size(), enc.length(), (built - started) / 1e9, (exported - built) / 1e9, model.length,
                    (ran - exported) / 1e9);
            assertTrue(diff <= TOLERANCE, "max abs diff " + diff);
        }
    }

    private static float[] logits(ModelGraph g, Tokenizer.Encoded enc) {
        try (NDManager m = g.manager().newSubManager()) {
            Shape shape = new Shape(enc.batch(), enc.length());
            Map<String, NDArray> in = Map.of("input_ids", m.create(enc.inputIds(), shape),
                    "attention_mask", m.create(enc.attentionMask(), shape));
            return g.forward(in, ForwardContext.INFERENCE).get(TextClassifier.LOGITS).toFloatArray(); // (B * classes)
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
