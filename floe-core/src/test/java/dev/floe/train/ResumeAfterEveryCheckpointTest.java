package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cache.FeatureCache;
import dev.floe.data.Dataset;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.io.AtomicFiles;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.EarlyStopping;
import dev.floe.schedule.LrSchedule;
import dev.floe.schedule.Schedule;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A progressive run (three stages, early stopping with best-epoch restore) on the stem-and-two-blocks
 * conv encoder, killed after each of its checkpoints in turn: every resumed run ends with the
 * uninterrupted run's weights, bit for bit, and its records (losses, accuracies, stage table, steps,
 * final evaluation).
 *
 * <p>A SIGKILL after a checkpoint leaves exactly the checkpoint folder as it was when the checkpoint
 * was named in {@code LATEST} (checkpoints are written atomically), so a copy of the folder taken
 * at that moment is what a killed run leaves behind.
 */
class ResumeAfterEveryCheckpointTest {

    private static final Dataset TRAIN = TrainerTest.images(40, 3);
    private static final Dataset EVAL = TrainerTest.images(24, 4);

    private static Schedule schedule(ModelGraph g) {
        return Schedule.progressive(g, "encoder", FreezePolicy.trainAll(), 2, 4, 0.1,
                new LrSchedule.WarmupCosine(2, 0.1), new EarlyStopping(EarlyStopping.EVAL_ACCURACY, 1, 0, true));
    }

    private static Trainer.Builder trainer(ModelGraph g, Path checkpoints, boolean cached) {
        Trainer.Builder b = Trainer.builder().graph(g).schedule(schedule(g)).optimizer(OptimizerSpec.adamW(5e-3))
                .batchSize(8).seed(11).checkpoints(checkpoints).runFingerprint("progressive");
        return cached ? b.featureCache(FeatureCache.inMemory(64L << 20)) : b;
    }

    private static Map<String, float[]> weights(ModelGraph g) {
        Map<String, float[]> w = new HashMap<>();
        g.parameters().forEach((k, p) -> w.put(k, p.toFloatArray()));
        return w;
    }

    @ParameterizedTest(name = "feature cache {0}")
    @ValueSource(booleans = {false, true})
    void aRunKilledAfterAnyCheckpointResumesToTheUninterruptedResult(boolean cached, @TempDir Path tmp) throws IOException {
        Path snapshots = tmp.resolve("snapshots");
        List<Path> killedRuns = new ArrayList<>();
        TrainingListener copier = new TrainingListener() {
            @Override
            public void checkpointSaved(Path checkpoint, long step) {
                Path copy = snapshots.resolve("after-step-" + step);
                copyTree(checkpoint.getParent(), copy);
                killedRuns.add(copy);
            }
        };
        TrainResult full;
        Map<String, float[]> uninterrupted;
        EvalResult ofFinalWeights;
        try (ModelGraph g = StagedTrainingTest.convGraph(2);
                Trainer t = trainer(g, tmp.resolve("whole"), cached).listener(copier).build()) {
            full = t.run(TRAIN, EVAL);
            uninterrupted = weights(g);
            ofFinalWeights = t.evaluate(EVAL);
        }
        // the run must exercise what a resume has to restore: stage boundaries, early stops, restored best weights
        assertEquals(3, full.stages().size());
        assertTrue(full.stages().stream().anyMatch(StageResult::stoppedEarly), "some stage stops early: " + full.stages());
        assertTrue(full.stages().get(2).restoredBest(), "the last stage restores its best epoch: " + full.stages());
        assertEquals(full.epochs().size(), killedRuns.size(), "one checkpoint per epoch");

        // the reported final evaluation is that of the weights the run ends with
        assertNotNull(full.finalEval());
        assertEquals(ofFinalWeights.accuracy(), full.finalEval().accuracy(), 0.0);
        assertEquals(ofFinalWeights.loss(), full.finalEval().loss(), 0.0);

        for (Path killed : killedRuns) {
            String where = killed.getFileName().toString();
            try (ModelGraph g = StagedTrainingTest.convGraph(2);
                    Trainer t = trainer(g, killed, cached).resume(true).build()) {
                TrainResult resumed = t.run(TRAIN, EVAL);
                Map<String, float[]> w = weights(g);
                for (Map.Entry<String, float[]> e : uninterrupted.entrySet()) {
                    assertArrayEquals(e.getValue(), w.get(e.getKey()), where + ": " + e.getKey());
                }
                assertSameRecords(full, resumed, where);
                if (cached) {
                    assertTrue(t.optimizer().stateBytes() > 0, where + ": the optimizer state is restored");
                }
            }
        }
    }

    static void assertSameRecords(TrainResult a, TrainResult b, String where) {
        assertEquals(a.steps(), b.steps(), where + ": steps");
        assertEquals(a.epochs().size(), b.epochs().size(), where + ": epochs");
        for (int i = 0; i < a.epochs().size(); i++) {
            EpochMetrics x = a.epochs().get(i);
            EpochMetrics y = b.epochs().get(i);
            assertEquals(x.epoch(), y.epoch(), where + ": epoch " + i);
            assertEquals(x.trainLoss(), y.trainLoss(), 0.0, where + ": train loss of epoch " + i);
            assertEquals(x.trainAccuracy(), y.trainAccuracy(), 0.0, where + ": train accuracy of epoch " + i);
            assertEquals(x.evalLoss(), y.evalLoss(), 0.0, where + ": eval loss of epoch " + i);
            assertEquals(x.evalAccuracy(), y.evalAccuracy(), 0.0, where + ": eval accuracy of epoch " + i);
        }
        assertEquals(a.stages().size(), b.stages().size(), where + ": stages");
        for (int i = 0; i < a.stages().size(); i++) {
            StageResult x = a.stages().get(i);
            StageResult y = b.stages().get(i);
            String s = where + ": stage " + x.name();
            assertEquals(x.name(), y.name(), s);
            assertEquals(x.epochs().size(), y.epochs().size(), s + " epochs");
            assertEquals(x.bestMetric(), y.bestMetric(), 0.0, s + " best");
            assertEquals(x.bestEpoch(), y.bestEpoch(), s + " best epoch");
            assertEquals(x.stoppedEarly(), y.stoppedEarly(), s + " stopped early");
            assertEquals(x.restoredBest(), y.restoredBest(), s + " restored");
            assertEquals(x.steps(), y.steps(), s + " steps");
            assertEquals(x.trainableParams(), y.trainableParams(), s + " trainable");
        }
        assertEquals(a.finalEval(), b.finalEval(), where + ": final evaluation");
        assertTrue(b.trainSeconds() > 0, where + ": training time covers the epochs before the kill");
    }

    private static void copyTree(Path from, Path to) {
        try {
            AtomicFiles.copyTree(from, to);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
