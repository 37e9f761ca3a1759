package dev.floe.graph;

import java.util.regex.Pattern;

/** One dimension of a {@link TensorSpec}: a fixed size or a named symbol such as {@code batch}. */
public sealed interface Dim {

    /** A dimension of known size. */
    record Fixed(long size) implements Dim {
        /**
         * Checks the size.
         *
         * @param size the size, &gt; 0
         * @throws IllegalArgumentException if {@code size} is not positive
         */
        public Fixed {
            if (size <= 0) {
                throw new IllegalArgumentException("a fixed dimension must be positive, found " + size);
            }
        }

        @Override
        public String toString() {
            return Long.toString(size);
        }
    }

    /** A dimension known only by name ({@code batch}, {@code seq}); matches any size at run time. */
    record Symbolic(String name) implements Dim {
        private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

        /**
         * Checks the name.
         *
         * @param name an identifier such as {@code batch}
         * @throws IllegalArgumentException if {@code name} is not an identifier
         */
        public Symbolic {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "a symbolic dimension needs an identifier name such as 'batch', found '" + name + "'");
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * {@code "128"} gives a fixed dimension, {@code "batch"} a symbolic one.
     *
     * @param text a positive integer or an identifier
     * @return the dimension
     */
    static Dim parse(String text) {
        String t = text.trim();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            return new Fixed(Long.parseLong(t));
        }
        return new Symbolic(t);
    }

    /**
     * A fixed dimension.
     *
     * @param size the size, &gt; 0
     * @return a fixed dimension
     */
    static Dim of(long size) {
        return new Fixed(size);
    }

    /**
     * A symbolic dimension.
     *
     * @param name an identifier such as {@code batch}
     * @return a symbolic dimension
     */
    static Dim of(String name) {
        return new Symbolic(name);
    }
}
