package dev.floe.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One value of an axis against the axis's first value, other axes equal, paired by seed.
 *
 * <p>For every finished run with {@code axis = value} the finished run with {@code axis = baseline},
 * the same values on every other axis and the same seed is its pair. Over the pairs:
 * the accuracy difference in percentage points ({@code 100 × (value − baseline)}), the speed-up
 * ({@code baseline train seconds ÷ value train seconds}) and the peak-memory change in percent
 * ({@code 100 × (value ÷ baseline − 1)}), each as mean ± sample standard deviation.
 *
 * @param axis the axis
 * @param value the value compared
 * @param baseline the axis's first value
 * @param pairs how many seed pairs were found
 * @param accuracyPoints accuracy difference in percentage points, or null without pairs that both recorded it
 * @param speedup train-time ratio, or null without pairs that both recorded a positive time
 * @param peakMemoryPercent peak-memory change in percent, or null without pairs that both recorded it
 * @param summary the comparison in one plain sentence
 */
record Comparison(String axis, String value, String baseline, int pairs, Stat accuracyPoints, Stat speedup,
        Stat peakMemoryPercent, String summary) {

    /** The rule the comparisons follow, as the page and {@code sweep.json} state it. */
    static final String RULE = "Each value of an axis is compared with the axis's first value: a run is paired with"
            + " the run that has the first value on that axis, the same values on every other axis and the same seed;"
            + " failed runs have no pairs. Accuracy is the difference in percentage points, speed the ratio of train"
            + " times (first value ÷ this value), memory the change of peak memory in percent; each is the mean ±"
            + " standard deviation over the pairs.";

    /** The axis a report of runs without axes compares along: the variants themselves. */
    static final String VARIANT_AXIS = "variant";

    /**
     * Compares every value of every axis with that axis's first value.
     *
     * @param runs all runs; their axes (or, when no run has any, their variant names under
     *     {@value #VARIANT_AXIS}) decide what is compared
     */
    static List<Comparison> of(List<RunResult> runs) {
        boolean noAxes = runs.stream().allMatch(r -> r.run().axes().isEmpty());
        List<Map<String, String>> axesOf = new ArrayList<>();
        for (RunResult r : runs) {
            axesOf.add(noAxes ? Map.of(VARIANT_AXIS, r.run().variant()) : r.run().axes());
        }
        Map<String, List<String>> values = axisValues(axesOf);
        List<Comparison> out = new ArrayList<>();
        values.forEach((axis, vals) -> {
            for (String v : vals.subList(1, vals.size())) {
                out.add(compare(runs, axesOf, axis, v, vals.get(0)));
            }
        });
        return out;
    }

    /** Axis name to its values, both in order of first appearance. */
    static Map<String, List<String>> axisValues(List<Map<String, String>> axesOf) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (Map<String, String> axes : axesOf) {
            axes.forEach((axis, value) -> {
                List<String> vals = values.computeIfAbsent(axis, k -> new ArrayList<>());
                if (!vals.contains(value)) {
                    vals.add(value);
                }
            });
        }
        return values;
    }

    private static Comparison compare(List<RunResult> runs, List<Map<String, String>> axesOf, String axis, String value,
            String baseline) {
        List<Double> points = new ArrayList<>();
        List<Double> speed = new ArrayList<>();
        List<Double> memory = new ArrayList<>();
        int pairs = 0;
        for (int i = 0; i < runs.size(); i++) {
            RunResult b = runs.get(i);
            if (b.failed() || !value.equals(axesOf.get(i).get(axis))) {
                continue;
            }
            RunResult a = partner(runs, axesOf, i, axis, baseline);
            if (a == null) {
                continue;
            }
            pairs++;
            addIfFinite(points, 100 * (b.value(Metric.ACCURACY) - a.value(Metric.ACCURACY)));
            double ta = a.value(Metric.TRAIN_SECONDS);
            double tb = b.value(Metric.TRAIN_SECONDS);
            if (ta > 0 && tb > 0) {
                speed.add(ta / tb);
            }
            double ma = a.value(Metric.PEAK_RSS_MB);
            double mb = b.value(Metric.PEAK_RSS_MB);
            if (ma > 0 && mb > 0) {
                memory.add(100 * (mb / ma - 1));
            }
        }
        Stat p = Stat.of(points);
        Stat s = Stat.of(speed);
        Stat m = Stat.of(memory);
        return new Comparison(axis, value, baseline, pairs, p, s, m, sentence(axis, value, baseline, pairs, p, s, m));
    }

    /** The finished run with the baseline on {@code axis}, the other axes and the seed of run {@code i}. */
    private static RunResult partner(List<RunResult> runs, List<Map<String, String>> axesOf, int i, String axis,
            String baseline) {
        Map<String, String> want = new LinkedHashMap<>(axesOf.get(i));
        want.put(axis, baseline);
        long seed = runs.get(i).run().seed();
        for (int j = 0; j < runs.size(); j++) {
            RunResult a = runs.get(j);
            if (!a.failed() && a.run().seed() == seed && Objects.equals(axesOf.get(j), want)) {
                return a;
            }
        }
        return null;
    }

    private static void addIfFinite(List<Double> to, double v) {
        if (Double.isFinite(v)) {
            to.add(v);
        }
    }

    private static String sentence(String axis, String value, String baseline, int pairs, Stat points, Stat speed,
            Stat memory) {
        String head = axis + " = " + value + " vs " + baseline + ": ";
        if (pairs == 0) {
            return head + "no pairs (no seed finished with both, other axes equal)";
        }
        List<String> parts = new ArrayList<>();
        if (points != null) {
            parts.add(signed(points.mean(), "%.1f") + (points.hasStd() ? String.format(Locale.ROOT, " ± %.1f", points.std()) : "")
                    + " points");
        }
        if (speed != null) {
            double r = speed.mean();
            parts.add(ratio(r).equals("1.0") || ratio(1 / r).equals("1.0") ? "about as fast"
                    : r >= 1 ? ratio(r) + "× faster" : ratio(1 / r) + "× slower");
        }
        if (memory != null) {
            parts.add(signed(memory.mean(), "%.0f") + "% peak memory");
        }
        String what = parts.isEmpty() ? "no numbers recorded by both" : String.join(", ", parts);
        return head + what + " (" + pairs + (pairs == 1 ? " seed pair)" : " seed pairs)");
    }

    private static String ratio(double r) {
        return r >= 10 ? String.format(Locale.ROOT, "%.0f", r) : String.format(Locale.ROOT, "%.1f", r);
    }

    /** {@code +1.2}, {@code −1.2} (a true minus sign) or, when it rounds to zero, {@code 0.0}. */
    private static String signed(double v, String format) {
        String s = String.format(Locale.ROOT, format, Math.abs(v));
        boolean zero = s.replaceAll("[0.]", "").isEmpty();
        return (zero ? "" : v < 0 ? "−" : "+") + s;
    }
}
