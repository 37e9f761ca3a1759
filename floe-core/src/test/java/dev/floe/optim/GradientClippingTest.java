package dev.floe.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.floe.engine.FloeEngine;
import dev.floe.nn.Param;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GradientClippingTest {

    // gradients chosen so that the global norm is sqrt(3² + 4² + 12²) = 13
    private static final float[] A_GRAD = {3, 0, 4, 0};
    private static final float[] B_GRAD = {0, 0, 12, 0, 0, 0};
    private static final double NORM = 13;
    private static final int CALLS = 200;

    @Test
    void returnsTheHandComputedGlobalNorm() {
        try (Fixture f = new Fixture(1)) {
            Param a = f.trainable("a", 4);
            Param b = f.trainable("b", 2, 3);
            f.backward(Map.of(a, A_GRAD, b, B_GRAD), false);

            assertEquals(NORM, GradientClipping.clipGlobalNorm(List.of(a, b), 100.0), 1e-12);
            // one parameter alone: sqrt(3² + 4²) = 5
            assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a), 100.0), 1e-12);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {6.5, 1.0, 0.01, 12.9})
    void clippedGradientsHaveNormMaxNormAndKeepTheirDirection(double maxNorm) {
        try (Fixture f = new Fixture(2)) {
            Param a = f.trainable("a", 4);
            Param b = f.trainable("b", 2, 3);
            f.backward(Map.of(a, A_GRAD, b, B_GRAD), false);

            double before = GradientClipping.clipGlobalNorm(List.of(a, b), maxNorm);
            assertEquals(NORM, before, 1e-12);

            double after = GradientClipping.clipGlobalNorm(List.of(a, b), 1e9);
            assertEquals(maxNorm, after, 1e-5);
            double scale = maxNorm / (NORM + GradientClipping.EPS);
            assertArrayEquals(scaled(A_GRAD, scale), gradient(a), 1e-6f);
            assertArrayEquals(scaled(B_GRAD, scale), gradient(b), 1e-6f);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {13.0, 13.5, 1e6})
    void gradientsAtOrBelowTheThresholdAreBitIdentical(double maxNorm) {
        try (Fixture f = new Fixture(3)) {
            Param a = f.trainable("a", 4);
            Param w = f.trainable("w", 3, 5);
            // the quadratic term adds w itself: gradients with many significant bits
            f.backward(Map.of(a, A_GRAD, w, Fixture.coefficients(15, 4)), true);
            float[] aBefore = gradient(a);
            float[] wBefore = gradient(w);
            double norm = GradientClipping.clipGlobalNorm(List.of(a, w), 1e9);
            assertTrue(norm > 5, "norm " + norm);

            GradientClipping.clipGlobalNorm(List.of(a, w), Math.max(maxNorm, norm));

            assertArrayEquals(aBefore, gradient(a));
            assertArrayEquals(wBefore, gradient(w));
        }
    }

    @Test
    void parametersWithoutGradientAreSkippedAndStayWithout() {
        try (Fixture f = new Fixture(4)) {
            Param a = f.trainable("a", 4);
            Param untouched = f.trainable("untouched", 3);
            f.backward(Map.of(a, A_GRAD), false);

            assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a, untouched), 1.0), 1e-12);
            assertNull(JniUtils.getGradient((PtNDArray) untouched.array()));
            assertEquals(1.0, GradientClipping.clipGlobalNorm(List.of(a, untouched), 1e9), 1e-5);
            assertEquals(0.0, GradientClipping.clipGlobalNorm(List.of(untouched), 1.0));
            assertEquals(0.0, GradientClipping.clipGlobalNorm(List.of(), 1.0));
        }
    }

    @Test
    void theOptimizerStepsWithTheClippedGradient() {
        // plain SGD at lr 1: the weight moves by exactly minus the gradient it reads
        try (Fixture f = new Fixture(5); GroupedOptimizer opt = GroupedOptimizer.of(OptimizerSpec.sgd(1.0, 0))) {
            Param a = f.trainable("a", 4);
            Param b = f.trainable("b", 2, 3);
            opt.setGroups(List.of(new ParamGroup("all", List.of(a, b), 1.0, 0.0)));
            float[] aStart = a.toFloatArray();
            f.backward(Map.of(a, A_GRAD, b, B_GRAD), false);

            GradientClipping.clipGlobalNorm(List.of(a, b), 1.3);
            opt.step(1.0);

            float[] expected = scaled(A_GRAD, 1.3 / (NORM + GradientClipping.EPS));
            float[] aEnd = a.toFloatArray();
            for (int i = 0; i < aStart.length; i++) {
                assertEquals(expected[i], aStart[i] - aEnd[i], 1e-6, "element " + i);
            }
        }
    }

    @Test
    void liveArraysDoNotGrowOverRepeatedCalls() {
        try (Fixture f = new Fixture(6)) {
            Param a = f.trainable("a", 4);
            Param b = f.trainable("b", 2, 3);
            Param untouched = f.trainable("untouched", 3);
            List<Param> params = List.of(a, b, untouched);
            f.backward(Map.of(a, A_GRAD, b, B_GRAD), false);
            GradientClipping.clipGlobalNorm(params, 1e9);
            int baseline = f.liveArrays();

            for (int i = 0; i < CALLS; i++) {
                // alternate clipping and not clipping, so that both paths run
                GradientClipping.clipGlobalNorm(params, i % 2 == 0 ? 0.5 : 1e9);
            }

            assertEquals(baseline, f.liveArrays());
        }
    }

    @Test
    void refusesToRunWhileAutogradIsRecording() {
        try (Fixture f = new Fixture(7)) {
            Param a = f.trainable("a", 4);
            f.backward(Map.of(a, A_GRAD), false);
            float[] before = gradient(a);
            try (GradientCollector collector = FloeEngine.get().newGradientCollector()) {
                IllegalStateException e = assertThrows(
                        IllegalStateException.class, () -> GradientClipping.clipGlobalNorm(List.of(a), 1.0));
                assertTrue(e.getMessage().contains("close the GradientCollector"), e.getMessage());
            }
            assertArrayEquals(before, gradient(a));
        }
    }

    @Test
    void rejectsBadArgumentsNamingTheProblem() {
        try (Fixture f = new Fixture(8)) {
            Param a = f.trainable("a", 4);
            Param frozen = f.frozen("frozen", 4);
            assertMessage(() -> GradientClipping.clipGlobalNorm(List.of(a), 0), "maxNorm is 0.0", "> 0");
            assertMessage(() -> GradientClipping.clipGlobalNorm(List.of(a), Double.NaN), "maxNorm is NaN");
            assertMessage(
                    () -> GradientClipping.clipGlobalNorm(List.of(a), Double.POSITIVE_INFINITY),
                    "maxNorm is Infinity");
            assertMessage(() -> GradientClipping.clipGlobalNorm(List.of(a, frozen), 1.0), "net/frozen is frozen");
            assertMessage(() -> GradientClipping.clipGlobalNorm(List.of(a, a), 1.0), "net/a is listed twice");
            assertMessage(() -> GradientClipping.clipGlobalNorm(null, 1.0), "list of parameters");
        }
    }

    private static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    /** The current gradient's values; the handle is closed before returning. */
    private static float[] gradient(Param p) {
        try (PtNDArray grad = JniUtils.getGradient((PtNDArray) p.array())) {
            return grad.toFloatArray();
        }
    }

    private static float[] scaled(float[] values, double scale) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) (values[i] * scale);
        }
        return out;
    }
}
