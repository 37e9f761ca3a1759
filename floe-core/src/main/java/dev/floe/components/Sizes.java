package dev.floe.components;

/** Argument checks shared by the component builders. */
final class Sizes {
    private Sizes() {}

    static void positive(String where, String field, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(
                    where + ": " + field + " must be a positive size, found " + value + "; set it in the builder");
        }
    }
}
