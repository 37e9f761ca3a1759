package dev.floe.freeze;

import java.util.Locale;

/**
 * One rule of a policy: parameters whose path matches {@code glob} get {@code action}, and — when
 * they train — the learning rate scaled by {@code lrScale}.
 *
 * @param glob a {@link PathGlob}, e.g. {@code encoder/block3/**}
 * @param action what to do with matching parameters
 * @param lrScale multiplier on the base learning rate for trainable matches (1 = unchanged)
 */
public record FreezeRule(String glob, Action action, double lrScale) {

    /** What a rule does to the parameters it matches. */
    public enum Action {
        /** No gradients, no optimizer state, inference mode for its modules. */
        FREEZE,
        /** Gradients and optimizer updates. */
        TRAIN;

        /** Parses {@code freeze} or {@code train}, or fails listing them. */
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

    public FreezeRule {
        PathGlob.compile(glob); // validates
        if (action == null) {
            throw new IllegalArgumentException("rule '" + glob + "' needs an action: freeze or train");
        }
        if (!(lrScale > 0) || Double.isInfinite(lrScale)) {
            throw new IllegalArgumentException(
                    "rule '" + action + " " + glob + "': lr_scale must be a positive number, found " + lrScale);
        }
    }

    /** {@code freeze glob}. */
    public static FreezeRule freeze(String glob) {
        return new FreezeRule(glob, Action.FREEZE, 1.0);
    }

    /** {@code train glob}. */
    public static FreezeRule train(String glob) {
        return new FreezeRule(glob, Action.TRAIN, 1.0);
    }

    /** {@code train glob} at a scaled learning rate. */
    public static FreezeRule train(String glob, double lrScale) {
        return new FreezeRule(glob, Action.TRAIN, lrScale);
    }

    @Override
    public String toString() {
        return action + " " + glob + (lrScale == 1.0 ? "" : " lr_scale=" + lrScale);
    }
}
