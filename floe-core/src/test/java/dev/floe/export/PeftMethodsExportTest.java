package dev.floe.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.floe.components.LinearHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.peft.AdapterSpec;
import dev.floe.peft.Adapters;
import dev.floe.peft.Dora;
import dev.floe.peft.DoraSpec;
import dev.floe.peft.Ia3;
import dev.floe.peft.Ia3Spec;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** ONNX export of an encoder carrying DoRA and IA3: both are merged into the weights, and ONNX Runtime agrees. */
class PeftMethodsExportTest {

    private static final int BATCH = 3;
    private static final int SEQ = 6;

    private static ModelGraph graph() {
        return ModelGraph.builder()
                .input("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .input("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .add(TransformerEncoder.builder().name("encoder").vocab(30).hidden(8).layers(2).heads(2).intermediate(16)
                        .maxPositions(16).layerNormEps(1e-12f).pooling(TransformerEncoder.Pooling.MEAN).build())
                .add(LinearHead.of("head", 8, 3))
                .wire("input_ids", "encoder.input_ids")
                .wire("attention_mask", "encoder.attention_mask")
                .wire("encoder.pooled", "head.in")
                .output("logits", "head.logits")
                .seed(12)
                .build();
    }

    /** Every DoRA and IA3 parameter moved away from its identity start, so that they matter. */
    private static void randomize(ModelGraph g, Random r) {
        for (Param p : g.parameters().values()) {
            if (p.adapter() != null) {
                boolean multiplicative = p.path().endsWith("/magnitude") || p.path().endsWith("/scale");
                float[] v = p.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = multiplicative ? v[i] * (1f + (float) r.nextGaussian() * 0.3f) : (float) r.nextGaussian() * 0.3f;
                }
                p.load(v, p.shape().getShape());
            }
        }
    }

    @Test
    void doraAndIa3AreMergedIntoTheExportedWeightsAndOnnxRuntimeGivesTheGraphsLogits() throws Exception {
        Random r = new Random(5);
        long[] ids = new long[BATCH * SEQ];
        long[] mask = new long[BATCH * SEQ];
        int[] lengths = {SEQ, 4, 2};
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < SEQ; t++) {
                ids[b * SEQ + t] = t < lengths[b] ? 1 + r.nextInt(29) : 0;
                mask[b * SEQ + t] = t < lengths[b] ? 1 : 0;
            }
        }
        try (ModelGraph g = graph()) {
            Dora.inject(g, new DoraSpec("dq", 2, 4, 0.0, "encoder/**/attention/self/{query,value}"));
            Ia3.inject(g, new Ia3Spec("kv", "encoder/*/{attention/self/key,output/dense}", "encoder/*/output/dense"));
            randomize(g, r);
            float[] expected;
            try (NDManager m = g.manager().newSubManager()) {
                Map<String, NDArray> in = Map.of("input_ids", m.create(ids, new Shape(BATCH, SEQ)),
                        "attention_mask", m.create(mask, new Shape(BATCH, SEQ)));
                expected = g.forward(in, ForwardContext.INFERENCE).get("logits").toFloatArray();
            }
            assertEquals(Set.of("dq", "kv"), WeightsExport.mergeLora(g));
            byte[] model = OnnxExport.toOnnx(g, null, "test");
            assertTrue(Dora.isMerged(g, "dq") && Ia3.isMerged(g, "kv"));
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            long[] shape = {BATCH, SEQ};
            try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
                    OnnxTensor i = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                    OnnxTensor k = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                    OrtSession.Result res = s.run(Map.of("input_ids", i, "attention_mask", k))) {
                float[][] logits = (float[][]) res.get(0).getValue();
                double diff = 0;
                for (int b = 0; b < BATCH; b++) {
                    for (int c = 0; c < 3; c++) {
                        diff = Math.max(diff, Math.abs(logits[b][c] - expected[b * 3 + c]));
                    }
                }
                System.out.printf("DoRA+IA3 ONNX Runtime vs Floe max abs diff: %.2e%n", diff);
                assertTrue(diff < 1e-4, "max abs diff " + diff);
            }
        }
    }

    @Test
    void anIa3ModuleThatCannotMergeIsNamedAndNothingIsExported() {
        try (ModelGraph g = graph()) {
            Ia3.inject(g, Ia3Spec.of("o", "encoder/*/output/dense"));
            Adapters.inject(g, new AdapterSpec("ad", 4, "encoder/*/output/dense", AdapterSpec.Activation.RELU));
            ExportException e = assertThrows(ExportException.class, () -> OnnxExport.toOnnx(g, null, "test"));
            assertTrue(e.getMessage().contains("cannot merge ia3 'o'") && e.getMessage().contains("adapter 'ad' is active"),
                    e.getMessage());
        }
    }
}
