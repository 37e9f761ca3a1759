package dev.floe.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.Role;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.Trainer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Imports the MLP written by {@code make_model.py} (regenerated here when a Python with torch is
 * available, else the committed files) and checks outputs, freezing and training.
 */
class TorchScriptComponentTest {

    private static final double TOLERANCE = 1e-5;
    private static final List<String> PYTHONS = List.of("python3", "/usr/bin/python3");
    private static final List<String> PARAMETERS = List.of(
            "ts/encoder.0.weight", "ts/encoder.0.bias", "ts/encoder.2.weight", "ts/encoder.2.bias",
            "ts/head.weight", "ts/head.bias");

    @TempDir
    static Path generated;

    private static Path models;
    private static JsonNode expected;

    @BeforeAll
    static void models() throws Exception {
        Path committed = resourceDir();
        models = regenerate(committed.resolve("make_model.py"), generated) ? generated : committed;
        System.out.println("TorchScript test models from " + (models == generated ? "make_model.py (regenerated)" : "committed files"));
        expected = new ObjectMapper().readTree(models.resolve("mlp_expected.json").toFile());
    }

    private static Path resourceDir() throws URISyntaxException {
        return Path.of(TorchScriptComponentTest.class.getResource("make_model.py").toURI()).getParent();
    }

    /** Runs the script with the first Python that imports torch; false when there is none or it fails. */
    private static boolean regenerate(Path script, Path out) throws InterruptedException {
        for (String python : PYTHONS) {
            try {
                if (run(List.of(python, "-c", "import torch")) && run(List.of(python, script.toString(), out.toString()))) {
                    return true;
                }
            } catch (IOException e) {
                // this interpreter does not exist; try the next
            }
        }
        return false;
    }

    private static boolean run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return false;
        }
        return p.exitValue() == 0;
    }

    private static TorchScriptComponent component(Path file) {
        return TorchScriptComponent.builder()
                .name("ts")
                .role(Role.ENCODER)
                .file(file)
                .input("x", "[batch, 8]")
                .output("y", "[batch, 3]")
                .build();
    }

    private static ModelGraph graph(String kind) {
        return ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(component(models.resolve("mlp_" + kind + ".pt")))
                .wire("x", "ts.x")
                .output("logits", "ts.y")
                .build();
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static float[] forward(ModelGraph g, float[] input) {
        try (NDManager batch = g.manager().newSubManager()) {
            NDArray x = batch.create(input, new Shape(input.length / 8, 8)); // (B, 8)
            return g.forward(Map.of("x", x), ForwardContext.INFERENCE).get("logits").toFloatArray(); // (B, 3)
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], TOLERANCE, what + ": element " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripted", "traced"})
    void forwardEqualsTorchAtExportTime(String kind) {
        try (ModelGraph g = graph(kind)) {
            float[] got = forward(g, floats(expected.get("input")));
            assertClose(floats(expected.get("outputs").get(kind)), got, kind);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripted", "traced"})
    void parametersAreNamedByTorchScriptNamesUnderTheComponent(String kind) {
        try (ModelGraph g = graph(kind)) {
            assertEquals(PARAMETERS, List.copyOf(g.parameters().keySet()));
            JsonNode shapes = expected.get("parameters");
            for (String path : PARAMETERS) {
                String tsName = path.substring("ts/".length());
                long[] want = new long[shapes.get(tsName).size()];
                Arrays.setAll(want, i -> shapes.get(tsName).get(i).asLong());
                assertArrayEquals(want, g.parameters().get(path).shape().getShape(), path);
            }
            assertEquals(ParamKind.WEIGHT, g.parameters().get("ts/head.weight").kind());
            assertEquals(ParamKind.BIAS, g.parameters().get("ts/head.bias").kind());
        }
    }

    /** A faithful re-computation in Java from the Floe parameters: proves the module uses them. */
    private static float[] mlpInJava(ModelGraph g, float[] x, int batch) {
        float[] h = x;
        int width = 8;
        String[] layers = {"encoder.0", "encoder.2", "head"};
        for (int l = 0; l < layers.length; l++) {
            Param w = g.parameters().get("ts/" + layers[l] + ".weight");
            float[] wv = w.toFloatArray(); // (out, in)
            float[] bv = g.parameters().get("ts/" + layers[l] + ".bias").toFloatArray(); // (out)
            int out = (int) w.shape().get(0);
            float[] next = new float[batch * out];
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < out; o++) {
                    double s = bv[o];
                    for (int i = 0; i < width; i++) {
                        s += (double) wv[o * width + i] * h[b * width + i];
                    }
                    next[b * out + o] = (float) (l < layers.length - 1 ? Math.max(0, s) : s);
                }
            }
            h = next;
            width = out;
        }
        return h;
    }

    private static Dataset blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 8];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 8; j++) {
                x[i * 8 + j] = (float) (r.nextGaussian() * 0.5 + (j % 3 == y[i] ? 1.5 : 0));
            }
        }
        return Dataset.of("blobs", new long[] {8}, x, y, 3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripted", "traced"})
    void frozenPrefixIsBitIdenticalAndTheRestTrainsTheModuleItself(String kind) {
        try (ModelGraph g = graph(kind)) {
            Map<String, float[]> before = new LinkedHashMap<>();
            g.parameters().forEach((path, p) -> before.put(path, p.toFloatArray()));
            FreezePolicy policy = FreezePolicy.builder().freeze("ts/encoder.0*").build();
            Dataset train = blobs(96, 7);
            try (Trainer trainer = Trainer.builder()
                    .plan(policy.resolve(g))
                    .optimizer(OptimizerSpec.adamW(0.01))
                    .batchSize(16)
                    .epochs(2)
                    .seed(3)
                    .build()) {
                trainer.fit(train, null);
            }
            for (String path : PARAMETERS) {
                float[] now = g.parameters().get(path).toFloatArray();
                if (path.startsWith("ts/encoder.0")) {
                    assertArrayEquals(before.get(path), now, path + " is frozen and must be bit-identical");
                    assertFalse(g.parameters().get(path).trainable(), path);
                } else {
                    assertFalse(Arrays.equals(before.get(path), now), path + " should have trained");
                }
            }
            float[] input = floats(expected.get("input"));
            float[] got = forward(g, input);
            assertFalse(Arrays.equals(floats(expected.get("outputs").get(kind)), got), "output should change after training");
            assertClose(mlpInJava(g, input, input.length / 8), got, "module output vs Java MLP on the trained Floe parameters");
        }
    }

    @Test
    void loadingIntoAParamChangesWhatTheModuleComputes() {
        try (ModelGraph g = graph("scripted")) {
            for (String path : List.of("ts/head.weight", "ts/head.bias")) {
                Param p = g.parameters().get(path);
                p.load(new float[(int) p.size()], p.shape().getShape());
            }
            float[] got = forward(g, floats(expected.get("input")));
            assertArrayEquals(new float[got.length], got);
        }
    }

    @Test
    void closingTheGraphFreesEveryArray() {
        FloeEngine.get();
        int live = FloeEngine.liveArraysEverywhere();
        float[] input = floats(expected.get("input"));
        try (ModelGraph g = graph("traced")) {
            forward(g, input);
            int afterOne = FloeEngine.liveArraysEverywhere();
            for (int i = 0; i < 20; i++) {
                forward(g, input);
            }
            assertEquals(afterOne, FloeEngine.liveArraysEverywhere(), "forward passes must not leave arrays behind");
        }
        assertEquals(live, FloeEngine.liveArraysEverywhere(), "closing the graph frees the parameters");
    }

    @Test
    void truncatedFileFailsNamingTheFileAndLeavesNothingLoaded(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(models.resolve("mlp_scripted.pt"));
        Path broken = dir.resolve("truncated.pt");
        Files.write(broken, Arrays.copyOf(whole, whole.length / 2));
        FloeEngine.get();
        int live = FloeEngine.liveArraysEverywhere();
        TorchScriptException e = assertThrows(TorchScriptException.class, () -> component(broken));
        assertTrue(e.getMessage().startsWith(broken.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated or corrupted"), e.getMessage());
        assertEquals(broken, e.file());
        assertEquals(live, FloeEngine.liveArraysEverywhere(), "no arrays may stay behind");
    }

    @Test
    void missingFileFailsNamingTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.pt");
        TorchScriptException e = assertThrows(TorchScriptException.class, () -> component(missing));
        assertTrue(e.getMessage().startsWith(missing.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void wrongOutputDeclarationFailsAtBuildNamingTheFile() {
        Path file = models.resolve("mlp_traced.pt");
        TorchScriptException e = assertThrows(TorchScriptException.class, () -> TorchScriptComponent.builder()
                .name("ts").file(file).input("x", "[batch, 8]").output("y", "[batch, 4]").build());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("ts.y") && e.getMessage().contains("[batch, 4]"), e.getMessage());
    }

    @Test
    void wrongInputDeclarationFailsAtBuildNamingTheFile() {
        Path file = models.resolve("mlp_scripted.pt");
        TorchScriptException e = assertThrows(TorchScriptException.class, () -> TorchScriptComponent.builder()
                .name("ts").file(file).input("x", "[batch, 5]").output("y", "[batch, 3]").build());
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("probe input"), e.getMessage());
    }
}
