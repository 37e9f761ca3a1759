package dev.floe.freeze;

import dev.floe.graph.ModelGraph;
import java.util.ArrayList;
import java.util.List;

/**
 * An ordered list of rules; for each parameter the last matching rule wins, and a parameter no rule
 * matches trains. Resolve it against a graph with {@link #resolve(ModelGraph)}.
 */
public record FreezePolicy(List<FreezeRule> rules) {

    public FreezePolicy {
        rules = List.copyOf(rules);
    }

    /** The policy with no rules: everything trains. */
    public static FreezePolicy trainAll() {
        return new FreezePolicy(List.of());
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Resolves the policy against the graph.
     *
     * @throws IllegalArgumentException when a rule matches no parameter, naming the rule and the
     *     nearest existing paths
     */
    public FreezePlan resolve(ModelGraph graph) {
        return FreezePlan.resolve(graph, this);
    }

    /** Builds a policy rule by rule, in order. */
    public static final class Builder {
        private final List<FreezeRule> rules = new ArrayList<>();

        private Builder() {}

        /** Freezes what matches. */
        public Builder freeze(String glob) {
            rules.add(FreezeRule.freeze(glob));
            return this;
        }

        /** Trains what matches. */
        public Builder train(String glob) {
            rules.add(FreezeRule.train(glob));
            return this;
        }

        /** Trains what matches at {@code lrScale} times the base learning rate. */
        public Builder train(String glob, double lrScale) {
            rules.add(FreezeRule.train(glob, lrScale));
            return this;
        }

        /** Adds a rule. */
        public Builder rule(FreezeRule rule) {
            rules.add(rule);
            return this;
        }

        /** The policy. */
        public FreezePolicy build() {
            return new FreezePolicy(rules);
        }
    }
}
