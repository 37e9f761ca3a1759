package dev.floe.schedule;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/** Reads an {@link LrSchedule} from its config map; see {@link LrSchedule#parse(Map)}. */
final class ScheduleParser {

    private static final String TYPE_KEY = "type";
    private static final String EXAMPLE = "{type: warmup_cosine, warmup_steps: 100, min_factor: 0.1}";

    private ScheduleParser() {}

    static LrSchedule parse(Map<String, ?> config) {
        if (config == null) {
            throw new IllegalArgumentException(
                    "a learning-rate schedule needs a map with a type key, found nothing; write e.g. "
                            + EXAMPLE);
        }
        Object type = config.get(TYPE_KEY);
        if (type == null) {
            throw new IllegalArgumentException(
                    "schedule has no type; add type: one of " + String.join(", ", LrSchedule.TYPES)
                            + ", e.g. " + EXAMPLE);
        }
        if (!(type instanceof String name)) {
            throw new IllegalArgumentException(
                    "schedule type must be a name, found " + describe(type) + "; use one of "
                            + String.join(", ", LrSchedule.TYPES));
        }
        switch (name) {
            case LrSchedule.Constant.TYPE:
                checkKeys(config, name, List.of(TYPE_KEY));
                return new LrSchedule.Constant();
            case LrSchedule.WarmupCosine.TYPE:
                checkKeys(config, name, List.of(TYPE_KEY, "warmup_steps", "min_factor"));
                return new LrSchedule.WarmupCosine(
                        wholeNumber(config, name, "warmup_steps", 0), number(config, name, "min_factor", 0.0));
            case LrSchedule.SlantedTriangular.TYPE:
                checkKeys(config, name, List.of(TYPE_KEY, "cut_fraction", "ratio"));
                return new LrSchedule.SlantedTriangular(
                        number(config, name, "cut_fraction", LrSchedule.SlantedTriangular.DEFAULT_CUT_FRACTION),
                        number(config, name, "ratio", LrSchedule.SlantedTriangular.DEFAULT_RATIO));
            default:
                throw new IllegalArgumentException(
                        "unknown schedule type '" + name + "'; valid types are "
                                + String.join(", ", LrSchedule.TYPES) + "; fix the spelling or pick one of them");
        }
    }

    private static void checkKeys(Map<String, ?> config, String type, List<String> valid) {
        for (String key : config.keySet()) {
            if (!valid.contains(key)) {
                throw new IllegalArgumentException(
                        type + " schedule: unknown key '" + key + "'; valid keys are " + String.join(", ", valid)
                                + "; fix the spelling or remove the key");
            }
        }
    }

    private static double number(Map<String, ?> config, String type, String key, double fallback) {
        Object value = config.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n)) {
            throw new IllegalArgumentException(
                    type + " schedule: " + key + " must be a number, found " + describe(value) + "; write e.g. "
                            + key + ": " + Checks.format(fallback));
        }
        return n.doubleValue();
    }

    private static long wholeNumber(Map<String, ?> config, String type, String key, long fallback) {
        Object value = config.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Number n) {
            try {
                BigDecimal exact = n instanceof BigDecimal d ? d
                        : n instanceof BigInteger i ? new BigDecimal(i)
                        : new BigDecimal(n.toString());
                return exact.longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                // not whole, out of range, or NaN/infinite: reported below
            }
        }
        throw new IllegalArgumentException(
                type + " schedule: " + key + " must be a whole number of steps, found " + describe(value)
                        + "; write e.g. " + key + ": 100");
    }

    /** A config value as the user wrote it: {@code 'abc' (text)}, {@code true}, {@code a map}, {@code 1.5}. */
    private static String describe(Object value) {
        if (value instanceof String s) {
            return "'" + s + "' (text)";
        }
        if (value instanceof Map<?, ?>) {
            return "a map";
        }
        if (value instanceof java.util.Collection<?>) {
            return "a list";
        }
        return String.valueOf(value);
    }
}
