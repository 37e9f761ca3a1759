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
}
