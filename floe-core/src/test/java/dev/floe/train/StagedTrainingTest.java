package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.floe.components.Mlp;
import dev.floe.components.MlpHead;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePolicy;
import dev.floe.freeze.FreezeRule;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.EarlyStopping;
import dev.floe.schedule.LrSchedule;
import dev.floe.schedule.Schedule;
import dev.floe.schedule.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedTrainingTest {

    /**
     * The transfer demo's conv encoder (BatchNorm throughout) plus an MLP head with dropout: every
     * source of state a resume must restore.
     */
    static ModelGraph convGraph(long seed) {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 12, 12]"))
                .add(TrainerTest.demoEncoder())
                .add(MlpHead.of("head", TrainerTest.DEMO_WIDTHS[TrainerTest.DEMO_WIDTHS.length - 1], 16, 2, 0.3f))
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    static ModelGraph mlpGraph(long seed) {
        return ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(Mlp.builder().name("encoder").inputs(8).hidden(16).outputs(16).build())
                .add(Mlp.builder().name("head").inputs(16).outputs(3).build())
                .wire("x", "encoder.in")
                .wire("encoder.out", "head.in")
                .output("logits", "head.out")
                .seed(seed)
                .build();
    }

    private static Schedule progressive(ModelGraph g) {
        return Schedule.progressive(g, "encoder", FreezePolicy.trainAll(), 2, 2, 0.1, new LrSchedule.WarmupCosine(2, 0.1), null);
    }

    private static Map<String, float[]> snapshot(ModelGraph g) {
        Map<String, float[]> s = new HashMap<>();
        g.parameters().forEach((k, p) -> s.put(k, p.toFloatArray()));
        return s;
    }

    private static Trainer.Builder trainer(ModelGraph g, Schedule s) {
        return Trainer.builder().graph(g).schedule(s).optimizer(OptimizerSpec.adamW(5e-3)).batchSize(8).seed(11);
    }

    @Test
    void progressiveUnfreezingTrainsOneMoreBlockPerStageAndNeverTouchesTheRest() {
        try (ModelGraph g = convGraph(1)) {
            Map<String, float[]> before = snapshot(g);
            Schedule s = progressive(g);
            assertEquals(List.of("head", "unfreeze-block2", "unfreeze-block1"), s.stages().stream().map(Stage::name).toList());
            TrainResult r;
            try (Trainer t = trainer(g, s).build()) {
                r = t.run(TrainerTest.images(48, 1), TrainerTest.images(32, 2));
            }
            assertEquals(3, r.stages().size());
            assertTrue(r.stages().get(0).trainableParams() < r.stages().get(1).trainableParams());
            assertTrue(r.stages().get(1).trainableParams() < r.stages().get(2).trainableParams());
            for (Param p : g.parameters().values()) {
                boolean same = java.util.Arrays.equals(before.get(p.path()), p.toFloatArray());
                if (p.path().startsWith("encoder/stem/")) {
                    assertTrue(same, p.path() + " is frozen in every stage");
                } else if (!p.kind().isBuffer()) {
                    assertFalse(same, p.path() + " trains in some stage");
                }
            }
        }
    }

    @Test
    void aRunKilledInsideAStageThatJustUnfrozeAndResumedEqualsAnUninterruptedOne(@TempDir Path tmp) {
        Dataset train = TrainerTest.images(40, 3);
        Dataset eval = TrainerTest.images(16, 4);
        Map<String, float[]> uninterrupted;
        TrainResult full;
        try (ModelGraph g = convGraph(2); Trainer t = trainer(g, progressive(g)).checkpoints(tmp.resolve("a")).build()) {
            full = t.run(train, eval);
            uninterrupted = snapshot(g);
        }
        Path dir = tmp.resolve("b");
        // stage 2 ("unfreeze-block2") has just unfrozen block2; die in its second epoch, mid-epoch
        TrainingListener killer = new TrainingListener() {
            int epochsStarted;

            @Override
            public void epochStarted(int epoch, int epochs, int batches) {
                epochsStarted++;
            }

            @Override
            public void batchFinished(int epoch, int batch, int batches, double loss, double acc, double eps) {
                if (epochsStarted == 4 && batch == 3) {
                    throw new IllegalStateException("simulated kill");
                }
            }
        };
        try (ModelGraph g = convGraph(2); Trainer t = trainer(g, progressive(g)).checkpoints(dir).listener(killer).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.run(train, eval));
            assertEquals("simulated kill", e.getMessage());
        }
        TrainResult resumed;
        try (ModelGraph g = convGraph(2); Trainer t = trainer(g, progressive(g)).checkpoints(dir).resume(true).build()) {
            resumed = t.run(train, eval);
            for (Map.Entry<String, float[]> e : uninterrupted.entrySet()) {
                assertArrayEquals(e.getValue(), g.parameters().get(e.getKey()).toFloatArray(), e.getKey());
            }
        }
        assertEquals(full.steps(), resumed.steps());
        assertEquals(full.stages().size(), resumed.stages().size());
        for (int i = 0; i < full.epochs().size(); i++) {
            assertEquals(full.epochs().get(i).trainLoss(), resumed.epochs().get(i).trainLoss(), 0.0, "epoch " + i);
        }
    }

    @Test
    void resumeRefusesAnotherRunsCheckpointAndACorruptedOne(@TempDir Path tmp) throws Exception {
        Dataset train = TrainerTest.images(16, 3);
        try (ModelGraph g = convGraph(2); Trainer t = trainer(g, progressive(g)).checkpoints(tmp).runFingerprint("A").build()) {
            t.run(train, null);
        }
        try (ModelGraph g = convGraph(2); Trainer t = trainer(g, progressive(g)).checkpoints(tmp).resume(true).runFingerprint("B").build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.run(train, null));
            assertTrue(e.getMessage().contains("made by a different run (fingerprint A, this run B)"), e.getMessage());
        }
        String latest = Files.readString(tmp.resolve("LATEST")).trim();
        Path weights = tmp.resolve(latest).resolve("weights.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        try (ModelGraph g = convGraph(2); Trainer t = trainer(g, progressive(g)).checkpoints(tmp).resume(true).runFingerprint("A").build()) {
            float[] before = g.parameters().get("encoder/stem/conv/weight").toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.run(train, null));
            assertTrue(e.getMessage().contains("weights.safetensors is corrupted"), e.getMessage());
            assertArrayEquals(before, g.parameters().get("encoder/stem/conv/weight").toFloatArray(), "nothing loaded");
        }
    }

    @Test
    void perGroupLearningRatesShowInMeasuredUpdateToGradientRatios() {
        Dataset data = TrainerTest.blobs(24, 5);
        try (ModelGraph g = mlpGraph(3)) {
            Map<String, float[]> grads = fullBatchGradients(g, data);
            Map<String, float[]> before = snapshot(g);
            FreezePolicy policy = FreezePolicy.builder().train("encoder", 0.1).train("head", 1.0).build();
            double lr = 0.5;
            try (Trainer t = Trainer.builder().plan(policy.resolve(g)).optimizer(new OptimizerSpec.Sgd(lr, 0, 0))
                    .batchSize(data.size()).epochs(1).seed(1).build()) {
                t.run(data, null);
            }
            for (String path : List.of("encoder/fc1/weight", "encoder/out/weight", "head/out/weight", "head/out/bias")) {
                double expected = path.startsWith("encoder") ? lr * 0.1 : lr;
                float[] g0 = grads.get(path);
                float[] w0 = before.get(path);
                float[] w1 = g.parameters().get(path).toFloatArray();
                int k = argMaxAbs(g0);
                double ratio = (w0[k] - w1[k]) / g0[k];
                assertEquals(expected, ratio, expected * 1e-3, path);
            }
        }
    }

    private static int argMaxAbs(float[] a) {
        int k = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i]) > Math.abs(a[k])) {
                k = i;
            }
        }
        return k;
    }

    /** Gradients of the mean cross-entropy over the whole data set, computed by hand. */
    private static Map<String, float[]> fullBatchGradients(ModelGraph g, Dataset data) {
        FreezePolicy.trainAll().resolve(g).apply();
        Map<String, float[]> out = new HashMap<>();
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        try (NDManager m = g.manager().newSubManager()) {
            NDArray x = m.create(data.gatherFeatures(all), new Shape(data.size(), 8));
            long[] y = new long[data.size()];
            for (int i = 0; i < y.length; i++) {
                y[i] = data.label(i);
            }
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray logits = g.forward(Map.of("x", x), ForwardContext.INFERENCE).get("logits");
                gc.backward(Trainer.crossEntropy(logits, m.create(y)));
            }
            for (Param p : g.parameters().values()) {
                try (NDArray grad = p.array().getGradient()) {
                    out.put(p.path(), grad.toFloatArray());
                    grad.subi(grad);
                }
            }
        }
        return out;
    }

    @Test
    void gradientAccumulationOfTwoHalfBatchesEqualsOneFullBatch() {
        Dataset data = TrainerTest.blobs(32, 6);
        Map<String, float[]> whole;
        try (ModelGraph g = mlpGraph(4); Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g))
                .optimizer(new OptimizerSpec.Sgd(0.3, 0.9, 0)).batchSize(16).epochs(2).seed(2).build()) {
            t.run(data, null);
            whole = snapshot(g);
        }
        try (ModelGraph g = mlpGraph(4); Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g))
                .optimizer(new OptimizerSpec.Sgd(0.3, 0.9, 0)).batchSize(8).gradientAccumulation(2).epochs(2).seed(2).build()) {
            TrainResult r = t.run(data, null);
            assertEquals(4, r.steps(), "32 examples, 4 batches of 8, a step every 2 batches, 2 epochs");
            for (Map.Entry<String, float[]> e : whole.entrySet()) {
                float[] got = g.parameters().get(e.getKey()).toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(e.getValue()[i], got[i], 1e-5, e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void earlyStoppingRestoresTheBestWeights() {
        Dataset train = TrainerTest.blobs(30, 7);
        Dataset eval = TrainerTest.blobs(60, 8);
        try (ModelGraph g = mlpGraph(5)) {
            EarlyStopping es = new EarlyStopping(EarlyStopping.EVAL_LOSS, 2, 0.0, true);
            Stage stage = new Stage("fit", FreezePolicy.trainAll(), 30, LrSchedule.constant(), es);
            try (Trainer t = Trainer.builder().graph(g).schedule(Schedule.single(stage))
                    .optimizer(OptimizerSpec.adamW(0.2)).batchSize(5).seed(3).build()) {
                TrainResult r = t.run(train, eval);
                StageResult s = r.stages().get(0);
                assertTrue(s.stoppedEarly(), "a large learning rate on 30 examples overfits before 30 epochs");
                assertTrue(s.restoredBest(), "the best epoch was not the last one");
                assertEquals(s.bestMetric(), t.evaluate(eval).loss(), 1e-6, "after restoring, the metric is the best one");
            }
        }
    }

    @Test
    void multiTaskTrainsTwoHeadsOnAFrozenSharedEncoderAndReportsEachTask() {
        Dataset three = TrainerTest.blobs(60, 9);
        // a second task on the same features: is the blob index even?
        int[] parity = new int[three.size()];
        int[] all = new int[three.size()];
        for (int i = 0; i < parity.length; i++) {
            parity[i] = three.label(i) % 2;
            all[i] = i;
        }
        Dataset two = Dataset.of("parity", new long[] {8}, three.gatherFeatures(all), parity, 2);
        try (ModelGraph g = ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(Mlp.builder().name("encoder").inputs(8).hidden(16).outputs(16).build())
                .add(dev.floe.components.LinearHead.of("blobs", 16, 3))
                .add(dev.floe.components.LinearHead.of("parity", 16, 2))
                .wire("x", "encoder.in")
                .wire("encoder.out", "blobs.in")
                .wire("encoder.out", "parity.in")
                .output("blob_logits", "blobs.logits")
                .output("parity_logits", "parity.logits")
                .seed(7)
                .build()) {
            Map<String, float[]> before = snapshot(g);
            FreezePolicy policy = FreezePolicy.builder().freeze("encoder").build();
            try (Trainer t = Trainer.builder().plan(policy.resolve(g)).optimizer(OptimizerSpec.adamW(0.05))
                    .batchSize(10).epochs(15).seed(1).build()) {
                TrainResult r = t.run(List.of(
                        new Task("blobs", "x", "blob_logits", three, three, 1.0),
                        new Task("parity", "x", "parity_logits", two, two, 0.5)));
                EpochMetrics last = r.epochs().get(r.epochs().size() - 1);
                assertEquals(List.of("blobs", "parity"), last.tasks().stream().map(TaskMetrics::task).toList());
                assertTrue(last.tasks().get(0).evalAccuracy() > 0.8, "blobs: " + last.tasks().get(0));
                assertTrue(last.tasks().get(1).evalAccuracy() > 0.6, "parity: " + last.tasks().get(1));
                assertEquals(last.tasks().get(0).trainLoss() + 0.5 * last.tasks().get(1).trainLoss(), last.trainLoss(), 1e-5);
            }
            for (Param p : g.parameters().values()) {
                boolean same = java.util.Arrays.equals(before.get(p.path()), p.toFloatArray());
                assertEquals(p.path().startsWith("encoder/"), same, p.path());
            }
        }
    }

    @Test
    void aStepBudgetEndsTheStageMidEpoch() {
        try (ModelGraph g = mlpGraph(8)) {
            Schedule s = new Schedule(List.of(
                    new Stage("head", FreezePolicy.builder().freeze("encoder").build(), 5, LrSchedule.constant(), null, 7),
                    Stage.of("all", FreezePolicy.trainAll(), 1)));
            try (Trainer t = Trainer.builder().graph(g).schedule(s).optimizer(OptimizerSpec.adamW(1e-2)).batchSize(4).seed(1).build()) {
                TrainResult r = t.run(TrainerTest.blobs(20, 2), null);
                assertEquals(7, r.stages().get(0).steps(), "5 steps per epoch, budget 7: one full epoch and 2 steps");
                assertEquals(2, r.stages().get(0).epochs().size());
                assertEquals(5, r.stages().get(1).steps());
                assertEquals(12, r.steps());
            }
        }
    }

    @Test
    void badSchedulesFailBeforeTraining() {
        try (ModelGraph g = mlpGraph(6)) {
            Schedule same = new Schedule(List.of(
                    Stage.of("a", FreezePolicy.builder().freeze("encoder").build(), 1),
                    Stage.of("b", FreezePolicy.builder().freeze("encoder").build(), 1)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.builder().graph(g).schedule(same).optimizer(OptimizerSpec.adamW(1e-3)).build());
            assertTrue(e.getMessage().startsWith("stage b changes nothing"), e.getMessage());
            Schedule typo = Schedule.single(Stage.of("a", new FreezePolicy(List.of(FreezeRule.freeze("encodr/**"))), 1));
            e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.builder().graph(g).schedule(typo).optimizer(OptimizerSpec.adamW(1e-3)).build());
            assertTrue(e.getMessage().startsWith("stage a: rule #1 'freeze encodr/**' matches no parameter"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new EarlyStopping("accuracy", 2, 0, true));
            assertThrows(IllegalArgumentException.class, () -> Stage.of("x", FreezePolicy.trainAll(), 0));
        }
    }
}
