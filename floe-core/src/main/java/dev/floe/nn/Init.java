package dev.floe.nn;

import java.util.SplittableRandom;

/**
 * How a parameter's initial values are drawn. Values are generated in Java from a generator seeded
 * by the graph seed and the parameter's path, so they do not depend on the order in which
 * components are added or on the engine's thread count.
 */
public sealed interface Init {

    /**
     * Fills {@code out} with initial values.
     *
     * @param out the array to fill, row-major; every element is overwritten
     * @param random the generator to draw from
     */
    void fill(float[] out, SplittableRandom random);

    /** All zeros. */
    record Zeros() implements Init {
        @Override
        public void fill(float[] out, SplittableRandom random) {
            java.util.Arrays.fill(out, 0f);
        }
    }

    /** All ones. */
    record Ones() implements Init {
        @Override
        public void fill(float[] out, SplittableRandom random) {
            java.util.Arrays.fill(out, 1f);
        }
    }

    /** Normal with mean 0 and standard deviation {@code sqrt(2 / fanIn)} (He/Kaiming, for ReLU nets). */
    record HeNormal(long fanIn) implements Init {
        /**
         * Checks the fan-in.
         *
         * @param fanIn the number of inputs per output, at least 1
         * @throws IllegalArgumentException if {@code fanIn} is not positive
         */
        public HeNormal {
            if (fanIn <= 0) {
                throw new IllegalArgumentException("fanIn must be positive, found " + fanIn);
            }
        }

        @Override
        public void fill(float[] out, SplittableRandom random) {
            double std = Math.sqrt(2.0 / fanIn);
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (gaussian(random) * std);
            }
        }
    }

    /** Uniform in {@code [-bound, bound]}. */
    record Uniform(double bound) implements Init {
        /**
         * Checks the bound.
         *
         * @param bound the bound, at least 0
         * @throws IllegalArgumentException if {@code bound} is negative
         */
        public Uniform {
            if (!(bound >= 0)) {
                throw new IllegalArgumentException("bound must be >= 0, found " + bound);
            }
        }

        @Override
        public void fill(float[] out, SplittableRandom random) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
        }
    }

    /** Normal with mean 0 and the given standard deviation. */
    record Normal(double std) implements Init {
        /**
         * Checks the standard deviation.
         *
         * @param std the standard deviation, finite and at least 0
         * @throws IllegalArgumentException if {@code std} is negative or not finite
         */
        public Normal {
            if (!(std >= 0) || Double.isInfinite(std)) {
                throw new IllegalArgumentException("std must be a finite number ≥ 0, found " + std);
            }
        }

        @Override
        public void fill(float[] out, SplittableRandom random) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (gaussian(random) * std);
            }
        }
    }

    /** Box–Muller; deterministic for a given generator state. */
    private static double gaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
