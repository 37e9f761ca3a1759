package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.data.Examples;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerSpec;
import dev.floe.optim.OptimizerState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The LR range test sweeps exponentially, keeps the groups' scales, stops on divergence, suggests a
 * rate by its stated rule, and leaves weights and optimizer state bit-identical.
 */
class LrFinderTest {

    private static final OptimizerSpec ADAM = OptimizerSpec.adamW(1e-3);

    @Test
    void weightsAndOptimizerStateAreBitIdenticalAfterTheSweep() {
        try (ModelGraph g = TrainerTest.mlpGraph(1);
                GroupedOptimizer opt = GroupedOptimizer.of(ADAM)) {
            FreezePlan plan = FreezePolicy.builder().train("encoder/**", 0.1).train("head/**").build().resolve(g);
            plan.apply();
            opt.setGroups(plan.groups(ADAM));
            LrFinder.Batches batches = new LrFinder.Batches(Examples.of(TrainerTest.blobs(120, 1), "x"), "logits", 16,
                    plan.trainingContext(), 0, 5);
            // some training first, so the optimizer holds moments and step counts worth restoring
            for (int i = 0; i < 3; i++) {
                stepOnce(g, opt, batches);
            }
            Map<String, float[]> weights = snapshot(g);
            OptimizerState state = opt.exportState();
            assertTrue(state.steps().values().stream().allMatch(s -> s == 3), state.steps().toString());

            LrFinder.Result r = LrFinder.run(g, opt, batches, LrFinder.Settings.DEFAULT);

            assertTrue(r.points().size() > 20, "the sweep ran: " + r.points().size());
            Map<String, float[]> after = snapshot(g);
            for (String path : weights.keySet()) {
                assertArrayEquals(weights.get(path), after.get(path), path);
            }
            OptimizerState stateAfter = opt.exportState();
            assertEquals(state.steps(), stateAfter.steps());
            assertEquals(state.tensors().keySet(), stateAfter.tensors().keySet());
            state.tensors().forEach((k, v) -> assertArrayEquals(v, stateAfter.tensors().get(k), k));

            // and training goes on from there as if the sweep had not happened
            try (ModelGraph twin = TrainerTest.mlpGraph(1); GroupedOptimizer twinOpt = GroupedOptimizer.of(ADAM)) {
                FreezePlan twinPlan = FreezePolicy.builder().train("encoder/**", 0.1).train("head/**").build().resolve(twin);
                twinPlan.apply();
                twinOpt.setGroups(twinPlan.groups(ADAM));
                restore(twin, weights);
                twinOpt.importState(state);
                stepOnce(g, opt, batches);
                stepOnce(twin, twinOpt, new LrFinder.Batches(batches.train(), "logits", 16, twinPlan.trainingContext(), 0, 5));
                Map<String, float[]> a = snapshot(g);
                Map<String, float[]> b = snapshot(twin);
                a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k + ": no gradient was left behind by the sweep"));
            }
        }
    }

    @Test
    void theRateGrowsExponentiallyAndDivergenceStopsTheSweep() {
        try (ModelGraph g = TrainerTest.mlpGraph(2);
                GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.sgd(0.1, 0.0))) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            plan.apply();
            opt.setGroups(plan.groups(opt.spec()));
            LrFinder.Batches batches = new LrFinder.Batches(Examples.of(TrainerTest.blobs(120, 1), "x"), "logits", 16,
                    plan.trainingContext(), 0, 5);
            LrFinder.Settings s = new LrFinder.Settings(1e-4, 1e4, 100, 4, 0.9);
            LrFinder.Result r = LrFinder.run(g, opt, batches, s);
            assertTrue(r.diverged(), "plain SGD at rates up to 1e4 blows up");
            assertTrue(r.points().size() < 100, "stopped early at " + r.points().size());
            assertEquals(1e-4, r.points().get(0).lr(), 1e-16);
            double ratio = r.points().get(1).lr() / r.points().get(0).lr();
            for (int i = 2; i < r.points().size(); i++) {
                assertEquals(ratio, r.points().get(i).lr() / r.points().get(i - 1).lr(), 1e-9, "constant ratio");
            }
            assertEquals(Math.pow(1e8, 1.0 / 99), ratio, 1e-9);
            LrFinder.Point last = r.points().get(r.points().size() - 1);
            double best = r.points().stream().mapToDouble(LrFinder.Point::smoothedLoss).filter(Double::isFinite).min()
                    .orElseThrow();
            assertTrue(!Double.isFinite(last.loss()) || last.smoothedLoss() > 4 * best);
            assertTrue(r.suggestedLr() > 1e-4 && r.suggestedLr() < r.minLossLr(), r.toString());
            assertEquals(LrFinder.RULE, r.rule());
        }
    }

    @Test
    void theSuggestionIsTheSteepestFallOfTheSmoothedLossBeforeItsMinimum() {
        // loss over log10(lr) from -4 to 0: flat, then falls fastest around 1e-2, lowest at 1e-1, then rises
        List<LrFinder.Point> points = new ArrayList<>();
        for (int i = 0; i < 81; i++) {
            double x = -4 + i * 0.05;
            double loss = 2 - 1.5 / (1 + Math.exp(-4 * (x + 2))) + (x > -1 ? 3 * (x + 1) * (x + 1) : 0);
            points.add(new LrFinder.Point(i, Math.pow(10, x), loss, loss));
        }
        LrFinder.Result r = LrFinder.suggest(points, false, 0);
        assertEquals(-2, Math.log10(r.suggestedLr()), 0.06, r.toString());
        assertEquals(LrFinder.RULE, r.rule());
        assertEquals(r.minLossLr() / 10, r.minLossLrOver10(), 1e-15);

        List<LrFinder.Point> rising = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            rising.add(new LrFinder.Point(i, Math.pow(10, -5 + i * 0.1), 1 + i, 1 + i));
        }
        LrFinder.Result up = LrFinder.suggest(rising, true, 0);
        assertEquals(LrFinder.FALLBACK_RULE, up.rule());
        assertEquals(1e-6, up.suggestedLr(), 1e-18);
    }

    @Test
    void nothingToTrainAndBadSettingsAreRefusedWithTheReason() {
        try (ModelGraph g = TrainerTest.mlpGraph(1); GroupedOptimizer opt = GroupedOptimizer.of(ADAM)) {
            LrFinder.Batches batches = new LrFinder.Batches(Examples.of(TrainerTest.blobs(20, 1), "x"), "logits", 4,
                    dev.floe.nn.ForwardContext.INFERENCE, 0, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LrFinder.run(g, opt, batches, LrFinder.Settings.DEFAULT));
            assertTrue(e.getMessage().startsWith("nothing trains"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new LrFinder.Settings(1, 0.1, 100, 4, 0.98));
        assertThrows(IllegalArgumentException.class, () -> new LrFinder.Settings(1e-7, 10, 2, 4, 0.98));
        assertThrows(IllegalArgumentException.class, () -> new LrFinder.Settings(1e-7, 10, 100, 1, 0.98));
        assertEquals(10, new LrFinder.Settings(1e-7, 10, 100, 4, 0).lr(99), 1e-9, "the last step uses the end rate");
    }

    @Test
    void trainingAfterASweepIsBitIdenticalToTrainingWithoutOneDropoutIncluded() {
        Map<String, float[]> alone;
        try (ModelGraph g = dropoutGraph()) {
            train(g);
            alone = snapshot(g);
        }
        try (ModelGraph g = dropoutGraph(); GroupedOptimizer opt = GroupedOptimizer.of(ADAM);
                ai.djl.ndarray.NDManager m = g.manager().newSubManager()) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            plan.apply();
            opt.setGroups(plan.groups(ADAM));
            ai.djl.ndarray.NDArray x = m.ones(new ai.djl.ndarray.types.Shape(16, 8));
            dev.floe.engine.FloeEngine.seed(77);
            float[] drawnBefore = g.forward(Map.of("x", x), plan.trainingContext()).get("logits").toFloatArray();
            dev.floe.engine.FloeEngine.seed(77);
            LrFinder.run(g, opt, new LrFinder.Batches(Examples.of(TrainerTest.blobs(120, 1), "x"), "logits", 16,
                    plan.trainingContext(), 0, 5), new LrFinder.Settings(1e-5, 1, 30, 4, 0.98));
            float[] drawnAfter = g.forward(Map.of("x", x), plan.trainingContext()).get("logits").toFloatArray();
            assertTrue(!java.util.Arrays.equals(drawnBefore, drawnAfter),
                    "the sweep drew dropout masks, so the engine's generator is not where it was");

            train(g);
            alone.forEach((k, v) -> assertArrayEquals(v, g.parameters().get(k).toFloatArray(),
                    k + ": the trainer seeds the generator itself, so the sweep leaves no trace"));
        }
    }

    /** x (8) → an MLP head with dropout 0.5 → logits (3). */
    private static ModelGraph dropoutGraph() {
        return ModelGraph.builder()
                .input("x", dev.floe.graph.TensorSpec.of("[batch, 8]"))
                .add(dev.floe.components.MlpHead.of("head", 8, 32, 3, 0.5f))
                .wire("x", "head.in")
                .output("logits", "head.logits")
                .seed(3)
                .build();
    }

    private static void train(ModelGraph g) {
        try (Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g)).optimizer(ADAM).batchSize(16)
                .epochs(2).seed(9).build()) {
            t.fit(TrainerTest.blobs(120, 1), null);
        }
    }

    /** One plain step at the optimizer's own rate. */
    private static void stepOnce(ModelGraph g, GroupedOptimizer opt, LrFinder.Batches b) {
        try (ai.djl.ndarray.NDManager m = g.manager().newSubManager();
                ai.djl.training.GradientCollector gc = dev.floe.engine.FloeEngine.get().newGradientCollector()) {
            int[] idx = {0, 1, 2, 3, 4, 5, 6, 7};
            ai.djl.ndarray.NDArray logits = g.forward(b.train().inputs(m, idx), b.context(), List.of("logits")).get("logits");
            gc.backward(dev.floe.nn.Losses.crossEntropy(logits, b.train().labels(m, idx)));
        }
        opt.step(1.0);
    }

    private static Map<String, float[]> snapshot(ModelGraph g) {
        Map<String, float[]> s = new HashMap<>();
        g.parameters().forEach((k, p) -> s.put(k, p.toFloatArray()));
        return s;
    }

    private static void restore(ModelGraph g, Map<String, float[]> values) {
        g.parameters().forEach((k, p) -> p.load(values.get(k), p.shape().getShape()));
    }
}
