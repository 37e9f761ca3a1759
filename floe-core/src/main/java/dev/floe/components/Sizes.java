package dev.floe.components;

/** Argument checks shared by the component builders. */
final class Sizes {
    private Sizes() {}

    static void rate(String where, float dropout) {
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(
                    where + ": dropout must be in [0, 1), found " + dropout + "; use e.g. 0.1, or 0 for none");
        }
    }

    static void positive(String where, String field, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(
                    where + ": " + field + " must be a positive size, found " + value + "; set it in the builder");
        }
    }
}
