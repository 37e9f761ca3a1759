package dev.floe.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks shared by the config records. Messages use the YAML key names (snake_case) and leave the
 * location to the loader, which prefixes the key path and line.
 */
final class Fields {

    private Fields() {}

    /**
     * A bad value of one key; the loader points at that key's line. A problem inside the key's value
     * (an entry of a list or map, a field of a schedule map) also carries the path to it, and the
     * loader then names that path instead of the record.
     */
    static final class FieldException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String key;
        private final List<Object> inside;

        FieldException(String key, String message) {
            this(key, null, message);
        }

        private FieldException(String key, List<Object> inside, String message) {
            super(message);
            this.key = key;
            this.inside = inside;
        }

        /** The YAML key holding the bad value. */
        String key() {
            return key;
        }

        /**
         * Keys (String) and list indices (Integer) from the record to the bad value, starting with
         * {@link #key()}, or null when the message is about the key as a whole.
         */
        List<Object> inside() {
            return inside;
        }
    }

    /** Collects the required keys that are absent, to report them all at once. */
    static final class Required {
        private final List<String> missing = new ArrayList<>();

        /** Records {@code key} as missing when {@code value} is null. */
        Required key(String key, Object value) {
            if (value == null) {
                missing.add(key);
            }
            return this;
        }

        /**
         * @param example where to see the keys, e.g. {@code "training: {epochs: 3, batch_size: 64}"}
         * @throws IllegalArgumentException naming every missing key
         */
        void check(String example) {
            if (missing.isEmpty()) {
                return;
            }
            throw new IllegalArgumentException(
                    (missing.size() == 1 ? "missing required key " : "missing required keys ")
                            + String.join(", ", missing) + "; add " + (missing.size() == 1 ? "it" : "them")
                            + " as in " + example);
        }
    }

    static Required required() {
        return new Required();
    }

    /** An integer &ge; 1. */
    static void positive(String key, Integer value) {
        if (value != null && value < 1) {
            throw new FieldException(key, key + " must be a positive integer, found " + value);
        }
    }

    /** A size &ge; 1. */
    static void positive(String key, Long value) {
        if (value != null && value < 1) {
            throw new FieldException(key, key + " must be a positive integer, found " + value);
        }
    }

    /** Every entry present and &ge; 1. */
    static void positiveSizes(String key, List<Long> values) {
        for (int i = 0; i < values.size(); i++) {
            Long v = values.get(i);
            if (v == null || v < 1) {
                throw new FieldException(key,
                        key + " must hold positive integers, found " + values + " (entry " + i + " is " + v + ")");
            }
        }
    }

    /** Finite and &gt; 0. */
    static void positive(String key, double value, String hint) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new FieldException(key, key + " must be a finite number > 0, found " + value + "; " + hint);
        }
    }

    /** Finite and &ge; 0. */
    static void nonNegative(String key, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new FieldException(key,
                    key + " must be a finite number >= 0, found " + value + "; 0 turns it off");
        }
    }

    /** In [0, 1). */
    static void unitInterval(String key, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new FieldException(key, key + " must be in [0, 1), found " + value);
        }
    }

    /** A bad value of {@code key}. */
    static FieldException bad(String key, String message) {
        return new FieldException(key, message);
    }

    /**
     * A bad value inside a key's value, at {@code path} (the key, then map keys and list indices),
     * e.g. {@code ["policy", 2]} or {@code ["layer_decay_by_component", "encoder"]}; the loader
     * names that path, so the message need not repeat it.
     */
    static FieldException inside(List<Object> path, String message) {
        return new FieldException((String) path.get(0), List.copyOf(path), message);
    }

    /**
     * The largest model size a config accepts: every size becomes a dimension of some parameter,
     * which cannot hold more values than this.
     */
    static final long MAX_SIZE = dev.floe.nn.ParamScope.MAX_VALUES;

    /** A model size: &ge; 1 and at most {@link #MAX_SIZE}; null passes (absent). */
    static void size(String key, Long value) {
        positive(key, value);
        if (value != null && value > MAX_SIZE) {
            throw new FieldException(key, key + " is " + value + ", more than " + MAX_SIZE
                    + ", the most values one parameter can hold; lower it");
        }
    }

    /** Every entry present, &ge; 1 and at most {@link #MAX_SIZE}. */
    static void sizes(String key, List<Long> values) {
        positiveSizes(key, values);
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) > MAX_SIZE) {
                throw new FieldException(key, key + " holds " + values.get(i) + " (entry " + i + "), more than "
                        + MAX_SIZE + ", the most values one parameter can hold; lower it");
            }
        }
    }

    /** Null or not blank. */
    static void notBlank(String key, String value) {
        if (value != null && value.isBlank()) {
            throw new FieldException(key, key + " is empty; give it a value");
        }
    }

    /** An unmodifiable copy, or an empty list for null; null entries are kept for the caller to report. */
    static <T> List<T> list(List<T> values) {
        return values == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(values));
    }

    /** An unmodifiable copy keeping the YAML order, or null for null. */
    static <K, V> Map<K, V> orderedMap(Map<K, V> values) {
        return values == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }
}
