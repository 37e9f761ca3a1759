package dev.floe.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.floe.engine.FloeEngine;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GroupedOptimizerTest {

    private static final double LR = 0.01;
    private static final int EARLY_STEPS = 200;

    static Stream<OptimizerSpec> specs() {
        return Stream.of(OptimizerSpec.adamW(0.01), OptimizerSpec.sgd(0.05, 0.9), OptimizerSpec.sgd(0.05, 0));
    }

    @Test
    void lateUnfrozenParameterTakesAFullFirstAdamStep() {
        OptimizerSpec.AdamW spec = new OptimizerSpec.AdamW(LR, 0.9, 0.999, 1e-8, 0.0);
        try (Fixture f = new Fixture(11); GroupedOptimizer opt = GroupedOptimizer.of(spec)) {
            Param a = f.trainable("a", 4);
            Param b = f.frozen("b", 4);
            ParamGroup early = new ParamGroup("early", List.of(a), 1.0, 0.0);
            opt.setGroups(List.of(early));
            for (int s = 0; s < EARLY_STEPS; s++) {
                f.backward(Map.of(a, Fixture.coefficients(4, s)), true);
                opt.step(1.0);
            }
            OptimizerState beforeUnfreeze = opt.exportState();

            b.setTrainable(true);
            opt.setGroups(List.of(early, new ParamGroup("late", List.of(b), 1.0, 0.0)));

            // a keeps its moments and count; b starts from zero
            OptimizerState afterUnfreeze = opt.exportState();
            assertArrayEquals(beforeUnfreeze.tensors().get("net/a#m"), afterUnfreeze.tensors().get("net/a#m"));
            assertArrayEquals(beforeUnfreeze.tensors().get("net/a#v"), afterUnfreeze.tensors().get("net/a#v"));
            assertEquals(EARLY_STEPS, opt.stepCount(a));
            assertEquals(0, opt.stepCount(b));
            assertArrayEquals(new float[4], afterUnfreeze.tensors().get("net/b#m"));

            float[] bBefore = b.toFloatArray();
            // loss = sum(b) + Σ c·a: b's gradient is exactly 1
            f.backward(Map.of(b, Fixture.filled(4, 1f), a, Fixture.coefficients(4, EARLY_STEPS)), false);
            opt.step(1.0);
            float[] bAfter = b.toFloatArray();

            assertEquals(EARLY_STEPS + 1, opt.stepCount(a));
            assertEquals(1, opt.stepCount(b));

            // With a step count shared by all parameters (DJL's Adam), b's first update would use
            // t = 201: m = 0.1, v = 0.001, mhat = 0.1 / (1 - 0.9^201) ≈ 0.1,
            // vhat = 0.001 / (1 - 0.999^201) ≈ 0.00549, so the step would be ≈ 1.35 × lr.
            int sharedT = EARLY_STEPS + 1;
            double m = 1 - spec.beta1();
            double v = 1 - spec.beta2();
            double mhat = m / (1 - Math.pow(spec.beta1(), sharedT));
            double vhat = v / (1 - Math.pow(spec.beta2(), sharedT));
            double wrongStep = LR * mhat / (Math.sqrt(vhat) + spec.eps());
            assertTrue(wrongStep > 1.3 * LR, "the shared-count step would be " + wrongStep / LR + " × lr");

            for (int i = 0; i < 4; i++) {
                double change = bBefore[i] - bAfter[i];
                // own count t = 1: mhat = g = 1, vhat = g² = 1, step = lr / (1 + eps)
                assertEquals(LR, change, 1e-6, "element " + i);
                assertTrue(Math.abs(change - wrongStep) > 0.3 * LR, "element " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("specs")
    void frozenParametersNeverChangeAndHoldNoState(OptimizerSpec spec) {
        try (Fixture f = new Fixture(3); GroupedOptimizer opt = GroupedOptimizer.of(spec)) {
            Param w = f.trainable("w", 3, 4);
            Param b = f.trainable("b", 3);
            Param frozen = f.frozen("frozen", 5);
            float[] frozenStart = frozen.toFloatArray();
            float[] wStart = w.toFloatArray();
            opt.setGroups(List.of(ParamGroup.of("all", List.of(w, b), spec)));

            long trainableValues = w.size() + b.size();
            assertEquals(spec.stateBytesPerParameter() * trainableValues, opt.stateBytes());
            assertEquals(Set.of("net/w", "net/b"), opt.paramsWithState());

            for (int s = 0; s < 100; s++) {
                // the frozen parameter takes part in the loss but has no gradient
                f.backward(
                        Map.of(w, Fixture.coefficients(12, s), b, Fixture.coefficients(3, s + 7),
                                frozen, Fixture.coefficients(5, s)),
                        true);
                opt.step(1.0);
            }

            assertArrayEquals(frozenStart, frozen.toFloatArray());
            assertFalse(java.util.Arrays.equals(wStart, w.toFloatArray()), "the trainable weight moved");
            assertEquals(100, opt.stepCount(w));
            assertEquals(spec.stateBytesPerParameter() * trainableValues, opt.stateBytes());
            assertFalse(opt.paramsWithState().contains(frozen.path()));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> opt.stepCount(frozen));
            assertTrue(e.getMessage().contains("net/frozen"), e.getMessage());
        }
    }

    @Test
    void stateBytesAreEightFourOrZeroPerTrainableValue() {
        assertEquals(8, OptimizerSpec.adamW(1e-3).stateBytesPerParameter());
        assertEquals(4, OptimizerSpec.sgd(0.1, 0.9).stateBytesPerParameter());
        assertEquals(0, OptimizerSpec.sgd(0.1, 0).stateBytesPerParameter());
    }

    static Stream<Arguments> sgdCases() {
        return Stream.of(
                Arguments.of(0.0, 0.0), Arguments.of(0.9, 0.0), Arguments.of(0.0, 0.1), Arguments.of(0.9, 0.1));
    }

    @ParameterizedTest(name = "momentum {0}, weight decay {1}")
    @MethodSource("sgdCases")
    void sgdMatchesHandComputation(double momentum, double weightDecay) {
        OptimizerSpec.Sgd spec = new OptimizerSpec.Sgd(0.1, momentum, weightDecay);
        double lrScale = 0.5;
        double lrFactor = 0.8;
        double lr = spec.lr() * lrScale * lrFactor;
        try (Fixture f = new Fixture(5); GroupedOptimizer opt = GroupedOptimizer.of(spec)) {
            Param w = f.trainable("w", 6);
            opt.setGroups(List.of(new ParamGroup("g", List.of(w), lrScale, weightDecay)));
            double[] expected = toDoubles(w.toFloatArray());
            double[] buffer = new double[6];
            for (int s = 0; s < 3; s++) {
                float[] c = Fixture.coefficients(6, s);
                f.backward(Map.of(w, c), true);
                opt.step(lrFactor);
                for (int i = 0; i < 6; i++) {
                    double g = c[i] + expected[i]; // d/dw (c·w + ½w²)
                    double gPrime = g + weightDecay * expected[i];
                    buffer[i] = s == 0 ? gPrime : momentum * buffer[i] + gPrime;
                    expected[i] -= lr * (momentum > 0 ? buffer[i] : gPrime);
                }
                assertArrayEquals(expected, toDoubles(w.toFloatArray()), 1e-6, "after step " + (s + 1));
            }
        }
    }

    @Test
    void adamWDecoupledDecayMatchesHandComputation() {
        OptimizerSpec.AdamW spec = new OptimizerSpec.AdamW(0.05, 0.9, 0.999, 1e-8, 0.1);
        double lrScale = 2.0;
        double lrFactor = 0.5;
        double weightDecay = 0.3;
        double lr = spec.lr() * lrScale * lrFactor;
        try (Fixture f = new Fixture(9); GroupedOptimizer opt = GroupedOptimizer.of(spec)) {
            Param w = f.trainable("w", 5);
            opt.setGroups(List.of(new ParamGroup("decayed", List.of(w), lrScale, weightDecay)));
            double[] expected = toDoubles(w.toFloatArray());
            double[] withoutDecay = expected.clone();
            double[] m = new double[5];
            double[] v = new double[5];
            for (int t = 1; t <= 3; t++) {
                float[] c = Fixture.coefficients(5, t);
                f.backward(Map.of(w, c), true);
                opt.step(lrFactor);
                for (int i = 0; i < 5; i++) {
                    double g = c[i] + expected[i];
                    m[i] = spec.beta1() * m[i] + (1 - spec.beta1()) * g;
                    v[i] = spec.beta2() * v[i] + (1 - spec.beta2()) * g * g;
                    double mhat = m[i] / (1 - Math.pow(spec.beta1(), t));
                    double vhat = v[i] / (1 - Math.pow(spec.beta2(), t));
                    double adam = lr * mhat / (Math.sqrt(vhat) + spec.eps());
                    withoutDecay[i] = expected[i] - adam;
                    expected[i] = expected[i] - adam - lr * weightDecay * expected[i];
                }
                double[] actual = toDoubles(w.toFloatArray());
                assertArrayEquals(expected, actual, 1e-6, "after step " + t);
                // the decay is visible: skipping it would miss by lr·wd·|w|, far above the tolerance
                double largestMiss = 0;
                for (int i = 0; i < 5; i++) {
                    largestMiss = Math.max(largestMiss, Math.abs(withoutDecay[i] - actual[i]));
                }
                assertTrue(largestMiss > 1e-3, "decay applied: " + largestMiss);
            }
            assertEquals(3, opt.stepCount(w));
        }
    }

    @Test
    void removingAParameterReleasesItsState() {
        try (Fixture f = new Fixture(1); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(LR))) {
            Param a = f.trainable("a", 8, 4);
            Param b = f.trainable("b", 16);
            opt.setGroups(List.of(ParamGroup.of("all", List.of(a, b), opt.spec())));
            f.backward(Map.of(a, Fixture.coefficients(32, 0), b, Fixture.coefficients(16, 0)), true);
            opt.step(1.0);
            assertEquals(8L * (32 + 16), opt.stateBytes());
            assertEquals(4, opt.liveArrays());

            opt.setGroups(List.of(ParamGroup.of("all", List.of(a), opt.spec())));
            assertEquals(8L * 32, opt.stateBytes());
            assertEquals(2, opt.liveArrays());
            assertEquals(Set.of("net/a"), opt.paramsWithState());
            assertEquals(1, opt.stepCount(a));
            assertThrows(IllegalArgumentException.class, () -> opt.stepCount(b));

            // coming back, b starts again from zero
            opt.setGroups(List.of(ParamGroup.of("all", List.of(a, b), opt.spec())));
            assertEquals(0, opt.stepCount(b));
            assertArrayEquals(new float[16], opt.exportState().tensors().get("net/b#v"));
            assertEquals(4, opt.liveArrays());
        }
    }

    @ParameterizedTest
    @MethodSource("specs")
    void nativeArraysDoNotGrowOverATrainingLoop(OptimizerSpec spec) {
        try (Fixture f = new Fixture(21); GroupedOptimizer opt = GroupedOptimizer.of(spec)) {
            Param weight = f.trainable("fc.weight", 4, 3); // (in, out)
            Param bias = f.trainable("fc.bias", 3);
            Param unused = f.frozen("unused", 3);
            opt.setGroups(
                    List.of(
                            new ParamGroup("weights", List.of(weight), 1.0, 0.01),
                            new ParamGroup("biases", List.of(bias), 2.0, 0.0)));
            float[] inputs = Fixture.coefficients(8 * 4, 99);
            float[] targets = Fixture.coefficients(8 * 3, 5);
            int baseline = f.liveArrays() + opt.liveArrays();
            float firstLoss = Float.NaN;
            float lastLoss = Float.NaN;
            for (int s = 0; s < 500; s++) {
                try (NDManager batch = f.model.newSubManager()) {
                    NDArray x = batch.create(inputs, new Shape(8, 4)); // (B, in)
                    NDArray y = batch.create(targets, new Shape(8, 3)); // (B, out)
                    try (GradientCollector collector = FloeEngine.get().newGradientCollector()) {
                        NDArray out = x.dot(weight.array()).add(bias.array()); // (B, out)
                        NDArray loss = out.sub(y).square().mean().add(batch.zeros(new Shape()).mul(unused.array()).sum());
                        collector.backward(loss);
                        lastLoss = loss.getFloat();
                        if (s == 0) {
                            firstLoss = lastLoss;
                        }
                    }
                }
                opt.step(1.0);
                assertEquals(baseline, f.liveArrays() + opt.liveArrays(), "live arrays after step " + (s + 1));
            }
            assertEquals(500, opt.stepCount(weight));
            assertTrue(lastLoss < 0.5f * firstLoss, "training works: loss " + firstLoss + " -> " + lastLoss);
        }
    }

    @ParameterizedTest
    @MethodSource("specs")
    void optimizerStateSurvivesExportAndImportBitForBit(OptimizerSpec spec) {
        try (Fixture first = new Fixture(42);
                Fixture second = new Fixture(42);
                GroupedOptimizer original = GroupedOptimizer.of(spec);
                GroupedOptimizer resumed = GroupedOptimizer.of(spec)) {
            List<Param> p1 = List.of(first.trainable("w", 3, 4), first.trainable("b", 3));
            List<Param> p2 = List.of(second.trainable("w", 3, 4), second.trainable("b", 3));
            original.setGroups(groups(p1));
            for (int s = 0; s < 5; s++) {
                first.backward(gradients(p1, s), true);
                original.step(0.7);
            }

            // a checkpoint: weights and optimizer state, loaded into a fresh model and optimizer
            for (int i = 0; i < p1.size(); i++) {
                p2.get(i).load(p1.get(i).toFloatArray(), p1.get(i).shape().getShape());
            }
            resumed.setGroups(groups(p2));
            resumed.importState(original.exportState());
            assertEquals(original.stepCount(p1.get(0)), resumed.stepCount(p2.get(0)));

            for (int s = 5; s < 10; s++) {
                first.backward(gradients(p1, s), true);
                original.step(0.7);
                second.backward(gradients(p2, s), true);
                resumed.step(0.7);
            }
            for (int i = 0; i < p1.size(); i++) {
                assertArrayEquals(p1.get(i).toFloatArray(), p2.get(i).toFloatArray(), p1.get(i).path());
            }
            OptimizerState a = original.exportState();
            OptimizerState b = resumed.exportState();
            assertEquals(a.steps(), b.steps());
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (String key : a.tensors().keySet()) {
                assertArrayEquals(a.tensors().get(key), b.tensors().get(key), key);
            }
            assertEquals(10, resumed.stepCount(p2.get(1)));
        }
    }

    @Test
    void importRejectsUnknownParametersWrongLengthsAndOtherAlgorithms() {
        try (Fixture f = new Fixture(2); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(LR))) {
            Param w = f.trainable("w", 4);
            opt.setGroups(List.of(ParamGroup.of("g", List.of(w), opt.spec())));
            f.backward(Map.of(w, Fixture.coefficients(4, 0)), true);
            opt.step(1.0);
            OptimizerState good = opt.exportState();

            Map<String, float[]> tensors = new HashMap<>(good.tensors());
            tensors.put("net/ghost#m", new float[4]);
            tensors.put("net/ghost#v", new float[4]);
            Map<String, Integer> steps = new HashMap<>(good.steps());
            steps.put("net/ghost", 3);
            IllegalArgumentException unknown =
                    assertThrows(IllegalArgumentException.class,
                            () -> opt.importState(new OptimizerState("adamw", tensors, steps)));
            assertTrue(unknown.getMessage().contains("net/ghost"), unknown.getMessage());

            Map<String, float[]> shortV = new HashMap<>(good.tensors());
            shortV.put("net/w#v", new float[3]);
            IllegalArgumentException length =
                    assertThrows(IllegalArgumentException.class,
                            () -> opt.importState(new OptimizerState("adamw", shortV, good.steps())));
            assertTrue(length.getMessage().contains("net/w#v"), length.getMessage());
            assertTrue(length.getMessage().contains("3 values"), length.getMessage());

            IllegalArgumentException other =
                    assertThrows(IllegalArgumentException.class,
                            () -> opt.importState(new OptimizerState("sgd", Map.of(), Map.of())));
            assertTrue(other.getMessage().contains("sgd"), other.getMessage());

            Map<String, float[]> stray = new HashMap<>(good.tensors());
            stray.put("net/w#momentum", new float[4]);
            IllegalArgumentException name =
                    assertThrows(IllegalArgumentException.class,
                            () -> opt.importState(new OptimizerState("adamw", stray, good.steps())));
            assertTrue(name.getMessage().contains("net/w#momentum"), name.getMessage());

            // failed imports changed nothing
            OptimizerState after = opt.exportState();
            assertArrayEquals(good.tensors().get("net/w#v"), after.tensors().get("net/w#v"));
            assertEquals(1, opt.stepCount(w));
        }
    }

    @Test
    void importResetsMembersTheSnapshotDoesNotMention() {
        try (Fixture f = new Fixture(2); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.sgd(0.1, 0.9))) {
            Param a = f.trainable("a", 4);
            Param b = f.trainable("b", 4);
            opt.setGroups(List.of(ParamGroup.of("g", List.of(a), opt.spec())));
            OptimizerState onlyA = opt.exportState();
            opt.setGroups(List.of(ParamGroup.of("g", List.of(a, b), opt.spec())));
            f.backward(Map.of(a, Fixture.coefficients(4, 0), b, Fixture.coefficients(4, 1)), false);
            opt.step(1.0);
            assertEquals(1, opt.stepCount(b));
            opt.importState(onlyA);
            assertEquals(0, opt.stepCount(a));
            assertEquals(0, opt.stepCount(b));
            assertArrayEquals(new float[4], opt.exportState().tensors().get("net/b#momentum"));
        }
    }

    @Test
    void stepZeroesGradientsAndSkipsParametersBackwardNeverReached() {
        try (Fixture f = new Fixture(4); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(LR))) {
            Param reached = f.trainable("reached", 4);
            Param unreached = f.trainable("unreached", 4);
            float[] unreachedStart = unreached.toFloatArray();
            opt.setGroups(List.of(ParamGroup.of("g", List.of(reached, unreached), opt.spec())));
            for (int s = 0; s < 3; s++) {
                f.backward(Map.of(reached, Fixture.filled(4, 1f)), false);
                assertArrayEquals(Fixture.filled(4, 1f), gradient(reached), "one backward, not accumulated");
                opt.step(1.0);
                assertArrayEquals(new float[4], gradient(reached));
            }
            assertEquals(3, opt.stepCount(reached));
            assertEquals(0, opt.stepCount(unreached));
            assertArrayEquals(unreachedStart, unreached.toFloatArray());
        }
    }

    @Test
    void stepInsideAGradientCollectorIsRefused() {
        try (Fixture f = new Fixture(4); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.sgd(0.1, 0))) {
            Param w = f.trainable("w", 2);
            opt.setGroups(List.of(ParamGroup.of("g", List.of(w), opt.spec())));
            GradientCollector collector = FloeEngine.get().newGradientCollector();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> opt.step(1.0));
                assertTrue(e.getMessage().contains("GradientCollector"), e.getMessage());
            } finally {
                collector.close();
            }
        }
    }

    @Test
    void stateSurvivesACallersScope() {
        try (Fixture f = new Fixture(6); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(LR))) {
            Param w = f.trainable("w", 4);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                opt.setGroups(List.of(ParamGroup.of("g", List.of(w), opt.spec())));
                opt.importState(opt.exportState());
            }
            f.backward(Map.of(w, Fixture.coefficients(4, 0)), true);
            opt.step(1.0); // would fail on closed state arrays
            assertEquals(2, opt.liveArrays());
            assertNotEquals(0f, opt.exportState().tensors().get("net/w#m")[0]);
        }
    }

    @Test
    void groupsRejectFrozenDuplicatedAndBufferParameters() {
        try (Fixture f = new Fixture(8); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(LR))) {
            Param w = f.trainable("w", 2);
            Param frozen = f.frozen("frozen", 2);
            IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                    () -> opt.setGroups(List.of(ParamGroup.of("g", List.of(w, frozen), opt.spec()))));
            assertTrue(e1.getMessage().contains("net/frozen"), e1.getMessage());

            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> opt.setGroups(List.of(
                            ParamGroup.of("g1", List.of(w), opt.spec()), ParamGroup.of("g2", List.of(w), opt.spec()))));
            assertTrue(e2.getMessage().contains("net/w") && e2.getMessage().contains("g2"), e2.getMessage());
            assertTrue(opt.paramsWithState().isEmpty(), "a rejected setGroups changes nothing");

            Map<String, Param> sink = new LinkedHashMap<>();
            Param runningMean = new ParamScope("bn", f.model, 1, sink)
                    .create("running_mean", ParamKind.RUNNING_MEAN, new Shape(2), new Init.Zeros());
            IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                    () -> new ParamGroup("norms", List.of(runningMean), 1.0, 0.0));
            assertTrue(e3.getMessage().contains("bn/running_mean"), e3.getMessage());

            IllegalArgumentException e4 = assertThrows(IllegalArgumentException.class,
                    () -> new ParamGroup("g", List.of(w), 0.0, 0.0));
            assertTrue(e4.getMessage().contains("lrScale") && e4.getMessage().contains("0.0"), e4.getMessage());
        }
    }

    @Test
    void closedOptimizerRefusesWork() {
        GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.adamW(LR));
        opt.close();
        opt.close();
        assertThrows(IllegalStateException.class, () -> opt.step(1.0));
    }

    private static List<ParamGroup> groups(List<Param> params) {
        return List.of(
                new ParamGroup("weights", List.of(params.get(0)), 1.0, 0.05),
                new ParamGroup("biases", List.of(params.get(1)), 3.0, 0.0));
    }

    private static Map<Param, float[]> gradients(List<Param> params, int step) {
        Map<Param, float[]> out = new LinkedHashMap<>();
        for (Param p : params) {
            out.put(p, Fixture.coefficients(Math.toIntExact(p.size()), step));
        }
        return out;
    }

    /** A copy of the accumulated gradient; closes the handle getGradient() makes. */
    private static float[] gradient(Param p) {
        try (NDArray g = p.array().getGradient()) {
            return g.toFloatArray();
        }
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
