package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.run.Experiment;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import dev.floe.run.RunManifests;
import dev.floe.train.EvalResult;
import dev.floe.train.Trainer;
import dev.floe.train.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code floe train --resume} on a progressive run (three stages, early stopping that restores the
 * best epoch, feature cache on): killed after any checkpoint — stage boundaries included — the
 * resumed run writes the uninterrupted run's weights and metrics; a finished run is left alone;
 * the reported accuracy is that of the saved weights.
 */
class ResumeCommandTest {

    /** examples/progressive.yaml at a size that keeps the test quick: 8 images per class, narrow encoder. */
    static final String PROGRESSIVE = """
            seed: 42
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              test:  {images: fashion-mnist/test-images-idx3-ubyte.gz, labels: fashion-mnist/test-labels-idx1-ubyte.gz}
              num_classes: 10
              classes: [5, 6, 7, 8, 9]
              per_class: 8
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, input: [1, 28, 28], widths: [8, 8, 8]}
                - {name: head, type: linear_head, features: 8, classes: 5}
              wires:
                - {from: image, to: encoder.in}
                - {from: encoder.features, to: head.in}
              outputs: {logits: head.logits}
            progressive:
              component: encoder
              layers: 2
              epochs_per_stage: 5
              lr_scale: 0.1
              lr_schedule: {type: slanted_triangular, cut_fraction: 0.2, ratio: 8}
              early_stopping: {metric: eval_accuracy, patience: 1, restore_best: true}
            optimizer: {type: adamw, lr: 0.005, weight_decay: 0.01}
            training: {batch_size: 10, clip_grad_norm: 5.0}
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path config;
    static Path whole;
    static JsonNode wholeMetrics;

    @BeforeAll
    static void trainTheUninterruptedRun() throws Exception {
        config = tmp.resolve("progressive.yaml");
        Files.writeString(config, PROGRESSIVE);
        whole = tmp.resolve("whole");
        Result r = floe("train", config.toString(), "--out", whole.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        wholeMetrics = JSON.readTree(whole.resolve(TrainCommand.METRICS_FILE).toFile());
    }

    /**
     * Runs the config through the library as {@code floe train} does, copying the run's checkpoint
     * folder each time a checkpoint is complete: each copy is what a SIGKILL at that moment leaves.
     */
    private static List<Path> killedAfterEachCheckpoint() throws Exception {
        byte[] yaml = Files.readAllBytes(config);
        ExperimentConfig cfg = ExperimentConfig.parse(yaml, config.toString());
        List<Path> runs = new ArrayList<>();
        TrainingListener copier = new TrainingListener() {
            @Override
            public void checkpointSaved(Path checkpoint, long step) {
                Path run = tmp.resolve("killed-after-step-" + step);
                copyTree(checkpoint.getParent(), run.resolve(TrainCommand.CHECKPOINTS));
                runs.add(run);
            }
        };
        try (Experiment experiment = PlanCommand.build(cfg, config)) {
            ExperimentData data = ExperimentData.load(cfg, PlanCommand.folderOf(config));
            // floe train identifies a run's checkpoints by its manifest's recipe hash
            String recipe = RunManifests.start("train", config.toString(), PlanCommand.folderOf(config), yaml, cfg,
                    experiment, data, null).recipeSha256();
            experiment.train(data, copier, tmp.resolve("source").resolve(TrainCommand.CHECKPOINTS), false, recipe);
        }
        return runs;
    }

    @Test
    void aRunKilledAfterAnyCheckpointResumesToTheSameWeightsAndMetrics() throws Exception {
        JsonNode stages = wholeMetrics.get("stages");
        assertEquals(3, stages.size());
        boolean stoppedEarly = false;
        for (JsonNode st : stages) {
            stoppedEarly |= st.get("stopped_early").asBoolean();
        }
        assertTrue(stoppedEarly, "some stage stops early, so resumes cross early stops: " + stages);

        List<Path> killed = killedAfterEachCheckpoint();
        assertEquals(wholeMetrics.get("epochs").size(), killed.size(), "one checkpoint per epoch");
        Map<String, TensorData> expected = Safetensors.read(whole.resolve(TrainCommand.WEIGHTS_FILE)).tensors();
        for (Path run : killed) {
            String where = run.getFileName().toString();
            Result r = floe("train", config.toString(), "--resume", run.toString(), "--no-progress");
            assertEquals(0, r.code(), where + ": " + r.err());
            Map<String, TensorData> actual = Safetensors.read(run.resolve(TrainCommand.WEIGHTS_FILE)).tensors();
            assertEquals(expected.keySet(), actual.keySet(), where);
            for (String k : expected.keySet()) {
                assertArrayEquals(expected.get(k).toFloats(), actual.get(k).toFloats(), where + ": " + k);
            }
            JsonNode m = JSON.readTree(run.resolve(TrainCommand.METRICS_FILE).toFile());
            assertEquals(wholeMetrics.get("final_eval"), m.get("final_eval"), where + ": final_eval");
            assertEquals(wholeMetrics.get("steps"), m.get("steps"), where + ": steps");
            assertEquals(wholeMetrics.get("optimizer").get("state_bytes"), m.get("optimizer").get("state_bytes"),
                    where + ": optimizer state bytes");
            for (int i = 0; i < stages.size(); i++) {
                for (String key : List.of("name", "epochs", "eval_accuracy_per_epoch", "train_loss_per_epoch",
                        "best_metric", "best_epoch", "stopped_early", "restored_best", "steps", "trainable_params")) {
                    assertEquals(stages.get(i).get(key), m.get("stages").get(i).get(key), where + ": stages[" + i + "]." + key);
                }
            }
            assertTrue(m.get("train_seconds").asDouble() > 0, where + ": train_seconds covers the whole run");
        }
    }

    @Test
    void resumingAFinishedRunIsRefusedAndLeavesItsResultsAlone() throws Exception {
        byte[] metrics = Files.readAllBytes(whole.resolve(TrainCommand.METRICS_FILE));
        byte[] weights = Files.readAllBytes(whole.resolve(TrainCommand.WEIGHTS_FILE));
        Result r = floe("train", config.toString(), "--resume", whole.toString(), "--no-progress");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("floe: --resume " + whole + ": the run has finished"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertArrayEquals(metrics, Files.readAllBytes(whole.resolve(TrainCommand.METRICS_FILE)));
        assertArrayEquals(weights, Files.readAllBytes(whole.resolve(TrainCommand.WEIGHTS_FILE)));
    }

    @Test
    void theReportedAccuracyIsThatOfTheSavedWeights() throws Exception {
        JsonNode last = wholeMetrics.get("stages").get(2);
        JsonNode perEpoch = last.get("eval_accuracy_per_epoch");
        double reported = wholeMetrics.get("final_eval").get("accuracy").asDouble();
        if (last.get("restored_best").asBoolean()) {
            assertEquals(perEpoch.get(last.get("best_epoch").asInt() - 1).asDouble(), reported, 0.0);
        } else {
            assertEquals(perEpoch.get(perEpoch.size() - 1).asDouble(), reported, 0.0);
        }
        // and evaluating the saved weights gives it
        Path eval = tmp.resolve("evaluate.yaml");
        Files.writeString(eval, PROGRESSIVE.replace("  outputs: {logits: head.logits}\n",
                "  outputs: {logits: head.logits}\n  init: [{path: " + whole.resolve(TrainCommand.WEIGHTS_FILE).toAbsolutePath()
                        + "}]\n"));
        ExperimentConfig cfg = ExperimentConfig.parse(Files.readAllBytes(eval), eval.toString());
        try (Experiment experiment = PlanCommand.build(cfg, eval);
                Trainer trainer = Trainer.builder().graph(experiment.graph()).schedule(experiment.schedule())
                        .optimizer(experiment.optimizer()).build()) {
            ExperimentData data = ExperimentData.load(cfg, PlanCommand.folderOf(eval));
            EvalResult saved = trainer.evaluate(data.eval(), "logits");
            assertEquals(saved.accuracy(), reported, 0.0);
            assertEquals(saved.loss(), wholeMetrics.get("final_eval").get("loss").asDouble(), 1e-6);
        }
    }

    @Test
    void aPolicyThatFreezesEverythingIsAConfigErrorInPlanAndTrain() throws Exception {
        Path frozen = tmp.resolve("frozen.yaml");
        Files.writeString(frozen, PROGRESSIVE.replaceAll("(?s)progressive:.*?optimizer:",
                "policy:\n  - freeze: \"**\"\noptimizer:").replace("training: {batch_size: 10,", "training: {epochs: 2, batch_size: 10,"));
        Result plan = floe("plan", frozen.toString());
        assertEquals(2, plan.code(), plan.out());
        assertTrue(plan.err().contains("policy") && plan.err().contains("freezes every parameter"), plan.err());
        Path out = tmp.resolve("frozen-run");
        Result train = floe("train", frozen.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(2, train.code(), train.out());
        assertEquals(1, train.err().strip().lines().count(), train.err());
        assertTrue(train.err().contains(frozen.toString()) && train.err().contains("freezes every parameter"), train.err());
        assertFalse(Files.exists(out), "no run folder is left behind");
    }

    private static void copyTree(Path from, Path to) {
        try {
            AtomicFiles.copyTree(from, to);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
