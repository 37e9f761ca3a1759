package dev.floe.freeze;

import dev.floe.graph.PathGlob;
import java.util.Locale;

/**
 * One rule of a policy: parameters whose path matches {@code glob} get {@code action}, and — when
 * they train — the learning rate scaled by {@code lrScale} and, if set, the weight decay
 * {@code weightDecay} instead of the default.
 *
 * <p>The default weight decay (when {@code weightDecay} is null) is the optimizer's for matrices
 * and kernels ({@code WEIGHT}, {@code LORA_A}, {@code LORA_B}, and adapter tensors of two or more
 * dimensions) and 0 for biases, norm scales and shifts and 1-D adapter tensors. A rule that sets
 * {@code weightDecay} applies it to every trainable parameter it decides, norm and bias parameters
 * included.
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the rule, the field and the valid range.
 *
 * @param glob a {@link PathGlob}, e.g. {@code encoder/block3/**}
 * @param action what to do with matching parameters
 * @param lrScale multiplier on the base learning rate for trainable matches, finite and &gt; 0 (1 =
 *     unchanged); must be 1 on a freeze rule
 * @param weightDecay decay coefficient for trainable matches, finite and &ge; 0, or null for the
 *     default described above; must be null on a freeze rule
 */
public record FreezeRule(String glob, Action action, double lrScale, Double weightDecay) {

    /** What a rule does to the parameters it matches. */
    public enum Action {
        /** No gradients, no optimizer state, inference mode for its modules. */
        FREEZE,
        /** Gradients and optimizer updates. */
        TRAIN;

        /**
         * Parses {@code freeze} or {@code train}, or fails listing them.
         *
         * @param text {@code freeze} or {@code train}, any case, surrounding spaces ignored
         * @return the action
         * @throws IllegalArgumentException for any other text, listing the valid ones
         */
        public static Action parse(String text) {
            for (Action a : values()) {
                if (a.name().equalsIgnoreCase(text.trim())) {
                    return a;
                }
            }
            throw new IllegalArgumentException(
                    "unknown action '" + text + "'; expected one of freeze, train");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks the rule.
     *
     * @param glob a {@link PathGlob}, e.g. {@code encoder/block3/**}
     * @param action what to do with matching parameters
     * @param lrScale multiplier on the base learning rate for trainable matches, finite and &gt; 0
     *     (1 = unchanged); must be 1 on a freeze rule
     * @param weightDecay decay coefficient for trainable matches, finite and &ge; 0, or null for
     *     the default described above; must be null on a freeze rule
     * @throws IllegalArgumentException if the action is missing, the glob does not compile, or a
     *     scale or weight decay is out of range
     */
    public FreezeRule {
        if (action == null) {
            throw new IllegalArgumentException("rule '" + glob + "' needs an action: freeze or train");
        }
        try {
            PathGlob.compile(glob);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rule '" + action + " " + glob + "': " + e.getMessage(), e);
        }
        glob = glob.trim();
        if (!(lrScale > 0) || Double.isInfinite(lrScale)) {
            throw new IllegalArgumentException(
                    "rule '" + action + " " + glob + "': lr_scale must be a finite number > 0, found " + lrScale
                            + "; 1 keeps the base learning rate, 0.1 trains ten times slower");
        }
        if (weightDecay != null && (!(weightDecay >= 0) || Double.isInfinite(weightDecay))) {
            throw new IllegalArgumentException(
                    "rule '" + action + " " + glob + "': weight_decay must be a finite number >= 0, found "
                            + weightDecay + "; leave it out for the default (the optimizer's decay on weights,"
                            + " none on biases and norm parameters)");
        }
        if (action == Action.FREEZE && (lrScale != 1.0 || weightDecay != null)) {
            throw new IllegalArgumentException(
                    "rule 'freeze " + glob + "' sets " + (lrScale != 1.0 ? "lr_scale=" + lrScale : "weight_decay=" + weightDecay)
                            + ", which has no effect on frozen parameters; remove it, or make the rule"
                            + " 'train " + glob + "'");
        }
    }

    /**
     * A rule with the default weight decay ({@code weightDecay == null}).
     *
     * @param glob a parameter path glob
     * @param action freeze or train
     * @param lrScale multiplier of the base learning rate
     */
    public FreezeRule(String glob, Action action, double lrScale) {
        this(glob, action, lrScale, null);
    }

    /**
     * {@code freeze glob}.
     *
     * @param glob a parameter path glob
     * @return a freeze rule
     */
    public static FreezeRule freeze(String glob) {
        return new FreezeRule(glob, Action.FREEZE, 1.0, null);
    }

    /**
     * {@code train glob}.
     *
     * @param glob a parameter path glob
     * @return a train rule at the base learning rate
     */
    public static FreezeRule train(String glob) {
        return new FreezeRule(glob, Action.TRAIN, 1.0, null);
    }

    /**
     * {@code train glob} at a scaled learning rate.
     *
     * @param glob a parameter path glob
     * @param lrScale multiplier of the base learning rate
     * @return a train rule
     */
    public static FreezeRule train(String glob, double lrScale) {
        return new FreezeRule(glob, Action.TRAIN, lrScale, null);
    }

    /**
     * {@code train glob} at a scaled learning rate with an explicit weight decay.
     *
     * @param glob a parameter path glob
     * @param lrScale multiplier of the base learning rate
     * @param weightDecay weight decay for the matched parameters
     * @return a train rule
     */
    public static FreezeRule train(String glob, double lrScale, double weightDecay) {
        return new FreezeRule(glob, Action.TRAIN, lrScale, weightDecay);
    }

    /** True when this rule and {@code other} set the same action, lr_scale and weight_decay. */
    boolean sameSettings(FreezeRule other) {
        return action == other.action
                && Double.compare(lrScale, other.lrScale) == 0
                && java.util.Objects.equals(weightDecay, other.weightDecay);
    }

    @Override
    public String toString() {
        return action + " " + glob
                + (lrScale == 1.0 ? "" : " lr_scale=" + lrScale)
                + (weightDecay == null ? "" : " weight_decay=" + weightDecay);
    }
}
