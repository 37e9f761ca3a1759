package dev.floe.peft;

import java.util.Optional;

/**
 * An IA3 module (Liu et al. 2022, "infused adapter by inhibiting and amplifying inner
 * activations"): trained scaling vectors on targeted Linear layers, each starting at 1 so an
 * injected module starts as the identity. A targeted layer that the {@code feedforward} glob also
 * matches has its <em>input</em> scaled, {@code y = (l ⊙ x) Wᵀ + b} with l {@code (in)} — the FFN's
 * second matrix, so l scales the inner activation; every other targeted layer has its
 * <em>output</em> scaled, {@code y = l ⊙ (x Wᵀ + b)} with l {@code (out)} — the attention keys and
 * values. For a BERT encoder: target
 * {@code encoder/*}{@code /{attention/self/{key,value},output/dense}} and feedforward
 * {@code encoder/*}{@code /output/dense}.
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the module and the bad field.
 *
 * @param name module name, unique in the graph (letters, digits, '_', '-')
 * @param target glob over the module paths of every Linear layer the module scales
 * @param feedforward glob over the subset of those layers whose input is scaled, or the empty
 *     string for none; when not empty it must match at least one targeted layer (checked at
 *     injection)
 */
public record Ia3Spec(String name, String target, String feedforward) implements PeftSpec {

    /**
     * Checks every field.
     *
     * @param name see the class comment
     * @param target see the class comment
     * @param feedforward see the class comment
     * @throws IllegalArgumentException naming the module and the bad field
     */
    public Ia3Spec {
        Names.checkName("ia3", name);
        Names.checkTarget("ia3", name, target);
        if (feedforward == null) {
            throw new IllegalArgumentException(
                    "ia3 '" + name + "': feedforward is required; give a glob over the targeted layers whose input is"
                            + " scaled, or the empty string for none");
        }
        if (!feedforward.isBlank()) {
            Names.checkTarget("ia3", name, feedforward);
        }
    }

    /**
     * An IA3 module that scales the outputs of every targeted layer (no feed-forward layers).
     *
     * @param name module name, unique in the graph
     * @param target glob over Linear module paths
     * @return the spec
     */
    public static Ia3Spec of(String name, String target) {
        return new Ia3Spec(name, target, "");
    }

    /** {@return the feed-forward glob, empty when no layer has its input scaled} */
    public Optional<String> feedforwardGlob() {
        return feedforward.isBlank() ? Optional.empty() : Optional.of(feedforward);
    }

    @Override
    public String kind() {
        return "ia3";
    }

    @Override
    public Ia3Spec withName(String name) {
        return new Ia3Spec(name, target, feedforward);
    }
}
