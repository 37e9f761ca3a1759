package dev.floe.freeze;

import dev.floe.graph.ModelGraph;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ordered list of rules plus two policy-wide settings; resolve it against a graph with
 * {@link #resolve(ModelGraph)}.
 *
 * <p><b>Rules.</b> For each parameter the last matching rule wins, and a parameter no rule matches
 * trains. "Last match wins" is the only precedence: glob specificity does not matter, so
 * {@code train encoder/block2/**} followed by {@code freeze encoder/**} freezes block2 too.
 *
 * <p><b>Layer decay</b> ({@code layer_decay: γ}, as timm's {@code param_groups_layer_decay}): in a
 * component that declares a {@link dev.floe.graph.Component#layerOrder() layer order} of n layers,
 * parameters under the i-th layer counted from the top (top i = 0) get their learning rate scaled
 * by γ<sup>i</sup>, multiplied with the deciding rule's {@code lr_scale}. The exponent counts
 * <em>declared</em> layers, whether or not they are frozen, so freezing a layer never changes the
 * scale of another (timm counts the same way; the policy does not renumber the layers that train).
 * Parameters under a child that is not in the layer order, and all parameters of a component
 * without a layer order, get γ<sup>0</sup> = 1. LoRA and adapter parameters sit under the layer
 * they are attached to and get that layer's scale. A policy-wide γ applies to every component;
 * {@link Builder#layerDecay(String, double)} sets or overrides it for one component. γ = 1 turns it
 * off.
 *
 * <p><b>train_bn</b> (fastai's {@code train_bn}): BatchNorm scale and shift (norm parameters whose
 * module keeps running statistics) train even where rules freeze them, and those BatchNorm modules
 * run in training mode, so their running statistics update. Layer norms are unaffected.
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the field and the valid range.
 *
 * @param rules the rules in order; copied
 * @param layerDecay policy-wide γ in (0, 1]; 1 = off
 * @param componentLayerDecay γ per component name, each in (0, 1]; overrides {@code layerDecay}; copied
 * @param trainBn whether BatchNorm scale and shift always train
 */
public record FreezePolicy(
        List<FreezeRule> rules, double layerDecay, Map<String, Double> componentLayerDecay, boolean trainBn) {

    /**
     * Copies the rules and the per-component map and checks the layer decay values.
     *
     * @param rules the rules in order; copied
     * @param layerDecay policy-wide γ in (0, 1]; 1 = off
     * @param componentLayerDecay γ per component name, each in (0, 1]; overrides
     *     {@code layerDecay}; copied
     * @param trainBn whether BatchNorm scale and shift always train
     * @throws IllegalArgumentException if {@code rules} is null or a γ is missing or outside (0, 1]
     */
    public FreezePolicy {
        if (rules == null) {
            throw new IllegalArgumentException("a freeze policy needs a rule list (possibly empty)");
        }
        rules = List.copyOf(rules);
        checkLayerDecay("layer_decay", layerDecay);
        if (componentLayerDecay == null) {
            componentLayerDecay = Map.of();
        }
        for (Map.Entry<String, Double> e : componentLayerDecay.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException(
                        "layer_decay for component " + e.getKey() + " is missing; give a number in (0, 1]");
            }
            checkLayerDecay("layer_decay for component " + e.getKey(), e.getValue());
        }
        componentLayerDecay = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(componentLayerDecay));
    }

    /**
     * Rules only: no layer decay, no train_bn.
     *
     * @param rules the rules in order; copied
     */
    public FreezePolicy(List<FreezeRule> rules) {
        this(rules, 1.0, Map.of(), false);
    }

    private static void checkLayerDecay(String field, double gamma) {
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException(
                    field + " must be in (0, 1], found " + gamma
                            + "; 1 turns it off, typical values are 0.65 to 0.9");
        }
    }

    /** The policy with no rules: everything trains. */
    /**
     * The same settings (layer decay, train_bn) with other rules; schedules build each stage's
     * policy this way.
     *
     * @param newRules the rules for the new policy; copied
     * @return a new policy with {@code newRules} and this policy's layer decay and train_bn
     */
    public FreezePolicy withRules(List<FreezeRule> newRules) {
        return new FreezePolicy(newRules, layerDecay, componentLayerDecay, trainBn);
    }

    /**
     * Everything trains: no rules, no layer decay, no train_bn.
     *
     * @return the policy that trains every parameter
     */
    public static FreezePolicy trainAll() {
        return new FreezePolicy(List.of());
    }

    /**
     * A new builder.
     *
     * @return a new builder with no rules, no layer decay and train_bn off
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The γ that applies to a component: its own, else the policy-wide one.
     *
     * @param component a component name
     * @return γ in (0, 1]: the component's own value when set, else {@link #layerDecay()}
     */
    public double layerDecayFor(String component) {
        Double own = componentLayerDecay.get(component);
        return own != null ? own : layerDecay;
    }

    /**
     * Resolves the policy against the graph. The host-freezing rules of the graph's active LoRA
     * modules and adapters ({@link #hostRules}, e.g. {@code freeze encoder/**})
     * come first, so the policy's rules can override them; a host rule whose glob the policy
     * already lists is left out (the policy's rule decides).
     *
     * @param graph the built graph, with its LoRA modules and adapters injected
     * @return the plan: each parameter's state and the rule that decided it
     *
     * @throws IllegalArgumentException when a rule matches no parameter (naming the rule and the
     *     nearest existing paths), when two rules with the same glob text disagree (naming both),
     *     or when a per-component layer decay names a component that is missing or has no layer order
     */
    public FreezePlan resolve(ModelGraph graph) {
        List<FreezeRule> host = hostRules(graph);
        if (host.isEmpty()) {
            return FreezePlan.resolve(graph, this);
        }
        java.util.Set<String> own = new java.util.HashSet<>();
        rules.forEach(r -> own.add(r.glob()));
        List<FreezeRule> all = new ArrayList<>();
        host.stream().filter(r -> !own.contains(r.glob())).forEach(all::add);
        all.addAll(rules);
        return FreezePlan.resolve(graph, withRules(all));
    }

    /**
     * The rules host freezing puts before a policy's own rules: {@code freeze COMPONENT/**} for each
     * component, in graph order, that holds parameters of a LoRA module or adapter that is both in
     * {@link ModelGraph#activeAdapters()} and in {@link ModelGraph#hostFreezingAdapters()}. The
     * config key {@code peft.freeze_host} and the Java injection methods set the same switch.
     *
     * @param graph the graph with its modules injected
     * @return the rules, empty when no active module freezes its host
     */
    public static List<FreezeRule> hostRules(ModelGraph graph) {
        java.util.Set<String> hosts = new java.util.HashSet<>();
        for (dev.floe.nn.Param p : graph.parameters().values()) {
            if (p.kind().isAdapter() && graph.activeAdapters().contains(p.adapter())
                    && graph.hostFreezingAdapters().contains(p.adapter())) {
                int slash = p.path().indexOf('/');
                hosts.add(slash < 0 ? p.path() : p.path().substring(0, slash));
            }
        }
        List<FreezeRule> out = new ArrayList<>();
        for (dev.floe.graph.Component c : graph.components()) {
            if (hosts.contains(c.name())) {
                out.add(FreezeRule.freeze(c.name() + "/**"));
            }
        }
        return out;
    }

    /** Builds a policy rule by rule, in order. */
    public static final class Builder {
        private final List<FreezeRule> rules = new ArrayList<>();
        private final Map<String, Double> componentLayerDecay = new LinkedHashMap<>();
        private double layerDecay = 1.0;
        private boolean trainBn;

        private Builder() {}

        /**
         * Freezes what matches.
         *
         * @param glob a parameter path glob such as {@code encoder/**}
         * @return this builder
         */
        public Builder freeze(String glob) {
            rules.add(FreezeRule.freeze(glob));
            return this;
        }

        /**
         * Trains what matches.
         *
         * @param glob a parameter path glob such as {@code head/**}
         * @return this builder
         */
        public Builder train(String glob) {
            rules.add(FreezeRule.train(glob));
            return this;
        }

        /**
         * Trains what matches at {@code lrScale} times the base learning rate.
         *
         * @param glob a parameter path glob
         * @param lrScale multiplier of the base learning rate, &gt; 0
         * @return this builder
         */
        public Builder train(String glob, double lrScale) {
            rules.add(FreezeRule.train(glob, lrScale));
            return this;
        }

        /**
         * Trains what matches at {@code lrScale} times the base learning rate with weight decay
         * {@code weightDecay}.
         *
         * @param glob a parameter path glob
         * @param lrScale multiplier of the base learning rate, &gt; 0
         * @param weightDecay weight decay for the matched parameters, &ge; 0
         * @return this builder
         */
        public Builder train(String glob, double lrScale, double weightDecay) {
            rules.add(FreezeRule.train(glob, lrScale, weightDecay));
            return this;
        }

        /**
         * Adds a rule.
         *
         * @param rule the rule, applied after the rules added before it
         * @return this builder
         */
        public Builder rule(FreezeRule rule) {
            rules.add(rule);
            return this;
        }

        /**
         * Policy-wide layer decay γ in (0, 1] (default 1 = off).
         *
         * @param gamma γ in (0, 1]
         * @return this builder
         * @throws IllegalArgumentException when γ is outside (0, 1]
         */
        public Builder layerDecay(double gamma) {
            checkLayerDecay("layer_decay", gamma);
            this.layerDecay = gamma;
            return this;
        }

        /**
         * Layer decay γ in (0, 1] for one component, overriding the policy-wide value.
         *
         * @param component the component name
         * @param gamma γ in (0, 1]
         * @return this builder
         * @throws IllegalArgumentException when γ is outside (0, 1] or this component already has one
         */
        public Builder layerDecay(String component, double gamma) {
            checkLayerDecay("layer_decay for component " + component, gamma);
            Double old = componentLayerDecay.put(component, gamma);
            if (old != null) {
                throw new IllegalArgumentException(
                        "layer_decay for component " + component + " was already set to " + old
                                + "; set it once");
            }
            return this;
        }

        /**
         * Whether BatchNorm scale and shift train even where rules freeze them (default false).
         *
         * @param trainBn true to train BatchNorm scale and shift everywhere
         * @return this builder
         */
        public Builder trainBn(boolean trainBn) {
            this.trainBn = trainBn;
            return this;
        }

        /**
         * The policy.
         *
         * @return a new policy with the rules in the order they were added
         */
        public FreezePolicy build() {
            return new FreezePolicy(rules, layerDecay, componentLayerDecay, trainBn);
        }
    }
}
