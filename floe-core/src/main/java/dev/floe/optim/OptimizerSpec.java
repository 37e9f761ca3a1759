package dev.floe.optim;

/**
 * Which optimization algorithm to run and its hyperparameters; a value, validated on creation.
 *
 * <p>Learning rates are the base rate: a {@link ParamGroup} scales it, and the schedule's factor
 * passed to {@link GroupedOptimizer#step(double)} scales it again. The spec's weight decay is the
 * default a group takes from {@link ParamGroup#of(String, java.util.List, OptimizerSpec)}; the
 * optimizer always applies the group's own value.
 */
public sealed interface OptimizerSpec {

    /**
     * Base learning rate, finite and &gt; 0.
     *
     * @return the learning rate
     */
    double lr();

    /**
     * Default weight decay for groups made with {@link ParamGroup#of}.
     *
     * @return the weight decay, 0 or more
     */
    double weightDecay();

    /**
     * Short lower-case name ({@code "adamw"} or {@code "sgd"}), as written in manifests and state.
     *
     * @return the name
     */
    String name();

    /**
     * Bytes of optimizer state held per scalar value of a trained parameter (fp32 tensors): 8 for
     * AdamW (first and second moments), 4 for SGD with momentum, 0 for plain SGD.
     *
     * @return bytes per trained scalar
     */
    long stateBytesPerParameter();

    /**
     * AdamW with the usual defaults: betas 0.9 and 0.999, eps 1e-8, weight decay 0.01.
     *
     * @param lr the base learning rate
     * @return the spec
     */
    static AdamW adamW(double lr) {
        return new AdamW(lr, 0.9, 0.999, 1e-8, 0.01);
    }

    /**
     * SGD with the given momentum (0 for plain SGD) and no weight decay.
     *
     * @param lr the base learning rate
     * @param momentum the momentum, in [0, 1)
     * @return the spec
     */
    static Sgd sgd(double lr, double momentum) {
        return new Sgd(lr, momentum, 0.0);
    }

    /**
     * Adam with decoupled weight decay (Loshchilov &amp; Hutter):
     * {@code w -= lr * mhat / (sqrt(vhat) + eps) + lr * weightDecay * w}, with bias corrections
     * {@code 1 - beta^t} computed from each parameter's own step count {@code t}.
     *
     * @param lr base learning rate, finite and &gt; 0
     * @param beta1 decay of the first moment, in [0, 1)
     * @param beta2 decay of the second moment, in [0, 1)
     * @param eps added to the denominator, finite and &gt; 0
     * @param weightDecay default decoupled decay per unit of learning rate, finite and &ge; 0
     */
    record AdamW(double lr, double beta1, double beta2, double eps, double weightDecay)
            implements OptimizerSpec {

        /**
         * Checks the hyperparameters.
         *
         * @param lr base learning rate, finite and &gt; 0
         * @param beta1 decay of the first moment, in [0, 1)
         * @param beta2 decay of the second moment, in [0, 1)
         * @param eps added to the denominator, finite and &gt; 0
         * @param weightDecay default decoupled decay per unit of learning rate, finite and &ge; 0
         * @throws IllegalArgumentException naming the hyperparameter that is out of range
         */
        public AdamW {
            Checks.positive("adamw", "lr", lr);
            Checks.unitInterval("adamw", "beta1", beta1);
            Checks.unitInterval("adamw", "beta2", beta2);
            Checks.positive("adamw", "eps", eps);
            Checks.nonNegative("adamw", "weightDecay", weightDecay);
        }

        @Override
        public String name() {
            return "adamw";
        }

        @Override
        public long stateBytesPerParameter() {
            return 2L * Float.BYTES;
        }
    }

    /**
     * Stochastic gradient descent with optional heavy-ball momentum and coupled (L2) weight decay:
     * {@code g' = g + weightDecay * w; buf = momentum * buf + g'} ({@code buf = g'} on a
     * parameter's first step); {@code w -= lr * buf} ({@code w -= lr * g'} when momentum is 0).
     *
     * @param lr base learning rate, finite and &gt; 0
     * @param momentum in [0, 1); 0 keeps no state
     * @param weightDecay default L2 coefficient added to the gradient, finite and &ge; 0
     */
    record Sgd(double lr, double momentum, double weightDecay) implements OptimizerSpec {

        /**
         * Checks the hyperparameters.
         *
         * @param lr base learning rate, finite and &gt; 0
         * @param momentum in [0, 1); 0 keeps no state
         * @param weightDecay default L2 coefficient added to the gradient, finite and &ge; 0
         * @throws IllegalArgumentException naming the hyperparameter that is out of range
         */
        public Sgd {
            Checks.positive("sgd", "lr", lr);
            Checks.unitInterval("sgd", "momentum", momentum);
            Checks.nonNegative("sgd", "weightDecay", weightDecay);
        }

        @Override
        public String name() {
            return "sgd";
        }

        @Override
        public long stateBytesPerParameter() {
            return momentum > 0 ? Float.BYTES : 0L;
        }
    }
}
