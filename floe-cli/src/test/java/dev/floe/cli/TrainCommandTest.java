package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code floe train} on a tiny config, run in-process; one run is shared by the tests that read it. */
class TrainCommandTest {

    /** 300 training images (a fifth held out), a small encoder with its stem frozen, two epochs. */
    static final String TINY = """
            seed: 3
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 300
              eval_fraction: 0.2
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/stem/**"
            optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
            training: {epochs: 2, batch_size: 32}
            """;

    static final List<String> FILES = List.of(TrainCommand.CONFIG_FILE, TrainCommand.RESOLVED_FILE,
            TrainCommand.PLAN_FILE, TrainCommand.WEIGHTS_FILE, TrainCommand.METRICS_FILE);

    @TempDir
    static Path dir;

    static Path config;
    static Path run;
    static Result first;

    @BeforeAll
    static void trainOnce() throws Exception {
        config = dir.resolve("tiny.yaml");
        Files.writeString(config, TINY);
        run = dir.resolve("run");
        first = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
    }

    @Test
    void writesConfigPlanMetricsAndWeights() throws Exception {
        assertEquals(0, first.code(), first.err());
        for (String f : FILES) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " is missing");
        }
        assertArrayEquals(Files.readAllBytes(config), Files.readAllBytes(run.resolve(TrainCommand.CONFIG_FILE)));
        String sha = TrainCommand.sha256(Files.readAllBytes(config));

        JsonNode metrics = new ObjectMapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile());
        assertEquals(sha, metrics.get("config_sha256").asText());
        assertEquals(3, metrics.get("seed").asLong());
        assertEquals(2, metrics.get("epochs").size());
        for (String key : List.of("train_loss", "train_accuracy", "eval_loss", "eval_accuracy", "seconds",
                "examples_per_second")) {
            assertTrue(metrics.get("epochs").get(0).get(key).isNumber(), key + " in " + metrics + "\n" + first.out());
        }
        assertEquals(60, metrics.get("final_eval").get("examples").asInt());
        assertEquals(240, metrics.get("data").get("train").get("examples").asInt());
        assertEquals(64, metrics.get("data").get("train").get("fingerprint").asText().length());
        assertTrue(metrics.get("params").get("trainable").asLong() < metrics.get("params").get("total").asLong());
        assertEquals(metrics.get("params").get("trainable").asLong() * 4,
                metrics.get("optimizer").get("state_bytes").asLong()); // SGD momentum: one float per parameter
        assertTrue(metrics.get("versions").has("floe") && metrics.get("versions").has("java"));

        Map<String, String> meta = Safetensors.readHeader(run.resolve(TrainCommand.WEIGHTS_FILE)).metadata();
        assertEquals(sha, meta.get(TrainCommand.CONFIG_HASH_KEY));
        JsonNode resolved = new ObjectMapper().readTree(run.resolve(TrainCommand.RESOLVED_FILE).toFile());
        // defaults are filled in
        assertEquals("[1,28,28]", resolved.get("model").get("components").get(0).get("input").toString());
        assertTrue(Files.readString(run.resolve(TrainCommand.PLAN_FILE)).contains("encoder/stem/conv/weight"));

        List<String> lines = first.out().lines().toList();
        assertTrue(lines.get(0).startsWith("config  " + config + " (sha256 " + sha.substring(0, 12)), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("epoch 1/2  train loss ")), first.out());
        assertTrue(lines.get(lines.size() - 1).startsWith("done: eval accuracy "), first.out());
    }

    @Test
    void secondRunIntoTheSameFolderWithoutForceFailsAndChangesNothing() throws Exception {
        Map<String, Snapshot> before = snapshot(run);

        Result again = floe("train", config.toString(), "--out", run.toString(), "--no-progress");

        assertEquals(2, again.code());
        assertTrue(again.err().contains("already holds a run") && again.err().contains("--force"), again.err());
        assertEquals(before, snapshot(run));
    }

    @Test
    void forceReplacesARunAndTheSameConfigGivesTheSameWeights() throws Exception {
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy);
        Files.writeString(copy.resolve(TrainCommand.METRICS_FILE), "{}");

        Result again = floe("train", config.toString(), "--out", copy.toString(), "--force", "--no-progress");

        assertEquals(0, again.code(), again.err());
        assertArrayEquals(Files.readAllBytes(run.resolve(TrainCommand.WEIGHTS_FILE)),
                Files.readAllBytes(copy.resolve(TrainCommand.WEIGHTS_FILE)));
        assertTrue(Files.readString(copy.resolve(TrainCommand.METRICS_FILE)).contains("config_sha256"));
    }

    static Stream<Arguments> invalidConfigs() {
        return Stream.of(
                Arguments.of("batch_size: 32", "batch_sise: 32", "training: unknown key 'batch_sise'"),
                Arguments.of("freeze: \"encoder/stem/**\"", "freeze: \"encoder/stm/**\"",
                        "policy: rule #1 'freeze encoder/stm/**' matches no parameter"),
                Arguments.of("features: 8,", "features: 9,",
                        "port encoder.features is [batch, 8] but head.in expects [batch, 9]"),
                Arguments.of("classes: 10}", "classes: 5}", "gives 5 classes but the data has 10"),
                Arguments.of("limit: 300", "limit: 300\n  per_class: 100", "data.per_class"));
    }

    @ParameterizedTest
    @MethodSource("invalidConfigs")
    void invalidConfigWritesNothing(String from, String to, String message) throws Exception {
        Path bad = dir.resolve("bad-" + Math.abs(to.hashCode()) + ".yaml");
        Files.writeString(bad, TINY.replace(from, to));
        Path out = dir.resolve("never-" + Math.abs(to.hashCode()));

        Result r = floe("train", bad.toString(), "--out", out.toString(), "--no-progress");

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: " + bad), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(Files.exists(out), "the run folder was created for an invalid config");
    }

    private record Snapshot(long size, FileTime modified, String sha256) {}

    private static Map<String, Snapshot> snapshot(Path folder) throws Exception {
        Map<String, Snapshot> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(p);
                files.put(folder.relativize(p).toString(),
                        new Snapshot(bytes.length, Files.getLastModifiedTime(p), TrainCommand.sha256(bytes)));
            }
        }
        return files;
    }
}
