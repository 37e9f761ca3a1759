package dev.floe.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class LrScheduleTest {

    private static final double EXACT = 1e-12;

    static Stream<LrSchedule> schedules() {
        return Stream.of(
                LrSchedule.constant(),
                new LrSchedule.WarmupCosine(0, 0.0),
                new LrSchedule.WarmupCosine(4, 0.1),
                new LrSchedule.WarmupCosine(100, 0.0),
                LrSchedule.slantedTriangular(),
                new LrSchedule.SlantedTriangular(0.3, 4));
    }

    static Stream<Arguments> schedulesAndLengths() {
        return schedules()
                .flatMap(s -> Stream.of(1L, 2L, 3L, 7L, 10L, 100L, 105L, 1000L).map(t -> Arguments.of(s, t)));
    }

    // ---- constant

    @Test
    void constantIsOneAtEveryStep() {
        for (long t = 0; t < 50; t++) {
            assertEquals(1.0, LrSchedule.constant().factor(t, 50));
        }
    }

    // ---- warmup_cosine

    @Test
    void warmupCosineHandComputedValues() {
        // warm-up 4, 10 steps, min 0.1: peak at step 3, cosine over steps 3..9 (span 6)
        LrSchedule s = new LrSchedule.WarmupCosine(4, 0.1);
        assertEquals(0.25, s.factor(0, 10), EXACT);
        assertEquals(0.50, s.factor(1, 10), EXACT);
        assertEquals(0.75, s.factor(2, 10), EXACT);
        assertEquals(1.00, s.factor(3, 10), EXACT);
        // step 4: progress 1/6, cos(pi/6) = sqrt(3)/2
        assertEquals(0.1 + 0.9 * (1 + Math.sqrt(3) / 2) / 2, s.factor(4, 10), EXACT);
        // step 5: progress 1/3, cos = 1/2 -> 0.1 + 0.9 * 0.75
        assertEquals(0.775, s.factor(5, 10), EXACT);
        // step 6: progress 1/2, cos = 0 -> 0.1 + 0.9 * 0.5
        assertEquals(0.55, s.factor(6, 10), EXACT);
        assertEquals(0.1, s.factor(9, 10), EXACT);
    }

    @ParameterizedTest
    @CsvSource({"1, 10", "4, 10", "10, 10", "100, 1000", "20, 7"})
    void warmupRisesLinearlyToOneThenCosineNeverRises(long warmup, long total) {
        LrSchedule s = new LrSchedule.WarmupCosine(warmup, 0.0);
        long warmupEnd = Math.min(warmup, total);
        for (long t = 0; t < warmupEnd; t++) {
            assertEquals((t + 1) / (double) warmup, s.factor(t, total), EXACT, "step " + t);
            if (t > 0) {
                assertTrue(s.factor(t, total) > s.factor(t - 1, total), "warm-up rises at step " + t);
            }
        }
        for (long t = warmupEnd; t < total; t++) {
            assertTrue(s.factor(t, total) <= s.factor(t - 1, total), "decay never rises at step " + t);
        }
        if (total >= warmup) {
            assertEquals(1.0, s.factor(warmup - 1, total), "peak at the last warm-up step");
        } else {
            assertEquals(total / (double) warmup, s.factor(total - 1, total), EXACT, "the stage ends in warm-up");
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 0.0, 10", "0, 0.25, 2", "3, 0.1, 100", "99, 0.5, 100"})
    void cosineStartsAtOneAndEndsExactlyAtMinFactor(long warmup, double min, long total) {
        LrSchedule s = new LrSchedule.WarmupCosine(warmup, min);
        assertEquals(1.0, s.factor(Math.max(warmup - 1, 0), total));
        assertEquals(min, s.factor(total - 1, total));
    }

    @Test
    void warmupCosineOneStepStageWithoutWarmupIsOne() {
        assertEquals(1.0, new LrSchedule.WarmupCosine(0, 0.0).factor(0, 1));
    }

    // ---- slanted_triangular

    @Test
    void slantedTriangularHandComputedValues() {
        // ULMFiT defaults, 100 steps: cut = 10, decay over the 89 steps after it
        LrSchedule.SlantedTriangular s = LrSchedule.slantedTriangular();
        assertEquals(10, s.cutStep(100));
        assertEquals(1.0 / 32, s.factor(0, 100), EXACT);
        // step 5: p = 1/2 -> (1 + 15.5) / 32
        assertEquals(16.5 / 32, s.factor(5, 100), EXACT);
        assertEquals(1.0, s.factor(10, 100), EXACT);
        // step 54: p = 1 - 44/89 = 45/89 -> (1 + 45·31/89) / 32 = 1484 / 2848
        assertEquals(1484.0 / 2848.0, s.factor(54, 100), EXACT);
        assertEquals(1.0 / 32, s.factor(99, 100), EXACT);
    }

    @ParameterizedTest
    @CsvSource({
        "0.1, 32, 100", "0.1, 32, 105", "0.1, 32, 1000", "0.1, 32, 7", "0.1, 32, 2", "0.3, 4, 11", "0.5, 2, 3"
    })
    void slantedTriangularPeaksAtTheCutWithOneAndEndsAtOneOverRatio(double cutFraction, double ratio, long total) {
        LrSchedule.SlantedTriangular s = new LrSchedule.SlantedTriangular(cutFraction, ratio);
        long cut = s.cutStep(total);
        assertEquals((long) Math.floor(total * cutFraction), cut);
        assertEquals(1.0, s.factor(cut, total), EXACT, "peak at step " + cut);
        assertEquals(1 / ratio, s.factor(total - 1, total), EXACT, "last step");
        if (cut > 0) {
            assertEquals(1 / ratio, s.factor(0, total), EXACT, "first step");
        }
        for (long t = 1; t < total; t++) {
            double f = s.factor(t, total);
            double before = s.factor(t - 1, total);
            assertTrue(t <= cut ? f > before : f < before, "linear rise to the cut then fall, step " + t);
            assertTrue(f >= 1 / ratio - EXACT && f <= 1.0 + EXACT, "factor " + f + " at step " + t);
        }
    }

    @Test
    void slantedTriangularNeverGoesBelowOneOverRatioWhenTheCutIsRounded() {
        // 105 * 0.1 = 10.5 -> cut 10; the paper's denominator cut·(1/cut_frac - 1) = 90 is smaller
        // than the 94 steps after the cut, so eq. 3 taken literally gives p = 1 - 94/90 at the last
        // step and a factor of (1 - 31·4/90)/32 < 0
        double literal = (1 + (1 - 94.0 / 90.0) * 31) / 32;
        assertTrue(literal < 0, "the literal formula's last factor is " + literal);
        assertEquals(1.0 / 32, LrSchedule.slantedTriangular().factor(104, 105), EXACT);
    }

    @Test
    void slantedTriangularCutFloorsDecimalProductsToTheWholeNumber() {
        // 100 * 0.29 is 28.999999999999996 in binary
        assertEquals(29, new LrSchedule.SlantedTriangular(0.29, 32).cutStep(100));
        assertEquals(1.0, new LrSchedule.SlantedTriangular(0.29, 32).factor(29, 100), EXACT);
    }

    @Test
    void slantedTriangularShortStageStartsAtThePeak() {
        // 5 * 0.1 = 0.5 -> cut 0: no rise, decay over steps 0..4
        LrSchedule s = LrSchedule.slantedTriangular();
        assertEquals(1.0, s.factor(0, 5), EXACT);
        assertEquals((1 + 0.5 * 31) / 32, s.factor(2, 5), EXACT);
        assertEquals(1.0 / 32, s.factor(4, 5), EXACT);
        assertEquals(1.0, s.factor(0, 1), EXACT);
    }

    @Test
    void ratioOneIsConstant() {
        LrSchedule s = new LrSchedule.SlantedTriangular(0.2, 1);
        for (long t = 0; t < 30; t++) {
            assertEquals(1.0, s.factor(t, 30), EXACT);
        }
    }

    // ---- every schedule

    @ParameterizedTest
    @MethodSource("schedulesAndLengths")
    void factorsArePureAndInRange(LrSchedule s, long total) {
        List<Double> forward = new ArrayList<>();
        for (long t = 0; t < total; t++) {
            forward.add(s.factor(t, total));
        }
        // backwards, interleaved with other stage lengths and with an equal but distinct instance
        LrSchedule twin = LrSchedule.parse(s.toMap());
        assertEquals(s, twin);
        for (long t = total - 1; t >= 0; t--) {
            s.factor(0, total + 17);
            assertEquals(forward.get((int) t), s.factor(t, total), 0.0, "step " + t);
            assertEquals(forward.get((int) t), twin.factor(t, total), 0.0, "twin, step " + t);
        }
        for (double f : forward) {
            assertTrue(f >= 0 && f <= 1 && Double.isFinite(f), s + " gives " + f);
        }
    }

    @ParameterizedTest
    @MethodSource("schedules")
    void stepsOutsideTheStageAreRejected(LrSchedule s) {
        assertMessage(() -> s.factor(10, 10), "step is 10", "0 to 9", "0-based");
        assertMessage(() -> s.factor(-1, 10), "step is -1");
        assertMessage(() -> s.factor(0, 0), "totalSteps is 0", "at least 1");
    }

    @ParameterizedTest
    @MethodSource("schedules")
    void configRoundTripsAndDescribeNamesTheType(LrSchedule s) {
        Map<String, Object> map = s.toMap();
        assertEquals(s.type(), map.get("type"));
        assertEquals(s, LrSchedule.parse(map));
        assertTrue(s.describe().startsWith(s.type() + ": "), s.describe());
        assertTrue(LrSchedule.TYPES.contains(s.type()));
    }

    @Test
    void describeGivesTheShape() {
        assertEquals(
                "warmup_cosine: linear warm-up from 1/100 at step 0 to 1 at step 99, then cosine decay to 0.1"
                        + " at the last step",
                new LrSchedule.WarmupCosine(100, 0.1).describe());
        assertEquals(
                "slanted_triangular: cut_fraction 0.1, ratio 32; linear rise from 1/32 at step 0 to 1 at step"
                        + " floor(0.1 * total), then linear decay to 1/32 at the last step",
                LrSchedule.slantedTriangular().describe());
    }

    // ---- validation

    @Test
    void recordsRejectFieldsOutOfRange() {
        assertMessage(() -> new LrSchedule.WarmupCosine(-1, 0), "warmup_cosine", "warmup_steps is -1", ">= 0");
        assertMessage(() -> new LrSchedule.WarmupCosine(10, 1.5), "min_factor is 1.5", "[0, 1]");
        assertMessage(() -> new LrSchedule.WarmupCosine(10, Double.NaN), "min_factor is NaN");
        assertMessage(
                () -> new LrSchedule.SlantedTriangular(0, 32), "slanted_triangular", "cut_fraction is 0.0", "(0, 1)");
        assertMessage(() -> new LrSchedule.SlantedTriangular(1, 32), "cut_fraction is 1.0");
        assertMessage(() -> new LrSchedule.SlantedTriangular(0.1, 0.5), "ratio is 0.5", ">= 1");
        assertMessage(() -> new LrSchedule.SlantedTriangular(0.1, Double.POSITIVE_INFINITY), "ratio is Infinity");
    }

    // ---- parsing

    @Test
    void parseReadsEachTypeWithDefaults() {
        assertEquals(new LrSchedule.Constant(), LrSchedule.parse(Map.of("type", "constant")));
        assertEquals(new LrSchedule.WarmupCosine(0, 0.0), LrSchedule.parse(Map.of("type", "warmup_cosine")));
        assertEquals(
                new LrSchedule.WarmupCosine(100, 0.1),
                LrSchedule.parse(Map.of("type", "warmup_cosine", "warmup_steps", 100, "min_factor", 0.1)));
        assertEquals(
                new LrSchedule.WarmupCosine(1000, 0.0),
                LrSchedule.parse(Map.of("type", "warmup_cosine", "warmup_steps", 1e3, "min_factor", 0)));
        assertEquals(
                new LrSchedule.SlantedTriangular(0.1, 32), LrSchedule.parse(Map.of("type", "slanted_triangular")));
        assertEquals(
                new LrSchedule.SlantedTriangular(0.2, 10),
                LrSchedule.parse(Map.of("type", "slanted_triangular", "cut_fraction", 0.2, "ratio", 10)));
        Map<String, Object> withNull = new HashMap<>();
        withNull.put("type", "slanted_triangular");
        withNull.put("ratio", null);
        assertEquals(LrSchedule.slantedTriangular(), LrSchedule.parse(withNull));
    }

    @Test
    void parseErrorsNameTheProblemAndTheFix() {
        assertMessage(() -> LrSchedule.parse(Map.of("type", "cosine")),
                "unknown schedule type 'cosine'", "constant, warmup_cosine, slanted_triangular");
        assertMessage(() -> LrSchedule.parse(Map.of("warmup_steps", 10)), "no type", "warmup_cosine");
        assertMessage(() -> LrSchedule.parse(null), "type key");
        assertMessage(() -> LrSchedule.parse(Map.of("type", 3)), "type must be a name, found 3;");
        assertMessage(() -> LrSchedule.parse(Map.of("type", Map.of("x", 1))), "type must be a name, found a map;");
        assertMessage(() -> LrSchedule.parse(Map.of("type", "slanted_triangular", "ratio", true)),
                "ratio must be a number, found true;");
        assertMessage(() -> LrSchedule.parse(Map.of("type", "warmup_cosine", "warmup", 10)),
                "unknown key 'warmup'", "type, warmup_steps, min_factor");
        assertMessage(() -> LrSchedule.parse(Map.of("type", "constant", "ratio", 32)),
                "constant schedule: unknown key 'ratio'", "valid keys are type");
        assertMessage(() -> LrSchedule.parse(Map.of("type", "warmup_cosine", "warmup_steps", 10.5)),
                "warmup_steps must be a whole number", "10.5");
        assertMessage(() -> LrSchedule.parse(Map.of("type", "warmup_cosine", "warmup_steps", "ten")),
                "warmup_steps must be a whole number", "'ten' (text)");
        assertMessage(() -> LrSchedule.parse(Map.of("type", "slanted_triangular", "ratio", "32")),
                "ratio must be a number", "'32' (text)");
        // range errors come from the records, with the config key names
        assertMessage(() -> LrSchedule.parse(Map.of("type", "slanted_triangular", "cut_fraction", 1.5)),
                "cut_fraction is 1.5", "(0, 1)");
    }

    private static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }
}
