package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.config.ExperimentConfig;
import dev.floe.io.Json;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.run.Experiment;
import dev.floe.run.TrainedRun;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe export}: a finished image run as ONNX (normalisation included) and as merged safetensors. */
class ExportCommandTest {

    private static final String CONFIG = PredictImagesTest.CONFIG.replace("eval_fraction: 0.25",
            "eval_fraction: 0.25\n  normalize: standard");

    @TempDir
    static Path dir;

    static Path run;

    @BeforeAll
    static void train() throws Exception {
        Path config = Files.writeString(dir.resolve("images.yaml"), CONFIG);
        run = dir.resolve("run");
        Result train = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, train.code(), train.err());
        assertTrue(Files.isRegularFile(run.resolve(TrainCommand.NORMALIZATION_FILE)));
    }

    @Test
    void onnxRuntimeGivesTheRunsLogitsOnRawImages() throws Exception {
        Path onnx = dir.resolve("model.onnx");
        Result export = floe("export", run.toString(), "--onnx", onnx.toString());
        assertEquals(0, export.code(), export.err());

        int batch = 4;
        float[] raw = new float[batch * 28 * 28];
        Random r = new Random(5);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = r.nextFloat();
        }
        JsonNode norm = Json.mapper().readTree(run.resolve(TrainCommand.NORMALIZATION_FILE).toFile());
        float[] normalized = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            int f = i % (28 * 28);
            normalized[i] = (float) ((raw[i] - norm.get("shift").get(f).floatValue()) / norm.get("scale").get(f).floatValue());
        }
        float[] expected;
        try (TrainedRun trained = TrainedRun.open(run); NDManager m = trained.graph().manager().newSubManager()) {
            NDArray x = m.create(normalized, new Shape(batch, 1, 28, 28));
            expected = trained.graph().forward(Map.of("image", x), ForwardContext.INFERENCE).get("logits").toFloatArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw), new long[] {batch, 1, 28, 28});
                OrtSession.Result out = s.run(Map.of("image", in))) {
            float[][] logits = (float[][]) out.get(0).getValue();
            double diff = 0;
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < 5; k++) {
                    diff = Math.max(diff, Math.abs(logits[b][k] - expected[b * 5 + k]));
                }
            }
            System.out.printf("image run with normalize: ONNX Runtime vs Floe max abs diff %.2e%n", diff);
            assertTrue(diff < 1e-4, "max abs diff " + diff);
        }

        Result again = floe("export", run.toString(), "--onnx", onnx.toString());
        assertEquals(2, again.code());
        assertEquals("floe: " + onnx + " already exists; give another file, or --force to replace it",
                again.err().strip());
        assertEquals(0, floe("export", run.toString(), "--onnx", onnx.toString(), "--force").code());
    }

    @Test
    void mergedWeightsLoadBackThroughModelInitOfTheDescribedGraph() throws Exception {
        Path weights = dir.resolve("merged.safetensors");
        Result export = floe("export", run.toString(), "--safetensors", weights.toString());
        assertEquals(0, export.code(), export.err());
        JsonNode description = Json.mapper().readTree(dir.resolve("merged.safetensors.json").toFile());
        assertEquals("floe-graph/1", description.get("format").asText());
        assertEquals("[batch, 8]", description.get("ports").get("encoder").get("outputs").get("features").asText());

        // a config whose model section is the description's, loading the exported file with model.init
        ObjectNode config = (ObjectNode) new YAMLMapper().readTree(CONFIG);
        ObjectNode model = ((ObjectNode) description.get("model")).deepCopy();
        model.set("init", description.get("init"));
        config.set("model", model);
        byte[] yaml = new YAMLMapper().writeValueAsString(config).getBytes(StandardCharsets.UTF_8);
        try (TrainedRun trained = TrainedRun.open(run);
                Experiment rebuilt = Experiment.build(ExperimentConfig.parse(yaml, "rebuilt.yaml"), dir)) {
            for (Param p : trained.graph().parameters().values()) {
                assertArrayEquals(p.toFloatArray(), rebuilt.graph().parameters().get(p.path()).toFloatArray(), p.path());
            }
        }
    }

    @Test
    void anUnfinishedRunOrNoTargetIsRefusedWithOneLine() throws Exception {
        Path notARun = Files.createDirectories(dir.resolve("empty"));
        Result r = floe("export", notARun.toString(), "--onnx", dir.resolve("x.onnx").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("x.onnx")));

        Result none = floe("export", run.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--onnx FILE and/or --safetensors FILE"), none.err());
    }

    @Test
    void anUnmergedLoraTextRunExportsMergedAndOnnxRuntimeAgrees() throws Exception {
        Path text = Files.createDirectories(dir.resolve("text"));
        StringBuilder train = new StringBuilder();
        for (String[] row : new String[][] {{"cheap pills buy now", "spam"}, {"meeting at noon", "ham"},
                {"win money fast", "spam"}, {"review the report", "ham"}}) {
            train.append("{\"text\": \"").append(row[0]).append("\", \"label\": \"").append(row[1]).append("\"}\n");
        }
        Files.writeString(text.resolve("train.jsonl"), train.toString());
        Files.writeString(text.resolve("test.jsonl"), train.toString());
        Path config = Files.writeString(text.resolve("lora.yaml"), PredictTextLoraTest.CONFIG.replace("MERGE", "false"));
        Path textRun = text.resolve("run");
        Result r = floe("train", config.toString(), "--out", textRun.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());

        Path onnx = text.resolve("lora.onnx");
        Path weights = text.resolve("lora.safetensors");
        Result export = floe("export", textRun.toString(), "--onnx", onnx.toString(), "--safetensors", weights.toString());
        assertEquals(0, export.code(), export.err());

        long[] ids = {101, 2000, 3000, 4000, 102, 101, 5000, 102, 0, 0}; // two rows of five, the second padded
        long[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
        float[] expected;
        try (TrainedRun trained = TrainedRun.open(textRun); NDManager m = trained.graph().manager().newSubManager()) {
            expected = trained.graph().forward(Map.of("input_ids", m.create(ids, new Shape(2, 5)),
                    "attention_mask", m.create(mask, new Shape(2, 5))), ForwardContext.INFERENCE).get("logits").toFloatArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                OnnxTensor i = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids), new long[] {2, 5});
                OnnxTensor k = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(mask), new long[] {2, 5});
                OrtSession.Result out = s.run(Map.of("input_ids", i, "attention_mask", k))) {
            float[][] logits = (float[][]) out.get(0).getValue();
            double diff = 0;
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < 2; c++) {
                    diff = Math.max(diff, Math.abs(logits[b][c] - expected[b * 2 + c]));
                }
            }
            System.out.printf("text LoRA run: ONNX Runtime vs Floe max abs diff %.2e%n", diff);
            assertTrue(diff < 1e-4, "max abs diff " + diff);
        }

        // the merged weights hold no LoRA factors: a config without peft loads them through model.init
        JsonNode description = Json.mapper().readTree(text.resolve("lora.safetensors.json").toFile());
        assertEquals("[\"qv\"]", description.get("merged_lora").toString());
        ObjectNode yaml = (ObjectNode) new YAMLMapper().readTree(PredictTextLoraTest.CONFIG.replace("MERGE", "false"));
        yaml.remove("peft");
        yaml.remove("policy");
        ObjectNode model = ((ObjectNode) description.get("model")).deepCopy();
        model.set("init", description.get("init"));
        yaml.set("model", model);
        byte[] bytes = new YAMLMapper().writeValueAsString(yaml).getBytes(StandardCharsets.UTF_8);
        try (Experiment rebuilt = Experiment.build(ExperimentConfig.parse(bytes, "merged.yaml"), text);
                NDManager m = rebuilt.graph().manager().newSubManager()) {
            float[] merged = rebuilt.graph().forward(Map.of("input_ids", m.create(ids, new Shape(2, 5)),
                    "attention_mask", m.create(mask, new Shape(2, 5))), ForwardContext.INFERENCE).get("logits").toFloatArray();
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[j], merged[j], 1e-4, "logit " + j);
            }
        }
    }
}
