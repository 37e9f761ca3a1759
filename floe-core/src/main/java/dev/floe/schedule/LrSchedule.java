package dev.floe.schedule;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A learning-rate schedule: a pure function from a step within a training stage to the multiplier
 * on the base learning rate (the {@code lrFactor} passed to
 * {@link dev.floe.optim.GroupedOptimizer#step(double)}).
 *
 * <p>Steps are 0-based: a stage of {@code totalSteps} steps runs steps {@code 0 .. totalSteps-1}.
 * {@link #factor(long, long)} depends on nothing but its arguments and the record's fields, so it
 * may be called in any order, any number of times, and a run resumed at step {@code s} gets the
 * same factors as an uninterrupted one. Every factor is finite and in {@code (0, 1]} except that
 * {@link WarmupCosine} may reach {@code minFactor = 0} at the last step.
 *
 * <p>In configs a schedule is a map with a {@code type} key ({@link #TYPES}) and the record's fields
 * in snake_case; see {@link #parse(Map)}:
 *
 * <pre>{@code
 * schedule: {type: constant}
 * schedule: {type: warmup_cosine, warmup_steps: 100, min_factor: 0.1}
 * schedule: {type: slanted_triangular, cut_fraction: 0.1, ratio: 32}
 * }</pre>
 */
public sealed interface LrSchedule
        permits LrSchedule.Constant, LrSchedule.WarmupCosine, LrSchedule.SlantedTriangular {

    /** The {@code type} names accepted by {@link #parse(Map)}, in documentation order. */
    List<String> TYPES = List.of(Constant.TYPE, WarmupCosine.TYPE, SlantedTriangular.TYPE);

    /**
     * The multiplier on the base learning rate at {@code step}.
     *
     * @param step 0-based step within the stage, in {@code [0, totalSteps)}
     * @param totalSteps number of optimizer steps in the stage, &ge; 1
     * @return a finite factor in {@code [0, 1]}
     * @throws IllegalArgumentException if {@code totalSteps < 1} or {@code step} is outside
     *     {@code [0, totalSteps)}
     */
    double factor(long step, long totalSteps);

    /**
     * The config {@code type} name, one of {@link #TYPES}.
     *
     * @return the {@code type} value this schedule is written with in a config
     */
    String type();

    /**
     * One line for plan printing, e.g. {@code slanted_triangular: cut_fraction 0.1, ratio 32; ...}.
     *
     * @return a human-readable one-line summary with every field
     */
    String describe();

    /**
     * The config form: an unmodifiable ordered map with {@code type} first and every field (defaults
     * included) in snake_case; {@code parse(s.toMap()).equals(s)}.
     *
     * @return the schedule as config keys and values, {@code type} first
     */
    Map<String, Object> toMap();

    /**
     * Reads a schedule from its config map (as parsed from YAML or JSON).
     *
     * <p>{@code type} is required. Fields that are absent or null take their defaults:
     * {@code warmup_cosine}: {@code warmup_steps} 0, {@code min_factor} 0; {@code slanted_triangular}:
     * {@code cut_fraction} 0.1, {@code ratio} 32 (ULMFiT's values). Whole-number fields accept any
     * integral number (so {@code 1e3} is read as 1000).
     *
     * @param config the {@code lr_schedule} section of a config, keys in snake_case
     * @return the schedule the section describes, defaults filled in
     * @throws IllegalArgumentException for a missing or unknown type (listing the valid ones), an
     *     unknown key (listing the valid keys), a value of the wrong kind, or a field out of range;
     *     messages use the config key names
     */
    static LrSchedule parse(Map<String, ?> config) {
        return ScheduleParser.parse(config);
    }

    /**
     * The factor 1 at every step.
     *
     * @return the constant schedule
     */
    static Constant constant() {
        return new Constant();
    }

    /**
     * Slanted triangular with ULMFiT's values: {@code cut_fraction} 0.1, {@code ratio} 32.
     *
     * @return the default slanted triangular schedule
     */
    static SlantedTriangular slantedTriangular() {
        return new SlantedTriangular(SlantedTriangular.DEFAULT_CUT_FRACTION, SlantedTriangular.DEFAULT_RATIO);
    }

    /** {@code type: constant}: the factor is 1 at every step. */
    record Constant() implements LrSchedule {

        static final String TYPE = "constant";

        @Override
        public double factor(long step, long totalSteps) {
            Checks.step(step, totalSteps);
            return 1.0;
        }

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public String describe() {
            return TYPE + ": factor 1 at every step";
        }

        @Override
        public Map<String, Object> toMap() {
            return Map.of("type", TYPE);
        }
    }

    /**
     * {@code type: warmup_cosine}: linear warm-up, then cosine decay to {@code minFactor}.
     *
     * <p>With {@code w = warmupSteps}, {@code T = totalSteps} and {@code peak = max(w - 1, 0)}:
     *
     * <ul>
     *   <li>warm-up, {@code step < w}: {@code (step + 1) / w}, so step 0 gets {@code 1/w} and step
     *       {@code w - 1} gets exactly 1;
     *   <li>decay, {@code step >= w}: with {@code progress = (step - peak) / (T - 1 - peak)},
     *       {@code minFactor + (1 - minFactor) * (1 + cos(pi * progress)) / 2}, which continues from 1
     *       at {@code peak} and is exactly {@code minFactor} at the last step {@code T - 1}.
     * </ul>
     *
     * <p>With {@code w = 0} there is no warm-up and the decay starts from 1 at step 0. A stage of
     * {@code T <= w} steps never leaves the warm-up: its last factor is {@code T / w}. A one-step stage
     * without warm-up gets 1.
     *
     * @param warmupSteps steps of linear warm-up, &ge; 0 (0 for none)
     * @param minFactor factor at the last step, in [0, 1]
     */
    record WarmupCosine(long warmupSteps, double minFactor) implements LrSchedule {

        static final String TYPE = "warmup_cosine";

        /**
         * Checks the fields.
         *
         * @param warmupSteps steps of linear warm-up, &ge; 0 (0 for none)
         * @param minFactor factor at the last step, in [0, 1]
         * @throws IllegalArgumentException if {@code warmupSteps} is negative or {@code minFactor}
         *     is not in [0, 1]
         */
        public WarmupCosine {
            if (warmupSteps < 0) {
                throw new IllegalArgumentException(
                        TYPE + ": warmup_steps is " + warmupSteps + "; it must be >= 0 (0 for no warm-up),"
                                + " e.g. 100");
            }
            if (!(minFactor >= 0 && minFactor <= 1)) {
                throw new IllegalArgumentException(
                        TYPE + ": min_factor is " + minFactor + "; it must be in [0, 1] (the multiplier"
                                + " reached at the last step), e.g. 0 or 0.1");
            }
        }

        @Override
        public double factor(long step, long totalSteps) {
            Checks.step(step, totalSteps);
            if (step < warmupSteps) {
                return (step + 1) / (double) warmupSteps;
            }
            long peak = Math.max(warmupSteps - 1, 0);
            long span = totalSteps - 1 - peak;
            if (span <= 0) {
                return 1.0; // only a one-step stage without warm-up gets here: step 0 is the peak
            }
            double progress = (step - peak) / (double) span;
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        }

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public String describe() {
            String decay = "cosine decay to " + Checks.format(minFactor) + " at the last step";
            if (warmupSteps == 0) {
                return TYPE + ": no warm-up; " + decay + " from 1 at step 0";
            }
            return TYPE + ": linear warm-up from 1/" + warmupSteps + " at step 0 to 1 at step "
                    + (warmupSteps - 1) + ", then " + decay;
        }

        @Override
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("type", TYPE);
            map.put("warmup_steps", warmupSteps);
            map.put("min_factor", minFactor);
            return Collections.unmodifiableMap(map);
        }
    }

    /**
     * {@code type: slanted_triangular}: ULMFiT's slanted triangular learning rate (Howard &amp; Ruder
     * 2018, eq. 3), a short linear rise and a long linear decay.
     *
     * <p>With {@code T = totalSteps}, {@code cut = }{@link #cutStep(long)} and {@code t = step}:
     * {@code p = t / cut} for {@code t < cut}, else {@code p = 1 - (t - cut) / (T - 1 - cut)} (1 when
     * {@code cut = T - 1}); the factor is {@code (1 + p * (ratio - 1)) / ratio}. So step 0 gets
     * {@code 1/ratio} (when {@code cut > 0}), step {@code cut} gets exactly 1, and the last step gets
     * exactly {@code 1/ratio}; no factor is below {@code 1/ratio}.
     *
     * <p>The decay's denominator differs from the paper's {@code cut * (1/cut_frac - 1)}: that equals
     * the number of steps after the cut only when {@code T * cut_frac} is a whole number, and
     * otherwise overshoots below {@code 1/ratio} — with {@code T = 105}, the defaults and 0-based
     * steps it gives a negative factor at the last step. Counting the steps after the cut keeps both
     * ends exact for every {@code T}.
     *
     * @param cutFraction fraction of the stage spent rising, in (0, 1); ULMFiT uses 0.1
     * @param ratio how many times smaller the lowest factor is than the peak, finite and &ge; 1 (1 is
     *     constant); ULMFiT uses 32
     */
    record SlantedTriangular(double cutFraction, double ratio) implements LrSchedule {

        static final String TYPE = "slanted_triangular";
        static final double DEFAULT_CUT_FRACTION = 0.1;
        static final double DEFAULT_RATIO = 32;
        /**
         * Relative slack when flooring {@code T * cutFraction}, so a product that is a whole number in
         * decimal but lands just below it in binary (100 * 0.29 = 28.999999999999996) floors to it.
         */
        private static final double CUT_SLACK = 1e-9;

        /**
         * Checks the fields.
         *
         * @param cutFraction fraction of the stage spent rising, in (0, 1); ULMFiT uses 0.1
         * @param ratio how many times smaller the lowest factor is than the peak, finite and &ge; 1
         *     (1 is constant); ULMFiT uses 32
         * @throws IllegalArgumentException if {@code cutFraction} is not in (0, 1) or {@code ratio}
         *     is below 1 or infinite
         */
        public SlantedTriangular {
            if (!(cutFraction > 0 && cutFraction < 1)) {
                throw new IllegalArgumentException(
                        TYPE + ": cut_fraction is " + cutFraction + "; it must be in (0, 1) (the fraction"
                                + " of the stage spent rising), e.g. 0.1");
            }
            if (!(ratio >= 1) || Double.isInfinite(ratio)) {
                throw new IllegalArgumentException(
                        TYPE + ": ratio is " + ratio + "; it must be finite and >= 1 (peak factor over"
                                + " lowest factor; 1 is constant), e.g. 32");
            }
        }

        /**
         * The step with factor 1: {@code floor(totalSteps * cutFraction)}, in {@code [0, totalSteps)}.
         *
         * @param totalSteps the stage's number of optimizer steps, at least 1
         * @return the zero-based step at which the factor peaks
         * @throws IllegalArgumentException if {@code totalSteps < 1}
         */
        public long cutStep(long totalSteps) {
            Checks.totalSteps(totalSteps);
            double product = totalSteps * cutFraction;
            long cut = (long) Math.floor(product * (1 + CUT_SLACK));
            return Math.min(cut, totalSteps - 1);
        }

        @Override
        public double factor(long step, long totalSteps) {
            Checks.step(step, totalSteps);
            long cut = cutStep(totalSteps);
            double p;
            if (step < cut) {
                p = step / (double) cut;
            } else {
                long span = totalSteps - 1 - cut;
                p = span == 0 ? 1.0 : 1.0 - (step - cut) / (double) span;
            }
            return (1 + p * (ratio - 1)) / ratio;
        }

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public String describe() {
            String low = "1/" + Checks.format(ratio);
            return TYPE + ": cut_fraction " + Checks.format(cutFraction) + ", ratio " + Checks.format(ratio)
                    + "; linear rise from " + low + " at step 0 to 1 at step floor(" + Checks.format(cutFraction)
                    + " * total), then linear decay to " + low + " at the last step";
        }

        @Override
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("type", TYPE);
            map.put("cut_fraction", cutFraction);
            map.put("ratio", ratio);
            return Collections.unmodifiableMap(map);
        }
    }
}
