package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.io.Json;
import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import dev.floe.run.Experiment;
import dev.floe.run.RunManifests;
import dev.floe.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code floe train --resume} of a run with a {@code peft} section (LoRA with dropout on a small
 * text transformer, merged at the end or not): killed after any checkpoint, the resumed run writes
 * the uninterrupted run's weights bit for bit and the same metrics.
 */
class PeftResumeTest {

    static final String CONFIG = "seed: 8\n" + TinyTextRun.dataAndModel(1) + """
            peft:
              lora:
                - {name: qv, target: "encoder/**/attention/self/{query,value}", rank: 2, alpha: 4, dropout: 0.2}
              merge: MERGE
            policy:
              - {train: "head/**"}
            optimizer: {type: adamw, lr: 0.05}
            training: {epochs: 3, batch_size: 4}
            """;

    @TempDir
    Path dir;

    private void writeData() throws IOException {
        String[] spam = {"cheap pills buy now", "win money fast", "free prize claim today", "click here to win",
            "cheap money now", "win a free prize"};
        String[] ham = {"meeting at noon", "review the report", "lunch on friday", "notes from the call",
            "the report at noon", "call on friday"};
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < spam.length; i++) {
            train.append("{\"text\": \"").append(spam[i]).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"").append(ham[i]).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train.toString());
        Files.writeString(dir.resolve("test.jsonl"), """
                {"text": "win cheap pills", "label": "spam"}
                {"text": "the report at noon", "label": "ham"}
                {"text": "claim your prize now", "label": "spam"}
                {"text": "notes from lunch", "label": "ham"}
                """);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aLoraRunKilledAfterAnyCheckpointResumesToTheUninterruptedWeightsAndMetrics(boolean merge) throws Exception {
        writeData();
        Path config = Files.writeString(dir.resolve("lora.yaml"), CONFIG.replace("MERGE", Boolean.toString(merge)));
        Path whole = dir.resolve("whole");
        Result r = floe("train", config.toString(), "--out", whole.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        JsonNode wholeMetrics = Json.mapper().readTree(whole.resolve(TrainCommand.METRICS_FILE).toFile());
        Map<String, TensorData> expected = Safetensors.read(whole.resolve(TrainCommand.WEIGHTS_FILE)).tensors();
        String b = expected.keySet().stream().filter(k -> k.endsWith("/lora/qv/B")).findFirst().orElseThrow();

        List<Path> killed = killedAfterEachCheckpoint(config);
        assertEquals(wholeMetrics.get("epochs").size(), killed.size(), "one checkpoint per epoch");
        // the LoRA factors train after the first checkpoint, so resuming must restore them (and their optimizer state)
        float[] afterFirst = Safetensors.read(newest(killed.get(0))).tensors().get(b).toFloats();
        assertNotEquals(java.util.Arrays.toString(afterFirst), java.util.Arrays.toString(expected.get(b).toFloats()));
        for (Path run : killed) {
            String where = run.getFileName().toString();
            Result resumed = floe("train", config.toString(), "--resume", run.toString(), "--no-progress");
            assertEquals(0, resumed.code(), where + ": " + resumed.err());
            Map<String, TensorData> actual = Safetensors.read(run.resolve(TrainCommand.WEIGHTS_FILE)).tensors();
            assertEquals(expected.keySet(), actual.keySet(), where);
            for (String k : expected.keySet()) {
                assertArrayEquals(expected.get(k).toFloats(), actual.get(k).toFloats(), where + ": " + k);
            }
            JsonNode m = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile());
            assertEquals(wholeMetrics.get("final_eval"), m.get("final_eval"), where + ": final_eval");
            assertEquals(wholeMetrics.get("epochs").size(), m.get("epochs").size(), where);
            for (int e = 0; e < m.get("epochs").size(); e++) {
                for (String key : List.of("train_loss", "eval_loss", "eval_accuracy")) {
                    assertEquals(wholeMetrics.get("epochs").get(e).get(key), m.get("epochs").get(e).get(key),
                            where + ": epochs[" + e + "]." + key);
                }
            }
        }
    }

    /** Trains as floe train does, copying the checkpoint folder each time a checkpoint is complete (a kill then). */
    private List<Path> killedAfterEachCheckpoint(Path config) throws Exception {
        byte[] yaml = Files.readAllBytes(config);
        ExperimentConfig cfg = ExperimentConfig.parse(yaml, config.toString());
        List<Path> runs = new ArrayList<>();
        TrainingListener copier = new TrainingListener() {
            @Override
            public void checkpointSaved(Path checkpoint, long step) {
                Path run = dir.resolve("killed-after-step-" + step);
                copyTree(checkpoint.getParent(), run.resolve(TrainCommand.CHECKPOINTS));
                runs.add(run);
            }
        };
        try (Experiment experiment = PlanCommand.build(cfg, config)) {
            ExperimentData data = ExperimentData.load(cfg, PlanCommand.folderOf(config));
            String recipe = RunManifests.start("train", config.toString(), PlanCommand.folderOf(config), yaml, cfg,
                    experiment, data, null).recipeSha256();
            experiment.train(data, copier, dir.resolve("source").resolve(TrainCommand.CHECKPOINTS), false, recipe);
        }
        assertTrue(runs.size() > 1, "more than one checkpoint: " + runs);
        return runs;
    }

    private static Path newest(Path run) throws IOException {
        try (Stream<Path> files = Files.walk(run.resolve(TrainCommand.CHECKPOINTS))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().reduce((a, b) -> b)
                    .orElseThrow();
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
