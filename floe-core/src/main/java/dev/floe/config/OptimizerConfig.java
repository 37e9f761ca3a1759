package dev.floe.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.floe.optim.OptimizerSpec;

/**
 * The {@code optimizer} section, chosen by its {@code type} key; turns into an {@link OptimizerSpec}.
 *
 * <pre>{@code
 * optimizer: {type: adamw, lr: 0.002, weight_decay: 0.01}
 * optimizer: {type: sgd, lr: 0.05, momentum: 0.9, weight_decay: 0.0005}
 * }</pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = OptimizerConfig.AdamW.class, name = "adamw"),
    @JsonSubTypes.Type(value = OptimizerConfig.Sgd.class, name = "sgd")
})
public sealed interface OptimizerConfig {

    /**
     * The optimizer spec.
     *
     * @return the spec
     */
    OptimizerSpec toSpec();

    /**
     * {@code type: adamw}: {@link OptimizerSpec.AdamW}.
     *
     * @param lr base learning rate, finite and &gt; 0; required
     * @param weightDecay {@code weight_decay}, decoupled, &ge; 0; default 0.01
     * @param beta1 in [0, 1); default 0.9
     * @param beta2 in [0, 1); default 0.999
     * @param eps &gt; 0; default 1e-8
     */
    record AdamW(Double lr, Double weightDecay, Double beta1, Double beta2, Double eps) implements OptimizerConfig {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param lr base learning rate, finite and &gt; 0; required
         * @param weightDecay {@code weight_decay}, decoupled, &ge; 0; default 0.01
         * @param beta1 in [0, 1); default 0.9
         * @param beta2 in [0, 1); default 0.999
         * @param eps &gt; 0; default 1e-8
         */
        public AdamW {
            OptimizerSpec.AdamW defaults = OptimizerSpec.adamW(1.0);
            Fields.required().key("lr", lr).check("optimizer: {type: adamw, lr: 0.001}");
            weightDecay = weightDecay == null ? defaults.weightDecay() : weightDecay;
            beta1 = beta1 == null ? defaults.beta1() : beta1;
            beta2 = beta2 == null ? defaults.beta2() : beta2;
            eps = eps == null ? defaults.eps() : eps;
            Fields.positive("lr", lr, "AdamW usually takes 1e-4 to 1e-2, e.g. lr: 0.001");
            Fields.nonNegative("weight_decay", weightDecay);
            Fields.unitInterval("beta1", beta1);
            Fields.unitInterval("beta2", beta2);
            Fields.positive("eps", eps, "the usual value is 1e-8");
        }

        @Override
        public OptimizerSpec toSpec() {
            return new OptimizerSpec.AdamW(lr, beta1, beta2, eps, weightDecay);
        }
    }

    /**
     * {@code type: sgd}: {@link OptimizerSpec.Sgd}.
     *
     * @param lr base learning rate, finite and &gt; 0; required
     * @param momentum in [0, 1); default 0
     * @param weightDecay {@code weight_decay}, L2 added to the gradient, &ge; 0; default 0
     */
    record Sgd(Double lr, Double momentum, Double weightDecay) implements OptimizerConfig {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param lr base learning rate, finite and &gt; 0; required
         * @param momentum in [0, 1); default 0
         * @param weightDecay {@code weight_decay}, L2 added to the gradient, &ge; 0; default 0
         */
        public Sgd {
            Fields.required().key("lr", lr).check("optimizer: {type: sgd, lr: 0.05, momentum: 0.9}");
            momentum = momentum == null ? 0.0 : momentum;
            weightDecay = weightDecay == null ? 0.0 : weightDecay;
            Fields.positive("lr", lr, "SGD usually takes 1e-3 to 1e-1, e.g. lr: 0.05");
            Fields.unitInterval("momentum", momentum);
            Fields.nonNegative("weight_decay", weightDecay);
        }

        @Override
        public OptimizerSpec toSpec() {
            return new OptimizerSpec.Sgd(lr, momentum, weightDecay);
        }
    }
}
