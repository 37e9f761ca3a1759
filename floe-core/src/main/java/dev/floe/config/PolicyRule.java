package dev.floe.config;

import dev.floe.freeze.FreezeRule;
import java.util.List;

/**
 * One entry of the {@code policy} list: exactly one of {@code freeze} or {@code train}, whose value
 * is a path glob, plus an optional {@code lr_scale} for train rules. Rules apply in order and the
 * last match wins (see {@link dev.floe.freeze.FreezePolicy}).
 *
 * <pre>{@code
 * policy:
 *   - freeze: "encoder/**"
 *   - train: "encoder/block2/**"
 *     lr_scale: 0.1
 * }</pre>
 *
 * @param freeze glob of parameters to freeze, or null
 * @param train glob of parameters to train, or null
 * @param lrScale {@code lr_scale}: learning-rate multiplier for a train rule, finite and &gt; 0;
 *     default 1; null for a freeze rule
 * @param weightDecay {@code weight_decay}: decay for everything the train rule matches (norm and bias
 *     parameters included), &ge; 0; default: the optimizer's, for weights only
 */
public record PolicyRule(String freeze, String train, Double lrScale, Double weightDecay) {

    /**
     * Checks that the rule has exactly one action and only the keys that action allows; a bad rule
     * throws an exception saying what to write instead.
     *
     * @param freeze glob of parameters to freeze, or null
     * @param train glob of parameters to train, or null
     * @param lrScale {@code lr_scale}: learning-rate multiplier for a train rule, finite and &gt;
     *     0; default 1; null for a freeze rule
     * @param weightDecay {@code weight_decay}: decay for everything the train rule matches (norm
     *     and bias parameters included), &ge; 0; default: the optimizer's, for weights only
     */
    public PolicyRule {
        if ((freeze == null) == (train == null)) {
            throw new IllegalArgumentException(
                    (freeze == null ? "a rule has neither freeze nor train" : "a rule has both freeze and train")
                            + "; give each rule exactly one action, e.g. - freeze: \"encoder/**\" or"
                            + " - {train: \"head/**\", lr_scale: 2}");
        }
        if (freeze != null && lrScale != null) {
            throw Fields.bad("lr_scale",
                    "lr_scale is given on freeze rule '" + freeze + "' but frozen parameters have no learning"
                            + " rate; move lr_scale to a train rule or remove it");
        }
        if (freeze != null && weightDecay != null) {
            throw Fields.bad("weight_decay",
                    "weight_decay is given on freeze rule '" + freeze + "' but frozen parameters are not updated;"
                            + " move it to a train rule or remove it");
        }
        if (weightDecay != null) {
            Fields.nonNegative("weight_decay", weightDecay);
        }
        if (train != null) {
            lrScale = lrScale == null ? 1.0 : lrScale;
            Fields.positive("lr_scale", lrScale, "1 keeps the optimizer's rate, 0.1 trains ten times slower");
        }
        try {
            dev.floe.graph.PathGlob.compile(freeze != null ? freeze : train);
        } catch (IllegalArgumentException badGlob) {
            throw Fields.inside(List.of(freeze != null ? "freeze" : "train"), badGlob.getMessage());
        }
        toRule(freeze, train, lrScale == null ? 1.0 : lrScale, weightDecay);
    }

    /**
     * The rule as {@link dev.floe.freeze.FreezePolicy} takes it.
     *
     * @return the freeze rule
     */
    public FreezeRule toRule() {
        return toRule(freeze, train, train != null ? lrScale : 1.0, weightDecay);
    }

    private static FreezeRule toRule(String freeze, String train, double lrScale, Double weightDecay) {
        if (freeze != null) {
            return FreezeRule.freeze(freeze);
        }
        return weightDecay == null ? FreezeRule.train(train, lrScale) : FreezeRule.train(train, lrScale, weightDecay);
    }
}
