package dev.floe.optim;

/** Argument checks shared by the value types of this package; messages name owner, field, value, range. */
final class Checks {

    private Checks() {}

    /** Finite and &gt; 0. */
    static void positive(String owner, String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    owner + " " + field + " is " + value + "; it must be finite and > 0");
        }
    }

    /** Finite and &ge; 0. */
    static void nonNegative(String owner, String field, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    owner + " " + field + " is " + value + "; it must be finite and >= 0 (0 turns it off)");
        }
    }

    /** In [0, 1). */
    static void unitInterval(String owner, String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(
                    owner + " " + field + " is " + value + "; it must be in [0, 1)");
        }
    }
}
