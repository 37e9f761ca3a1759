package dev.floe.freeze;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import dev.floe.optim.ParamGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
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
 * <p>{@link #apply()} sets gradient tracking on every parameter; {@link #trainingContext()} makes
 * the forward context in which a module runs in training mode only if something under it trains
 * (so frozen BatchNorm layers use and keep their running statistics and frozen dropout is off);
 * {@link #groups(OptimizerSpec)} gives the optimizer its parameter groups.
 */
public final class FreezePlan {

    /** A parameter's resolved state. */
    public enum State {
        /** Receives gradients and optimizer updates. */
        TRAIN,
        /** Neither. */
        FROZEN,
        /** A BatchNorm running statistic: updated by forward passes while its layer trains, never by gradients. */
        BUFFER;

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
     * @param ruleIndex 0-based index of the deciding rule, or -1 when no rule matched (default: train)
     * @param rule the deciding rule's text, or {@code "(default: train)"}
     * @param lrScale learning-rate multiplier (1 unless a train rule scales it)
     */
    public record Entry(Param param, State state, int ruleIndex, String rule, double lrScale) {
        /** The path. */
        public String path() {
            return param.path();
        }
    }

    private final ModelGraph graph;
    private final FreezePolicy policy;
    private final Map<String, Entry> entries;
    private final Set<String> trainingModules;

    private FreezePlan(ModelGraph graph, FreezePolicy policy, Map<String, Entry> entries) {
        this.graph = graph;
        this.policy = policy;
        this.entries = Collections.unmodifiableMap(entries);
        Set<String> modules = new HashSet<>();
        for (Entry e : entries.values()) {
            if (e.state == State.TRAIN) {
                String p = e.path();
                for (int i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
                    modules.add(p.substring(0, i));
                }
            }
        }
        this.trainingModules = Set.copyOf(modules);
    }

    static FreezePlan resolve(ModelGraph graph, FreezePolicy policy) {
        List<FreezeRule> rules = policy.rules();
        List<PathGlob> globs = rules.stream().map(r -> PathGlob.compile(r.glob())).toList();
        boolean[] used = new boolean[rules.size()];
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Param p : graph.parameters().values()) {
            int decided = -1;
            for (int i = 0; i < rules.size(); i++) {
                if (globs.get(i).matches(p.path())) {
                    used[i] = true;
                    decided = i;
                }
            }
            State state;
            double lrScale = 1.0;
            String ruleText;
            if (decided < 0) {
                state = State.TRAIN;
                ruleText = "(default: train)";
            } else {
                FreezeRule r = rules.get(decided);
                state = r.action() == FreezeRule.Action.TRAIN ? State.TRAIN : State.FROZEN;
                lrScale = r.lrScale();
                ruleText = "#" + (decided + 1) + " " + r;
            }
            if (p.kind().isBuffer()) {
                state = State.BUFFER;
                lrScale = 1.0;
            }
            entries.put(p.path(), new Entry(p, state, decided, ruleText, lrScale));
        }
        for (int i = 0; i < rules.size(); i++) {
            if (!used[i]) {
                throw new IllegalArgumentException(
                        "rule #" + (i + 1) + " '" + rules.get(i) + "' matches no parameter; nearest paths: "
                                + nearest(graph, globs.get(i).literalPrefix())
                                + "; fix the glob"
                                + (graph.parameters().isEmpty()
                                        ? " (the graph has no parameters)"
                                        : " (paths look like " + graph.parameters().keySet().iterator().next() + ")"));
            }
        }
        return new FreezePlan(graph, policy, entries);
    }

    private static List<String> nearest(ModelGraph graph, String literal) {
        Set<String> candidates = new LinkedHashSet<>();
        for (String path : graph.parameters().keySet()) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                candidates.add(path.substring(0, i));
            }
            candidates.add(path);
        }
        return candidates.stream()
                .sorted(Comparator.comparingInt((String c) -> editDistance(literal, c)).thenComparing(c -> c))
                .limit(3)
                .toList();
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The graph this plan was resolved against. */
    public ModelGraph graph() {
        return graph;
    }

    /** The policy it came from. */
    public FreezePolicy policy() {
        return policy;
    }

    /** Entries by parameter path, in the graph's order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The entry for a path. */
    public Entry entry(String path) {
        Entry e = entries.get(path);
        if (e == null) {
            throw new IllegalArgumentException("no parameter " + path + " in this plan");
        }
        return e;
    }

    /** Parameters that train. */
    public List<Param> trainable() {
        return entries.values().stream().filter(e -> e.state == State.TRAIN).map(Entry::param).toList();
    }

    /** Scalar count of trainable parameters. */
    public long trainableCount() {
        return count(State.TRAIN);
    }

    /** Scalar count of frozen parameters (buffers excluded). */
    public long frozenCount() {
        return count(State.FROZEN);
    }

    /** Scalar count of buffers (running statistics). */
    public long bufferCount() {
        return count(State.BUFFER);
    }

    /** Scalar count of everything. */
    public long totalCount() {
        return entries.values().stream().mapToLong(e -> e.param.size()).sum();
    }

    private long count(State s) {
        return entries.values().stream().filter(e -> e.state == s).mapToLong(e -> e.param.size()).sum();
    }

    /** Optimizer state bytes this plan implies for the given optimizer. */
    public long optimizerBytes(OptimizerSpec spec) {
        return trainableCount() * spec.stateBytesPerParameter();
    }

    /** Turns gradients on for trainable parameters and off for all others. */
    public void apply() {
        for (Entry e : entries.values()) {
            e.param.setTrainable(e.state == State.TRAIN);
        }
    }

    /**
     * The context for training passes: a module runs in training mode only when some parameter
     * below it trains.
     */
    public ForwardContext trainingContext() {
        return trainingModules::contains;
    }

    /**
     * Optimizer groups: trainable parameters grouped by learning-rate scale and by whether weight
     * decay applies (weights decay with the optimizer's rate; biases and norm parameters do not).
     */
    public List<ParamGroup> groups(OptimizerSpec spec) {
        Map<String, List<Param>> byKey = new LinkedHashMap<>();
        Map<String, double[]> settings = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            if (e.state != State.TRAIN) {
                continue;
            }
            double wd = e.param.kind().decaysByDefault() ? spec.weightDecay() : 0.0;
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
     * A table: one row per parameter (path, count, state, deciding rule, lr scale, optimizer
     * bytes) and totals of trainable and frozen parameters with their weight, gradient and
     * optimizer bytes.
     */
    public String explain(OptimizerSpec spec) {
        int w = Math.max(4, entries.keySet().stream().mapToInt(String::length).max().orElse(4));
        StringBuilder sb = new StringBuilder();
        String fmt = "%-" + w + "s %10s  %-6s  %8s  %14s  %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "path", "params", "state", "lr_scale", "optimizer_B", "rule"));
        for (Entry e : entries.values()) {
            long bytes = e.state == State.TRAIN ? e.param.size() * spec.stateBytesPerParameter() : 0;
            sb.append(String.format(
                    Locale.ROOT,
                    fmt,
                    e.path(),
                    e.param.size(),
                    e.state,
                    e.state == State.TRAIN ? fmtScale(e.lrScale) : "-",
                    bytes,
                    e.state == State.BUFFER ? "(running statistic)" : e.rule));
        }
        long train = trainableCount();
        sb.append(String.format(
                Locale.ROOT,
                "trainable %,d params (weights %,d B, gradients %,d B, %s state %,d B); frozen %,d params"
                        + " (%,d B); buffers %,d (%,d B); total %,d%n",
                train,
                train * 4,
                train * 4,
                spec.name(),
                optimizerBytes(spec),
                frozenCount(),
                frozenCount() * 4,
                bufferCount(),
                bufferCount() * 4,
                totalCount()));
        return sb.toString();
    }

    private static String fmtScale(double s) {
        return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f", s) : String.format(Locale.ROOT, "%.4g", s);
    }

    /** The plan as JSON: {@code {"optimizer":..., "parameters":[...], "totals":{...}}}. */
    public String toJson(OptimizerSpec spec) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("optimizer", spec.name());
        ArrayNode params = root.putArray("parameters");
        for (Entry e : entries.values()) {
            ObjectNode n = params.addObject();
            n.put("path", e.path());
            n.put("kind", e.param.kind().name().toLowerCase(Locale.ROOT));
            ArrayNode shape = n.putArray("shape");
            for (long d : e.param.shape().getShape()) {
                shape.add(d);
            }
            n.put("params", e.param.size());
            n.put("state", e.state.toString());
            n.put("rule", e.rule);
            n.put("lr_scale", e.lrScale);
            n.put("optimizer_bytes", e.state == State.TRAIN ? e.param.size() * spec.stateBytesPerParameter() : 0);
        }
        ObjectNode totals = root.putObject("totals");
        totals.put("trainable_params", trainableCount());
        totals.put("frozen_params", frozenCount());
        totals.put("buffer_params", bufferCount());
        totals.put("total_params", totalCount());
        totals.put("weight_bytes", totalCount() * 4);
        totals.put("gradient_bytes", trainableCount() * 4);
        totals.put("optimizer_bytes", optimizerBytes(spec));
        try {
            return json.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
