package dev.floe.freeze;

import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.optim.OptimizerSpec;
import dev.floe.optim.ParamGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A {@link FreezePolicy} resolved against a graph: one {@link Entry} per parameter.
 *
 * <p>How a parameter's state is decided, in order:
 * <ol>
 *   <li>Buffers (running statistics) are {@link State#BUFFER}.
 *   <li>LoRA and adapter parameters ({@link ParamKind#isAdapter()}) are {@link State#LORA} or
 *       {@link State#ADAPTER} while their name is in {@link ModelGraph#activeAdapters()} (at resolve
 *       time) and {@link State#FROZEN} otherwise. Rules do not freeze or unfreeze them; a matching
 *       train rule still sets their {@code lr_scale} and {@code weight_decay}.
 *   <li>Base parameters of a module that holds an active LoRA module ({@code <module>/lora/<name>/A|B})
 *       are frozen whatever the rules say (rule text {@code (base under lora <name>)}).
 *   <li>Other parameters follow the last matching rule; with no match they train — except base
 *       parameters of a component that holds an active adapter, which are frozen unless the
 *       deciding rule is a train rule (rule text {@code (base under adapter <name>)}).
 *   <li>With {@link FreezePolicy#trainBn() train_bn}, BatchNorm scale and shift that the steps
 *       above froze train (rule text starts with {@code (train_bn)}).
 * </ol>
 * {@link Entry#ruleIndex()} is always the last matching rule, also when a later step overrides it.
 *
 * <p>{@link #apply()} sets gradient tracking on every parameter; {@link #trainingContext()} makes
 * the forward context in which a module runs in training mode only if something under it trains
 * (so frozen BatchNorm layers use and keep their running statistics and frozen dropout is off; a
 * BatchNorm trained only because of train_bn switches on training mode for itself, not for its
 * enclosing modules); {@link #groups(OptimizerSpec)} gives the optimizer its parameter groups.
 */
public final class FreezePlan {

    /** Bytes per stored scalar (fp32 weights and gradients). */
    private static final String LORA_SEGMENT = "/lora/";

    /** A parameter's resolved state. */
    public enum State {
        /** Receives gradients and optimizer updates. */
        TRAIN,
        /** Neither. */
        FROZEN,
        /** A BatchNorm running statistic: updated by forward passes while its layer trains, never by gradients. */
        BUFFER,
        /** A parameter of an active LoRA module: trains. */
        LORA,
        /** A parameter of an active bottleneck adapter: trains. */
        ADAPTER;

        /**
         * True for states that receive gradients and optimizer updates (train, lora, adapter).
         *
         * @return true for train, lora and adapter
         */
        public boolean trains() {
            return this == TRAIN || this == LORA || this == ADAPTER;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One parameter's resolution.
     *
     * @param param the parameter
     * @param state its state
     * @param ruleIndex 0-based index of the last matching rule, or -1 when no rule matched
     * @param rule what decided the state: the deciding rule's text ({@code "#2 train encoder/**"}),
     *     {@code "(default: train)"}, or a parenthesised reason that overrides rules
     * @param lrScale effective learning-rate multiplier for a trainable parameter: the deciding
     *     train rule's {@code lr_scale} times {@code layerScale}; 1 for parameters that do not train
     * @param layerScale the layer-decay factor γ<sup>i</sup> (1 without layer decay or when not training)
     * @param weightDecay the deciding train rule's explicit weight decay, or null for the default
     *     (see {@link #weightDecay(OptimizerSpec)}); always null for parameters that do not train
     */
    public record Entry(
            Param param, State state, int ruleIndex, String rule, double lrScale, double layerScale, Double weightDecay) {

        /**
         * An entry without layer decay and with the default weight decay.
         *
         * @param param the parameter
         * @param state its state
         * @param ruleIndex index of the deciding rule in the policy, or -1 when none matched
         * @param rule the deciding rule as text
         * @param lrScale the rule's learning-rate scale
         */
        public Entry(Param param, State state, int ruleIndex, String rule, double lrScale) {
            this(param, state, ruleIndex, rule, lrScale, 1.0, null);
        }

        /**
         * The path.
         *
         * @return the parameter's path
         */
        public String path() {
            return param.path();
        }

        /**
         * True when the parameter receives gradients (train, lora or adapter).
         *
         * @return true for states train, lora and adapter
         */
        public boolean trains() {
            return state.trains();
        }

        /**
         * Effective learning rate {@code spec.lr() * lrScale}, or 0 when the parameter does not
         * train.
         *
         * @param spec the optimizer
         * @return the learning rate this parameter trains at
         */
        public double lr(OptimizerSpec spec) {
            return trains() ? spec.lr() * lrScale : 0.0;
        }

        /**
         * Effective weight decay: 0 when the parameter does not train; the rule's value when set;
         * otherwise the spec's for matrices and kernels (WEIGHT, LORA_A, LORA_B, adapter tensors of
         * two or more dimensions) and 0 for biases, norm parameters and 1-D adapter tensors.
         *
         * @param spec the optimizer, whose weight decay is the default
         * @return the weight decay applied to this parameter
         */
        public double weightDecay(OptimizerSpec spec) {
            if (!trains()) {
                return 0.0;
            }
            if (weightDecay != null) {
                return weightDecay;
            }
            return decaysByDefault(param) ? spec.weightDecay() : 0.0;
        }

        /**
         * Optimizer state bytes for this parameter (0 unless it trains).
         *
         * @param spec the optimizer
         * @return bytes of fp32 optimizer state for this parameter
         */
        public long optimizerBytes(OptimizerSpec spec) {
            return trains() ? param.size() * spec.stateBytesPerParameter() : 0L;
        }
    }

    private final ModelGraph graph;
    private final FreezePolicy policy;
    private final Map<String, Entry> entries;
    private final Set<String> trainingModules;

    private FreezePlan(ModelGraph graph, FreezePolicy policy, Map<String, Entry> entries, Set<String> bnOnly) {
        this.graph = graph;
        this.policy = policy;
        this.entries = Collections.unmodifiableMap(entries);
        Set<String> modules = new HashSet<>();
        for (Entry e : entries.values()) {
            if (!e.trains()) {
                continue;
            }
            String p = e.path();
            if (bnOnly.contains(p)) {
                modules.add(parent(p));
                continue;
            }
            for (int i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
                modules.add(p.substring(0, i));
            }
        }
        this.trainingModules = Set.copyOf(modules);
    }

    /** Default weight decay: matrices and kernels decay, vectors (biases, norm parameters) do not. */
    static boolean decaysByDefault(Param p) {
        return switch (p.kind()) {
            case WEIGHT, LORA_A, LORA_B -> true;
            case ADAPTER -> p.shape().dimension() >= 2;
            default -> false;
        };
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? "" : path.substring(0, i);
    }

    private static String componentOf(String path) {
        int i = path.indexOf('/');
        return i < 0 ? path : path.substring(0, i);
    }

    /** The module a LoRA parameter is attached to: the path before {@code /lora/}, else its parent. */
    private static String loraHost(String path) {
        int i = path.lastIndexOf(LORA_SEGMENT);
        return i > 0 ? path.substring(0, i) : parent(path);
    }

    static FreezePlan resolve(ModelGraph graph, FreezePolicy policy) {
        List<FreezeRule> rules = policy.rules();
        List<PathGlob> globs = rules.stream().map(r -> PathGlob.compile(r.glob())).toList();
        Map<String, Param> params = graph.parameters();
        checkConflicts(rules, globs, params);
        Map<String, List<String>> layerOrders = layerOrders(graph, policy);
        Set<String> active = Set.copyOf(graph.activeAdapters());

        Set<String> bnModules = new HashSet<>();
        Map<String, Set<String>> loraHosts = new HashMap<>();
        Map<String, Set<String>> adapterComponents = new HashMap<>();
        for (Param p : params.values()) {
            if (p.kind().isBuffer()) {
                bnModules.add(parent(p.path()));
            } else if (p.kind().isAdapter() && active.contains(p.adapter())) {
                if (p.kind() == ParamKind.ADAPTER) {
                    adapterComponents.computeIfAbsent(componentOf(p.path()), k -> new LinkedHashSet<>()).add(p.adapter());
                } else {
                    loraHosts.computeIfAbsent(loraHost(p.path()), k -> new LinkedHashSet<>()).add(p.adapter());
                }
            }
        }

        boolean[] used = new boolean[rules.size()];
        Map<String, Entry> entries = new LinkedHashMap<>();
        Set<String> bnOnly = new HashSet<>();
        for (Param p : params.values()) {
            int decided = -1;
            for (int i = 0; i < rules.size(); i++) {
                if (globs.get(i).matches(p.path())) {
                    used[i] = true;
                    decided = i;
                }
            }
            FreezeRule rule = decided < 0 ? null : rules.get(decided);
            String ruleText = rule == null ? "(default: train)" : "#" + (decided + 1) + " " + rule;
            boolean trainRule = rule == null || rule.action() == FreezeRule.Action.TRAIN;
            State state;
            String why = ruleText;
            if (p.kind().isBuffer()) {
                state = State.BUFFER;
                why = "(running statistic)" + (rule == null ? "" : " matched by " + ruleText);
            } else if (p.kind().isAdapter()) {
                String kindName = p.kind() == ParamKind.ADAPTER ? "adapter" : "lora";
                if (active.contains(p.adapter())) {
                    state = p.kind() == ParamKind.ADAPTER ? State.ADAPTER : State.LORA;
                    String reason = "(" + kindName + " " + p.adapter() + " active)";
                    why = rule == null ? reason : trainRule ? ruleText + "; " + reason : reason + " over " + ruleText;
                } else {
                    state = State.FROZEN;
                    why = "(" + kindName + " " + p.adapter() + " inactive)" + (rule == null ? "" : " over " + ruleText);
                }
            } else if (loraHosts.containsKey(parent(p.path()))) {
                state = State.FROZEN;
                why = "(base under lora " + String.join(",", loraHosts.get(parent(p.path()))) + ")"
                        + (rule == null ? "" : " over " + ruleText);
            } else if (rule == null && adapterComponents.containsKey(componentOf(p.path()))) {
                state = State.FROZEN;
                why = "(base under adapter " + String.join(",", adapterComponents.get(componentOf(p.path()))) + ")";
            } else {
                state = trainRule ? State.TRAIN : State.FROZEN;
            }
            if (policy.trainBn()
                    && state == State.FROZEN
                    && (p.kind() == ParamKind.NORM_SCALE || p.kind() == ParamKind.NORM_SHIFT)
                    && bnModules.contains(parent(p.path()))
                    && !loraHosts.containsKey(parent(p.path()))) {
                state = State.TRAIN;
                why = "(train_bn) over " + why;
                bnOnly.add(p.path());
            }
            double lrScale = 1.0;
            double layerScale = 1.0;
            Double weightDecay = null;
            if (state.trains()) {
                layerScale = layerScale(p.path(), layerOrders, policy);
                boolean fromRule = rule != null && rule.action() == FreezeRule.Action.TRAIN;
                lrScale = (fromRule ? rule.lrScale() : 1.0) * layerScale;
                weightDecay = fromRule ? rule.weightDecay() : null;
                if (layerScale != 1.0) {
                    why = why + " · layer_decay " + FreezePlanReport.fmt(layerScale);
                }
            }
            entries.put(p.path(), new Entry(p, state, decided, why, lrScale, layerScale, weightDecay));
        }
        for (int i = 0; i < rules.size(); i++) {
            if (!used[i]) {
                throw new IllegalArgumentException(
                        "rule #" + (i + 1) + " '" + rules.get(i) + "' matches no parameter; nearest paths: "
                                + PathGlob.nearestPaths(globs.get(i).literalPrefix(), graph.parameters().keySet(), 3)
                                + "; fix the glob"
                                + (params.isEmpty()
                                        ? " (the graph has no parameters)"
                                        : " (paths look like " + params.keySet().iterator().next() + ")"));
            }
        }
        return new FreezePlan(graph, policy, entries, bnOnly);
    }

    /**
     * Two rules with the same glob text but different settings: the earlier one can never decide
     * anything, which is almost always a copy-paste mistake.
     */
    private static void checkConflicts(List<FreezeRule> rules, List<PathGlob> globs, Map<String, Param> params) {
        for (int j = 0; j < rules.size(); j++) {
            for (int i = 0; i < j; i++) {
                FreezeRule a = rules.get(i);
                FreezeRule b = rules.get(j);
                if (a.glob().equals(b.glob()) && !a.sameSettings(b)) {
                    String path = params.keySet().stream()
                            .filter(globs.get(i)::matches)
                            .findFirst()
                            .orElse("(none)");
                    throw new IllegalArgumentException(
                            "rules #" + (i + 1) + " '" + a + "' and #" + (j + 1) + " '" + b
                                    + "' have the same glob but different settings, so #" + (j + 1)
                                    + " silently overrides #" + (i + 1) + " on every path it matches (e.g. "
                                    + path + "); delete one of them, or narrow one glob if they were meant for"
                                    + " different layers");
                }
            }
        }
    }

    /** Layer orders of the components that have layer decay, checking per-component settings. */
    private static Map<String, List<String>> layerOrders(ModelGraph graph, FreezePolicy policy) {
        Map<String, List<String>> orders = new HashMap<>();
        Set<String> names = new LinkedHashSet<>();
        for (Component c : graph.components()) {
            names.add(c.name());
            if (policy.layerDecayFor(c.name()) != 1.0) {
                orders.put(c.name(), c.layerOrder());
            }
        }
        for (String c : policy.componentLayerDecay().keySet()) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException(
                        "layer_decay is set for component " + c + ", which is not in the graph; components are "
                                + names + "; fix the name or remove the setting");
            }
            if (graph.component(c).layerOrder().isEmpty()) {
                throw new IllegalArgumentException(
                        "layer_decay is set for component " + c + ", which declares no layer order, so it has no"
                                + " effect; remove it, or use lr_scale rules for that component");
            }
        }
        return orders;
    }

    /**
     * γ^i where i counts declared layers from the top of the component's layer order (top = 0),
     * frozen or not; 1 outside the layer order.
     */
    private static double layerScale(String path, Map<String, List<String>> orders, FreezePolicy policy) {
        String component = componentOf(path);
        List<String> order = orders.get(component);
        if (order == null || order.isEmpty()) {
            return 1.0;
        }
        int best = -1;
        int bestLength = -1;
        for (int j = 0; j < order.size(); j++) {
            String prefix = component + "/" + order.get(j) + "/";
            if (path.startsWith(prefix) && prefix.length() > bestLength) {
                best = j;
                bestLength = prefix.length();
            }
        }
        if (best < 0) {
            return 1.0;
        }
        int fromTop = order.size() - 1 - best;
        return Math.pow(policy.layerDecayFor(component), fromTop);
    }


    /**
     * The graph this plan was resolved against.
     *
     * @return the graph
     */
    public ModelGraph graph() {
        return graph;
    }

    /**
     * The policy it came from.
     *
     * @return the policy
     */
    public FreezePolicy policy() {
        return policy;
    }

    /**
     * Entries by parameter path, in the graph's order.
     *
     * @return an unmodifiable map from parameter path to entry
     */
    public Map<String, Entry> entries() {
        return entries;
    }

    /**
     * The entry for a path.
     *
     * @param path a parameter path
     * @return the entry
     */
    public Entry entry(String path) {
        Entry e = entries.get(path);
        if (e == null) {
            throw new IllegalArgumentException("no parameter " + path + " in this plan");
        }
        return e;
    }

    /**
     * Parameters that receive gradients (states train, lora and adapter), in the graph's order.
     *
     * @return the trainable parameters
     */
    public List<Param> trainable() {
        return entries.values().stream().filter(Entry::trains).map(Entry::param).toList();
    }

    /**
     * Scalar count of parameters that receive gradients (train, lora and adapter).
     *
     * @return the number of trainable scalars
     */
    public long trainableCount() {
        return entries.values().stream().filter(Entry::trains).mapToLong(e -> e.param.size()).sum();
    }

    /**
     * Scalar count of frozen parameters (buffers excluded).
     *
     * @return the number of frozen scalars
     */
    public long frozenCount() {
        return count(State.FROZEN);
    }

    /**
     * Scalar count of buffers (running statistics).
     *
     * @return the number of buffer scalars
     */
    public long bufferCount() {
        return count(State.BUFFER);
    }

    /**
     * Scalar count of parameters in one state.
     *
     * @param s the state
     * @return the number of scalars in parameters with state {@code s}
     */
    public long count(State s) {
        return entries.values().stream().filter(e -> e.state == s).mapToLong(e -> e.param.size()).sum();
    }

    /**
     * Scalar count of everything.
     *
     * @return the number of scalars in all parameters, buffers included
     */
    public long totalCount() {
        return entries.values().stream().mapToLong(e -> e.param.size()).sum();
    }

    /**
     * Optimizer state bytes this plan implies for the given optimizer.
     *
     * @param spec the optimizer
     * @return bytes of optimizer state (fp32) for the trainable parameters
     */
    public long optimizerBytes(OptimizerSpec spec) {
        return trainableCount() * spec.stateBytesPerParameter();
    }

    /** Turns gradients on for parameters that train (train, lora, adapter) and off for all others. */
    public void apply() {
        for (Entry e : entries.values()) {
            e.param.setTrainable(e.trains());
        }
    }

    /**
     * The context for training passes: a module runs in training mode only when some parameter
     * below it trains; a BatchNorm whose scale and shift train only because of train_bn runs in
     * training mode itself (its running statistics update) without switching on its ancestors.
     *
     * @return a new context for training forward passes of this plan's graph
     */
    public ForwardContext trainingContext() {
        return trainingModules::contains;
    }

    /**
     * Optimizer groups: parameters that train, grouped by effective learning-rate scale (rule
     * {@code lr_scale} × layer decay) and effective weight decay (see {@link Entry#weightDecay}).
     * Groups are named {@code lr_scale=<s>,wd=<d>} and appear in the order of their first member.
     *
     * @param spec the optimizer, whose weight decay applies where no rule sets one
     * @return the groups; every trainable parameter is in exactly one
     */
    public List<ParamGroup> groups(OptimizerSpec spec) {
        Map<String, List<Param>> byKey = new LinkedHashMap<>();
        Map<String, double[]> settings = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            if (!e.trains()) {
                continue;
            }
            double wd = e.weightDecay(spec);
            String key = "lr_scale=" + e.lrScale + ",wd=" + wd;
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(e.param);
            settings.put(key, new double[] {e.lrScale, wd});
        }
        List<ParamGroup> groups = new ArrayList<>();
        for (Map.Entry<String, List<Param>> g : byKey.entrySet()) {
            double[] s = settings.get(g.getKey());
            groups.add(new ParamGroup(g.getKey(), g.getValue(), s[0], s[1]));
        }
        return groups;
    }

    /**
     * A table: one row per parameter (path, count, state, lr scale, effective learning rate
     * {@code spec.lr() × scale}, weight decay, optimizer bytes, what decided it), then totals of
     * trainable and frozen parameters with the bytes of their weights, gradients and optimizer
     * state (fp32), and, when PEFT modules train, their trainable parameters per method ({@code lora},
     * {@code dora}, {@code ia3}, {@code adapter}, {@code prompt}, {@code prefix}, {@code fusion}; methods
     * with none left out). Parameters that do not train show {@code -} for rate and decay.
     *
     * @param spec the optimizer, for learning rates and state bytes
     * @return the table as text, lines ending in a newline
     */
    public String explain(OptimizerSpec spec) {
        return FreezePlanReport.explain(this, spec);
    }

    /**
     * A shorter table: one row per module (the parent path of its parameters) with its parameter
     * count, how many of them train, are frozen or are buffers, its states and its optimizer bytes;
     * then the same totals as {@link #explain(OptimizerSpec)}.
     *
     * @param spec the optimizer, for state bytes
     * @return the table as text, lines ending in a newline
     */
    public String explainModules(OptimizerSpec spec) {
        return FreezePlanReport.explainModules(this, spec);
    }

    /**
     * A table with one row per declared layer ({@code encoder/block1}; a component without a layer
     * order is one row): parameter count, state, effective learning rate, parameter and optimizer
     * bytes, whether the layer's outputs come from the feature cache (its component is in
     * {@code cachedComponents}) and the deciding rule; then the totals of {@link #explain}.
     *
     * @param spec the optimizer, for learning rates and state bytes
     * @param cachedComponents names of the components whose outputs are served by the feature cache
     * @return the table as text, lines ending in a newline
     */
    public String explainLayers(OptimizerSpec spec, Set<String> cachedComponents) {
        return FreezePlanReport.explainLayers(this, spec, cachedComponents, Map.of());
    }

    /**
     * {@link #explainLayers(OptimizerSpec, Set)} with three more columns from {@code activations}
     * (by segment path: components and their layers): whether the layer is checkpointed and the bytes
     * it keeps for backward without and with checkpointing. A component's own row shows what the
     * component keeps beyond its listed layers; a row without a segment shows {@code -}.
     *
     * @param spec the optimizer, for learning rates and state bytes
     * @param cachedComponents names of the components whose outputs are served by the feature cache
     * @param activations activation bytes by segment path
     * @return the table as text, lines ending in a newline
     */
    public String explainLayers(OptimizerSpec spec, Set<String> cachedComponents, Map<String, LayerActivation> activations) {
        return FreezePlanReport.explainLayers(this, spec, cachedComponents, activations);
    }

    /**
     * The plan as JSON: {@code {"optimizer":..., "lr":..., "layer_decay":..., "train_bn":...,
     * "parameters":[...], "totals":{...}}}. Each parameter has path, kind, shape, params, state,
     * rule, lr_scale, layer_scale, lr and weight_decay (null when it does not train) and
     * optimizer_bytes; the totals include {@code params_by_method}, the trainable PEFT parameters per
     * method as in {@link #explain(OptimizerSpec)}.
     *
     * @param spec the optimizer, for learning rates, weight decay and state bytes
     * @return the JSON text
     */
    public String toJson(OptimizerSpec spec) {
        return FreezePlanReport.toJson(this, spec);
    }
}
