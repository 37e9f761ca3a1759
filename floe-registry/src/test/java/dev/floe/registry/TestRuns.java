package dev.floe.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.config.ComponentConfig;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.TensorSpec;
import dev.floe.io.Fingerprint;
import dev.floe.io.Hashing;
import dev.floe.io.ModelWeights;
import dev.floe.nn.Param;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finished run folders as {@code floe train} leaves them ({@code manifest.json} with recipe and
 * outcome, {@code weights.safetensors}), made without data or training: a small encoder and head
 * are built, their weights shifted by a known amount, and the manifest filled in accordingly.
 */
final class TestRuns {

    static final ObjectMapper SNAKE = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    static final ComponentConfig ENCODER = new ComponentConfig.ConvEncoder("encoder", List.of(1L, 8L, 8L), List.of(4L));
    static final ComponentConfig HEAD = new ComponentConfig.LinearHead("head", 4L, 3L, 0.0);

    /**
     * A run folder.
     *
     * @param dir the folder
     * @param id the run id
     * @param encoderBefore weights hash of the encoder when the run started
     * @param encoderAfter weights hash of the encoder at the end
     * @param weights every parameter at the end, by path
     * @param accuracy the final accuracy recorded
     */
    record TestRun(Path dir, String id, String encoderBefore, String encoderAfter, Map<String, float[]> weights,
            double accuracy) {}

    private TestRuns() {}

    /**
     * Writes a finished run to {@code dir}.
     *
     * @param start the weights the run starts from, or null for seed-0 initial weights
     * @param shift how far every weight moves (0 leaves them as they started)
     * @param trainRule the policy rule recorded as deciding that the encoder trains
     */
    static TestRun write(Path dir, String id, Map<String, float[]> start, float shift, String trainRule, double accuracy)
            throws Exception {
        Files.createDirectories(dir);
        Component encoder = ENCODER.toComponent();
        Component head = HEAD.toComponent();
        try (ModelGraph graph = ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 8, 8]"))
                .add(encoder).add(head)
                .wire("image", "encoder.in").wire("encoder.features", "head.in")
                .output("logits", "head.logits").build()) {
            if (start != null) {
                ModelWeights.restore(graph, start);
            }
            String before = Fingerprint.weights(encoder.parameters().values());
            String headBefore = Fingerprint.weights(head.parameters().values());
            for (Param p : graph.parameters().values()) {
                float[] v = p.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] += shift * ((i % 7) - 3) * 0.01f;
                }
                p.load(v, p.shape().getShape());
            }
            String after = Fingerprint.weights(encoder.parameters().values());
            Path weights = dir.resolve(Registry.RUN_WEIGHTS);
            ModelWeights.save(graph, weights, Map.of("floe.recipe", id));

            ObjectNode resolved = SNAKE.createObjectNode();
            resolved.put("seed", 42);
            ObjectNode model = resolved.putObject("model");
            model.putArray("components").add(SNAKE.valueToTree(ENCODER)).add(SNAKE.valueToTree(HEAD));
            resolved.set("optimizer", SNAKE.readTree("{\"type\": \"adamw\", \"lr\": 0.005, \"weight_decay\": 0.01}"));
            String text = "# test config of " + id + "\n";
            RunManifest.ConfigRecord config = new RunManifest.ConfigRecord("test.yaml", dir.toString(), text,
                    Hashing.sha256Hex(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), resolved);
            List<RunManifest.ComponentRecord> components = List.of(
                    record(encoder, "ConvEncoder", "encoder", before), record(head, "LinearHead", "head", headBefore));
            RunManifest.GraphRecord g = new RunManifest.GraphRecord(Map.of("image", "[batch, 1, 8, 8]"),
                    Map.of("logits", "head.logits"), List.of("image -> encoder.in", "encoder.features -> head.in"),
                    components);
            List<String> encoderPaths = new ArrayList<>(encoder.parameters().keySet());
            List<String> headPaths = new ArrayList<>(head.parameters().keySet());
            List<RunManifest.PlanGroup> groups = List.of(
                    new RunManifest.PlanGroup("train", trainRule, 0.0005, 0.01, encoder.parameterCount(), encoderPaths),
                    new RunManifest.PlanGroup("train", "head/**", 0.005, 0.01, head.parameterCount(), headPaths));
            RunManifest.StageRecord stage = new RunManifest.StageRecord("main", 2, 0, "constant", null,
                    graph.parameterCount(), groups);
            RunManifest.Recipe recipe = new RunManifest.Recipe(config, g, List.of(stage),
                    List.of(new RunManifest.DataRecord("train", "fake " + id, 100, 3, "fp-" + id)), List.of(), 42,
                    Map.of("num_threads", "1"), null);
            Map<String, String> weightsAfter = new LinkedHashMap<>();
            weightsAfter.put("encoder", after);
            weightsAfter.put("head", Fingerprint.weights(head.parameters().values()));
            RunManifest.Outcome outcome = new RunManifest.Outcome("2026-01-01T00:00:10Z", weightsAfter,
                    Hashing.sha256Hex(weights),
                    List.of(new RunManifest.StageOutcome("main", 2, accuracy, 2, false, false, 20, 1.0,
                            List.of(accuracy - 0.1, accuracy), List.of(1.0, 0.5))),
                    new RunManifest.FinalEval(0.5, accuracy, 50), 20, 1.5, 2.0, 300.0, 0, Map.of());
            RunManifest m = new RunManifest(RunManifests.FORMAT, id, "train", "2026-01-01T00:00:00Z", recipe,
                    RunManifests.recipeSha256(recipe), Map.of("floe", "0.1.0-test", "java", "17"), null, outcome);
            RunManifests.write(dir, m);
            return new TestRun(dir, id, before, after, ModelWeights.snapshot(graph), accuracy);
        }
    }

    private static RunManifest.ComponentRecord record(Component c, String type, String role, String before) {
        Map<String, String> in = new LinkedHashMap<>();
        for (PortSpec p : c.inputs()) {
            in.put(p.name(), p.spec().toString());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (PortSpec p : c.outputs()) {
            out.put(p.name(), p.spec().toString());
        }
        return new RunManifest.ComponentRecord(c.name(), type, role, in, out, c.layerOrder(), c.parameterCount(), before);
    }

    /** Parses YAML or JSON text into a tree. */
    static JsonNode yaml(String text) {
        return Registry.parseComponentConfig(text);
    }
}
