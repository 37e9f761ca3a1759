package dev.floe.report;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A number a report shows: its key in {@code sweep.json}, its column heading and how it is written.
 *
 * @param key the field name in {@code sweep.json} ({@code final_accuracy}, {@code train_seconds}, ...)
 * @param label the column heading in the page
 * @param unit how the value is measured and written
 */
record Metric(String key, String label, Unit unit) {

    /** How a value is measured, which decides how the page writes it. */
    enum Unit {
        /** a share in [0, 1], written as percent */
        FRACTION("fraction"),
        /** seconds */
        SECONDS("seconds"),
        /** milliseconds */
        MILLISECONDS("milliseconds"),
        /** mebibytes */
        MEBIBYTES("MiB"),
        /** bytes, written in binary units */
        BYTES("bytes"),
        /** a count, written with thousands separators */
        COUNT("count"),
        /** examples per second */
        PER_SECOND("per second"),
        /** any other number */
        NUMBER("number");

        final String json;

        Unit(String json) {
            this.json = json;
        }
    }

    static final String ACCURACY = "final_accuracy";
    static final String LOSS = "final_loss";
    static final String F1_MACRO = "final_f1_macro";
    static final String TRAIN_SECONDS = "train_seconds";
    static final String PEAK_RSS_MB = "peak_rss_mb";
    static final String OPTIMIZER_STATE_BYTES = "optimizer_state_bytes";

    /** The numbers every report knows, in column order; a run that lacks one shows "–". */
    static final List<Metric> KNOWN = List.of(
            new Metric(ACCURACY, "accuracy %", Unit.FRACTION),
            new Metric(LOSS, "eval loss", Unit.NUMBER),
            new Metric(F1_MACRO, "macro-F1 %", Unit.FRACTION),
            new Metric(TRAIN_SECONDS, "train s", Unit.SECONDS),
            new Metric(PEAK_RSS_MB, "peak memory MiB", Unit.MEBIBYTES),
            new Metric("examples_per_second", "examples/s", Unit.PER_SECOND),
            new Metric("trainable_params", "trainable params", Unit.COUNT),
            new Metric("total_params", "total params", Unit.COUNT),
            new Metric("param_bytes", "param bytes", Unit.BYTES),
            new Metric("grad_bytes", "grad bytes", Unit.BYTES),
            new Metric(OPTIMIZER_STATE_BYTES, "optimizer state", Unit.BYTES),
            new Metric("activation_bytes", "activation bytes", Unit.BYTES),
            new Metric("latency_b1_p50_ms", "latency b1 p50 ms", Unit.MILLISECONDS),
            new Metric("latency_b1_p95_ms", "latency b1 p95 ms", Unit.MILLISECONDS),
            new Metric("latency_b32_p50_ms", "latency b32 p50 ms", Unit.MILLISECONDS),
            new Metric("latency_b32_p95_ms", "latency b32 p95 ms", Unit.MILLISECONDS),
            new Metric("cache_seconds_saved", "cache s saved", Unit.SECONDS));

    /** Whole numbers below this are written without decimals. */
    private static final double LARGEST_WHOLE = 1e15;

    private static final Pattern SHARE = Pattern.compile(".*(accuracy|f1|precision|recall|auc).*");

    /** The known metric with this key, or one for a further number (a task metric such as {@code final_f1_macro}). */
    static Metric forKey(String key) {
        for (Metric m : KNOWN) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        Unit unit = SHARE.matcher(key).matches() ? Unit.FRACTION
                : key.endsWith("_seconds") ? Unit.SECONDS
                : key.endsWith("_ms") || key.contains("_ms_") ? Unit.MILLISECONDS
                : key.endsWith("_bytes") ? Unit.BYTES
                : key.endsWith("_params") ? Unit.COUNT
                : Unit.NUMBER;
        return new Metric(key, key.replace('_', ' ') + (unit == Unit.FRACTION ? " %" : ""), unit);
    }

    /** The value as the page writes it (a share as percent with one decimal, bytes in binary units, ...). */
    String format(double v) {
        if (!Double.isFinite(v)) {
            return "–";
        }
        return switch (unit) {
            case FRACTION -> String.format(Locale.ROOT, "%.1f", v * 100);
            case SECONDS, MILLISECONDS -> Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v)
                    : String.format(Locale.ROOT, "%.2f", v);
            case MEBIBYTES, COUNT, PER_SECOND -> String.format(Locale.ROOT, "%,.0f", v);
            case BYTES -> bytes(v);
            case NUMBER -> v == Math.rint(v) && Math.abs(v) < LARGEST_WHOLE ? String.format(Locale.ROOT, "%,.0f", v)
                    : Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.1f", v)
                    : Math.abs(v) >= 0.01 || v == 0 ? String.format(Locale.ROOT, "%.3f", v)
                    : String.format(Locale.ROOT, "%.3g", v);
        };
    }

    /** Mean ± std as the page writes it; just the mean for a single value or values that are all equal. */
    String format(Stat s) {
        if (s == null) {
            return "–";
        }
        return s.hasStd() && s.std() != 0 ? format(s.mean()) + " ± " + formatSpread(s.std()) : format(s.mean());
    }

    private String formatSpread(double std) {
        return switch (unit) {
            case COUNT, MEBIBYTES, PER_SECOND -> String.format(Locale.ROOT, "%,.1f", std);
            case NUMBER -> String.format(Locale.ROOT, "%.2g", std);
            default -> format(std);
        };
    }

    private static String bytes(double v) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double x = Math.abs(v);
        int i = 0;
        while (x >= 1024 && i < units.length - 1) {
            x /= 1024;
            i++;
        }
        String num = i == 0 ? String.format(Locale.ROOT, "%.0f", x) : String.format(Locale.ROOT, "%.1f", x);
        return (v < 0 ? "-" : "") + num + " " + units[i];
    }
}
