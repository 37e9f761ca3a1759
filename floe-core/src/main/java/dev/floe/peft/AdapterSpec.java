package dev.floe.peft;

import java.util.Locale;

/**
 * A serial bottleneck adapter (Houlsby et al.) after each targeted Linear:
 * {@code y' = y + up(act(down(y)))} with down {@code (bottleneck, out)} and up
 * {@code (out, bottleneck)}; up starts at zero, so an injected adapter starts as the identity.
 * For a BERT encoder, target the attention output and feed-forward output projections:
 * {@code encoder/**}{@code /{attention/output/dense,output/dense}}.
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the adapter and the bad field.
 *
 * @param name module name, unique in the graph (letters, digits, '_', '-')
 * @param bottleneck hidden width, at least 1 and at most the output width of every targeted layer
 * @param target glob over the module paths of the Linear layers whose output the adapter follows
 * @param activation the nonlinearity between down and up
 */
public record AdapterSpec(String name, int bottleneck, String target, Activation activation) implements PeftSpec {

    /** The nonlinearity inside the bottleneck. */
    public enum Activation {
        /** max(0, x). */
        RELU,
        /** Gaussian error linear unit (as in BERT). */
        GELU;

        /**
         * Parses {@code relu} or {@code gelu} (any case), or fails listing them.
         *
         * @param text the name as written
         * @return the activation
         * @throws IllegalArgumentException naming the text and the choices when it is neither
         */
        public static Activation parse(String text) {
            for (Activation a : values()) {
                if (a.name().equalsIgnoreCase(text.trim())) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown adapter activation '" + text + "'; expected relu or gelu");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks every field.
     *
     * @param name see the class comment
     * @param bottleneck see the class comment
     * @param target see the class comment
     * @param activation see the class comment
     * @throws IllegalArgumentException naming the adapter and the bad field
     */
    public AdapterSpec {
        Names.checkName("adapter", name);
        if (bottleneck < 1) {
            throw new IllegalArgumentException(
                    "adapter '" + name + "': bottleneck must be at least 1, found " + bottleneck
                            + "; typical sizes are 16 to 64");
        }
        Names.checkTarget("adapter", name, target);
        if (activation == null) {
            throw new IllegalArgumentException("adapter '" + name + "': activation is required (relu or gelu)");
        }
    }

    /**
     * A ReLU adapter.
     *
     * @param name module name, unique in the graph
     * @param bottleneck hidden width, at least 1
     * @param target glob over Linear module paths
     * @return the spec
     */
    public static AdapterSpec of(String name, int bottleneck, String target) {
        return new AdapterSpec(name, bottleneck, target, Activation.RELU);
    }

    @Override
    public String kind() {
        return "adapter";
    }

    @Override
    public AdapterSpec withName(String name) {
        return new AdapterSpec(name, bottleneck, target, activation);
    }
}
