package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.nn.Param;
import dev.floe.onnx.OnnxFiles;
import dev.floe.run.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code transformer} with {@code onnx}: weights of a BERT-style ONNX export become the encoder's trainable parameters. */
class OnnxTransformerConfigTest {

    @TempDir
    Path base;

    /** A tiny text model; SEED and ONNX vary. */
    private static ExperimentConfig config(long seed, String onnx) {
        return parse(TextDataTest.TEXT.replace("seed: 3", "seed: " + seed).replace("DATA", "  max_tokens: 12")
                .replace("max_positions: 32}", "max_positions: 32" + onnx + "}"));
    }

    /** The encoder's parameters laid out as torch.onnx exports a Hugging Face BERT (dense weights transposed). */
    private static byte[] export(Map<String, Param> params) {
        OnnxFiles f = new OnnxFiles();
        int k = 100;
        for (Param p : params.values()) {
            if (!p.path().startsWith("encoder/")) {
                continue;
            }
            String local = p.path().substring("encoder/".length());
            String bert = (local.startsWith("layer.") ? "encoder." : "") + local.replace('/', '.');
            boolean dense = local.startsWith("layer.") && local.endsWith("/weight") && !local.contains("LayerNorm");
            long[] dims = p.shape().getShape();
            float[] values = p.array().toFloatArray();
            if (!dense) {
                f.floats(bert, dims, values);
                continue;
            }
            String w = "onnx::MatMul_" + (k++);
            f.floats(w, new long[] {dims[1], dims[0]}, transpose(values, (int) dims[0], (int) dims[1]));
            String module = bert.substring(0, bert.length() - ".weight".length());
            f.node("MatMul", List.of("x", w), List.of(module + "/MatMul_out"));
            f.node("Add", List.of(module + ".bias", module + "/MatMul_out"), List.of(module + "/Add_out"));
        }
        return f.io(true, "input_ids").io(false, "last_hidden_state").toBytes();
    }

    /** {@code (rows, cols)} row-major to {@code (cols, rows)}. */
    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    @Test
    void theOnnxWeightsReplaceTheRandomOnes() throws Exception {
        String query = "encoder/layer.0/attention/self/query/weight";
        float[] exported;
        try (Experiment source = Experiment.build(config(1, ""), base)) {
            Files.write(base.resolve("enc.onnx"), export(source.graph().parameters()));
            exported = source.graph().parameters().get(query).array().toFloatArray();
        }
        try (Experiment random = Experiment.build(config(2, ""), base);
                Experiment imported = Experiment.build(config(2, ", onnx: enc.onnx"), base)) {
            assertFalse(java.util.Arrays.equals(exported, random.graph().parameters().get(query).array().toFloatArray()));
            assertArrayEquals(exported, imported.graph().parameters().get(query).array().toFloatArray());
            assertEquals(dev.floe.freeze.FreezePlan.State.TRAIN, imported.plan().entries().get(query).state());
        }
    }

    @Test
    void aFileThatIsNotOnnxIsNamedByItsKey() throws Exception {
        Files.writeString(base.resolve("enc.onnx"), "not a model");

        ConfigException e = assertThrows(ConfigException.class,
                () -> Experiment.build(config(1, ", onnx: enc.onnx"), base).close());

        assertEquals("model.components[0].onnx", e.where());
        assertMentions(e, "enc.onnx");
    }
}
