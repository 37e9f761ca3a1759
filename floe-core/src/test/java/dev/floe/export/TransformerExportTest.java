package dev.floe.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ONNX export of a small BERT-style encoder with LoRA and a bottleneck adapter: ONNX Runtime gives the same logits. */
class TransformerExportTest {

    private static final int BATCH = 3;
    private static final int SEQ = 6;

    private static ModelGraph graph(TransformerEncoder.Pooling pooling) {
        return ModelGraph.builder()
                .input("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .input("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .add(TransformerEncoder.builder().name("encoder").vocab(30).hidden(8).layers(2).heads(2).intermediate(16)
                        .maxPositions(16).layerNormEps(1e-12f).pooling(pooling).build())
                .add(LinearHead.of("head", 8, 3))
                .wire("input_ids", "encoder.input_ids")
                .wire("attention_mask", "encoder.attention_mask")
                .wire("encoder.pooled", "head.in")
                .output("logits", "head.logits")
                .seed(11)
                .build();
    }

    /** LoRA on query and value, an adapter on each feed-forward output; all factors random so they matter. */
    private static void addPeft(ModelGraph g, Random r) {
        Lora.inject(g, new LoraSpec("qv", 2, 4, 0.0, "encoder/**/attention/self/{query,value}"));
        Adapters.inject(g, new AdapterSpec("ad", 4, "encoder/**/output/dense", AdapterSpec.Activation.GELU));
        for (Param p : g.parameters().values()) {
            if (p.adapter() != null || p.path().contains("LayerNorm")) {
                float[] v = new float[(int) p.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (p.path().endsWith("LayerNorm/weight") ? 1f : 0f) + (float) r.nextGaussian() * 0.3f;
                }
                p.load(v, p.shape().getShape());
            }
        }
    }

    private static double exportedDiff(TransformerEncoder.Pooling pooling) throws Exception {
        Random r = new Random(4);
        long[] ids = new long[BATCH * SEQ];
        long[] mask = new long[BATCH * SEQ];
        int[] lengths = {SEQ, 3, 1}; // padded rows: padding must not change the result
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < SEQ; t++) {
                ids[b * SEQ + t] = t < lengths[b] ? 1 + r.nextInt(29) : 0;
                mask[b * SEQ + t] = t < lengths[b] ? 1 : 0;
            }
        }
        try (ModelGraph g = graph(pooling)) {
            addPeft(g, r);
            float[] expected;
            try (NDManager m = g.manager().newSubManager()) {
                Map<String, NDArray> in = Map.of("input_ids", m.create(ids, new Shape(BATCH, SEQ)),
                        "attention_mask", m.create(mask, new Shape(BATCH, SEQ)));
                expected = g.forward(in, ForwardContext.INFERENCE).get("logits").toFloatArray();
            }
            byte[] model = OnnxExport.toOnnx(g, null, "test");
            assertTrue(Lora.isMerged(g, "qv"), "LoRA is merged into the exported weights");
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            long[] shape = {BATCH, SEQ};
            try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
                    OnnxTensor i = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                    OnnxTensor k = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                    OrtSession.Result res = s.run(Map.of("input_ids", i, "attention_mask", k))) {
                float[][] logits = (float[][]) res.get(0).getValue();
                assertEquals(BATCH, logits.length);
                double diff = 0;
                for (int b = 0; b < BATCH; b++) {
                    for (int c = 0; c < 3; c++) {
                        diff = Math.max(diff, Math.abs(logits[b][c] - expected[b * 3 + c]));
                    }
                }
                return diff;
            }
        }
    }

    @Test
    void meanPooledEncoderWithLoraAndAdapterGivesTheGraphsLogits() throws Exception {
        double diff = exportedDiff(TransformerEncoder.Pooling.MEAN);
        System.out.printf("transformer (mean pooling) ONNX Runtime vs Floe max abs diff: %.2e%n", diff);
        assertTrue(diff < 1e-4, "max abs diff " + diff);
    }

    @Test
    void clsPooledEncoderGivesTheGraphsLogits() throws Exception {
        double diff = exportedDiff(TransformerEncoder.Pooling.CLS);
        assertTrue(diff < 1e-4, "max abs diff " + diff);
    }
}
