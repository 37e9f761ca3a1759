package dev.floe.freeze;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.freeze.FreezePlan.Entry;
import dev.floe.freeze.FreezePlan.State;
import dev.floe.io.Json;
import dev.floe.optim.OptimizerSpec;
import java.math.BigDecimal;
import java.math.MathContext;
import dev.floe.nn.ParamKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Renders a {@link FreezePlan} for people (tables) and tools (JSON); the plan itself only resolves. */
final class FreezePlanReport {

    private static final long FP32_BYTES = Float.BYTES;

    private FreezePlanReport() {}

    /**
     * A table: one row per parameter (path, count, state, lr scale, effective learning rate
     * {@code spec.lr() × scale}, weight decay, optimizer bytes, what decided it), then totals of
     * trainable and frozen parameters with the bytes of their weights, gradients and optimizer
     * state (fp32). Parameters that do not train show {@code -} for rate and decay.
     */
    static String explain(FreezePlan plan, OptimizerSpec spec) {
        Map<String, Entry> entries = plan.entries();
        FreezePolicy policy = plan.policy();
        int w = Math.max(4, entries.keySet().stream().mapToInt(String::length).max().orElse(4));
        StringBuilder sb = new StringBuilder();
        String settings = policySettings(policy);
        if (!settings.isEmpty()) {
            sb.append("policy: ").append(settings).append('\n');
        }
        String fmt = "%-" + w + "s %10s  %-7s  %8s  %10s  %8s  %12s  %s%n";
        sb.append(String.format(
                Locale.ROOT, fmt, "path", "params", "state", "lr_scale", "lr", "wd", "optimizer_B", "rule"));
        for (Entry e : entries.values()) {
            boolean t = e.trains();
            sb.append(String.format(
                    Locale.ROOT,
                    fmt,
                    e.path(),
                    e.param().size(),
                    e.state(),
                    t ? fmtScale(e.lrScale()) : "-",
                    t ? fmt(e.lr(spec)) : "-",
                    t ? fmt(e.weightDecay(spec)) : "-",
                    e.optimizerBytes(spec),
                    e.rule()));
        }
        sb.append(totalsLine(plan, spec));
        return sb.toString();
    }

    /**
     * A shorter table: one row per module (the parent path of its parameters) with its parameter
     * count, how many of them train, are frozen or are buffers, its states and its optimizer bytes;
     * then the same totals as {@link #explain(OptimizerSpec)}.
     */
    static String explainModules(FreezePlan plan, OptimizerSpec spec) {
        Map<String, Entry> entries = plan.entries();
        Map<String, long[]> rows = new LinkedHashMap<>(); // params, trainable, frozen, buffer, optimizer bytes
        Map<String, Set<State>> states = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            String module = FreezePlan.parent(e.path());
            long[] r = rows.computeIfAbsent(module, k -> new long[5]);
            long n = e.param().size();
            r[0] += n;
            r[1] += e.trains() ? n : 0;
            r[2] += e.state() == State.FROZEN ? n : 0;
            r[3] += e.state() == State.BUFFER ? n : 0;
            r[4] += e.optimizerBytes(spec);
            states.computeIfAbsent(module, k -> new LinkedHashSet<>()).add(e.state());
        }
        int w = Math.max(6, rows.keySet().stream().mapToInt(String::length).max().orElse(6));
        String fmt = "%-" + w + "s %10s %10s %10s %10s  %12s  %s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT, fmt, "module", "params", "trainable", "frozen", "buffers", "optimizer_B", "states"));
        for (Map.Entry<String, long[]> row : rows.entrySet()) {
            long[] r = row.getValue();
            sb.append(String.format(
                    Locale.ROOT, fmt, row.getKey(), r[0], r[1], r[2], r[3], r[4],
                    String.join(",", states.get(row.getKey()).stream().map(State::toString).toList())));
        }
        sb.append(totalsLine(plan, spec));
        return sb.toString();
    }

    /**
     * One row per declared layer: for each component, its {@link dev.floe.graph.Component#layerOrder()
     * layers} as {@code <component>/<layer>} (a parameter belongs to the layer whose path is the
     * longest prefix of its own; parameters under none belong to a row named after the component),
     * or one row for the whole component when it declares none. Columns: parameter count (buffers
     * included), state (the states of its parameters other than buffers, joined by {@code +} when
     * they differ), effective learning rate (a range when its trainable parameters differ), bytes of
     * its parameters (fp32) and of their optimizer state, whether its outputs come from the feature
     * cache ({@code cachedComponents}), and the deciding rule (the first one, with how many others
     * decide some of its parameters). With {@code activations} (by segment path), also whether the
     * row is checkpointed and its activation bytes without and with checkpointing (a component's own
     * row: the component's less its rows' layers). Then the same totals as {@link #explain}.
     */
    static String explainLayers(FreezePlan plan, OptimizerSpec spec, java.util.Set<String> cachedComponents,
            Map<String, LayerActivation> activations) {
        Map<String, List<Entry>> rows = new LinkedHashMap<>();
        Map<String, String> componentOf = new LinkedHashMap<>();
        for (dev.floe.graph.Component c : plan.graph().components()) {
            List<String> layers = c.layerOrder().stream().map(l -> c.name() + "/" + l).toList();
            Map<String, List<Entry>> mine = new LinkedHashMap<>();
            List<Entry> rest = new ArrayList<>();
            layers.forEach(l -> mine.put(l, new ArrayList<>()));
            for (String path : c.parameters().keySet()) {
                Entry e = plan.entries().get(path);
                if (e == null) {
                    continue;
                }
                String best = null;
                for (String l : layers) {
                    if (path.startsWith(l + "/") && (best == null || l.length() > best.length())) {
                        best = l;
                    }
                }
                (best == null ? rest : mine.get(best)).add(e);
            }
            if (!rest.isEmpty()) {
                rows.put(c.name(), rest);
                componentOf.put(c.name(), c.name());
            }
            mine.forEach((l, es) -> {
                if (!es.isEmpty()) {
                    rows.put(l, es);
                    componentOf.put(l, c.name());
                }
            });
        }
        int w = Math.max(5, rows.keySet().stream().mapToInt(String::length).max().orElse(5));
        boolean act = !activations.isEmpty();
        String fmt = "%-" + w + "s %10s  %-12s  %-13s  %10s  %12s  %-6s  " + (act ? "%-12s  %12s  %12s  " : "%s%s%s")
                + "%s%n";
        StringBuilder sb = new StringBuilder();
        String settings = policySettings(plan.policy());
        if (!settings.isEmpty()) {
            sb.append("policy: ").append(settings).append('\n');
        }
        sb.append(String.format(Locale.ROOT, fmt, "layer", "params", "state", "lr", "param_B", "optimizer_B", "cached",
                act ? "checkpointed" : "", act ? "act_B" : "", act ? "act_kept_B" : "", "rule"));
        for (Map.Entry<String, List<Entry>> row : rows.entrySet()) {
            List<Entry> es = row.getValue();
            long params = es.stream().mapToLong(e -> e.param().size()).sum();
            Set<String> states = new LinkedHashSet<>();
            Set<String> rules = new LinkedHashSet<>();
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Entry e : es) {
                if (e.state() != State.BUFFER) {
                    states.add(e.state().toString());
                    rules.add(e.rule());
                }
                if (e.trains()) {
                    lo = Math.min(lo, e.lr(spec));
                    hi = Math.max(hi, e.lr(spec));
                }
            }
            if (states.isEmpty()) {
                states.add(State.BUFFER.toString());
                es.forEach(e -> rules.add(e.rule()));
            }
            String lr = lo > hi ? "-" : lo == hi ? fmt(lo) : fmt(lo) + "–" + fmt(hi);
            String rule = rules.iterator().next() + (rules.size() > 1 ? " (+" + (rules.size() - 1) + " more)" : "");
            String[] a = act ? activationCells(row.getKey(), componentOf, activations)
                    : new String[] {"", "", ""};
            sb.append(String.format(Locale.ROOT, fmt, row.getKey(), String.format(Locale.ROOT, "%,d", params),
                    String.join("+", states), lr, String.format(Locale.ROOT, "%,d", params * FP32_BYTES),
                    String.format(Locale.ROOT, "%,d", es.stream().mapToLong(e -> e.optimizerBytes(spec)).sum()),
                    cachedComponents.contains(componentOf.get(row.getKey())) ? "yes" : "no", a[0], a[1], a[2], rule));
        }
        sb.append(totalsLine(plan, spec));
        return sb.toString();
    }

    /**
     * The checkpointed, activation-bytes and kept-bytes cells of one table row: a layer's own segment;
     * for the row that stands for the rest of its component (the component's own row, or else its only
     * row without a segment of its own) the component's segment less the segments of its other rows.
     */
    private static String[] activationCells(String row, Map<String, String> componentOf,
            Map<String, LayerActivation> activations) {
        String component = componentOf.get(row);
        LayerActivation own = activations.get(row);
        if (own != null && !row.equals(component)) {
            return cells(own.checkpointed(), own.bytes(), own.keptBytes());
        }
        LayerActivation whole = activations.get(component);
        List<String> siblings = componentOf.entrySet().stream().filter(e -> e.getValue().equals(component))
                .map(Map.Entry::getKey).toList();
        List<String> without = siblings.stream().filter(r -> r.equals(component) || !activations.containsKey(r)).toList();
        boolean rest = row.equals(component) || (!siblings.contains(component) && without.size() == 1);
        if (whole == null || !rest) {
            return new String[] {"-", "-", "-"};
        }
        long bytes = whole.bytes();
        long kept = whole.keptBytes();
        for (String r : siblings) {
            LayerActivation layer = r.equals(component) ? null : activations.get(r);
            if (layer != null) {
                bytes -= layer.bytes();
                kept -= layer.keptBytes();
            }
        }
        return cells(whole.checkpointed(), bytes, kept);
    }

    private static String[] cells(boolean checkpointed, long bytes, long kept) {
        return new String[] {checkpointed ? "yes" : "no", String.format(Locale.ROOT, "%,d", Math.max(0, bytes)),
                String.format(Locale.ROOT, "%,d", Math.max(0, kept))};
    }

    private static String policySettings(FreezePolicy policy) {
        List<String> parts = new ArrayList<>();
        if (policy.layerDecay() != 1.0) {
            parts.add("layer_decay " + fmt(policy.layerDecay()));
        }
        policy.componentLayerDecay().forEach((c, g) -> parts.add("layer_decay " + c + " " + fmt(g)));
        if (policy.trainBn()) {
            parts.add("train_bn");
        }
        return String.join(", ", parts);
    }

    private static String totalsLine(FreezePlan plan, OptimizerSpec spec) {
        long train = plan.trainableCount();
        StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT,
                "trainable %,d params (weights %,d B, gradients %,d B, %s state %,d B); frozen %,d params"
                        + " (%,d B); buffers %,d (%,d B); total %,d%n",
                train,
                train * FP32_BYTES,
                train * FP32_BYTES,
                spec.name(),
                plan.optimizerBytes(spec),
                plan.frozenCount(),
                plan.frozenCount() * FP32_BYTES,
                plan.bufferCount(),
                plan.bufferCount() * FP32_BYTES,
                plan.totalCount()));
        Map<String, Long> byMethod = trainableByMethod(plan);
        if (!byMethod.isEmpty()) {
            List<String> parts = new ArrayList<>();
            byMethod.forEach((method, n) -> parts.add(String.format(Locale.ROOT, "%s %,d params", method, n)));
            sb.append("of the trainable: ").append(String.join(", ", parts)).append(String.format("%n"));
        }
        return sb.toString();
    }

    /**
     * Trainable parameters of active PEFT modules by method ({@code lora}, {@code dora},
     * {@code ia3}, {@code adapter}, {@code prompt}, {@code prefix}, {@code fusion}, in that order,
     * then any other), leaving out methods with none. The method is the path segment before the
     * module's name ({@code <layer>/<method>/<name>/...}); a {@code lora} module that holds a
     * magnitude ({@link ParamKind#LORA_MAGNITUDE}) is DoRA.
     */
    static Map<String, Long> trainableByMethod(FreezePlan plan) {
        Set<String> dora = new HashSet<>();
        for (Entry e : plan.entries().values()) {
            if (e.param().kind() == ParamKind.LORA_MAGNITUDE) {
                dora.add(e.param().adapter());
            }
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String m : List.of("lora", "dora", "ia3", "adapter", "prompt", "prefix", "fusion")) {
            counts.put(m, 0L);
        }
        for (Entry e : plan.entries().values()) {
            if (e.state() != State.LORA && e.state() != State.ADAPTER) {
                continue;
            }
            String name = e.param().adapter();
            String method = methodSegment(e.path(), name, e.state() == State.LORA ? "lora" : "adapter");
            if (method.equals("lora") && dora.contains(name)) {
                method = "dora";
            }
            counts.merge(method, e.param().size(), Long::sum);
        }
        counts.values().removeIf(n -> n == 0);
        return counts;
    }

    /** The segment before {@code /<name>/} in {@code path}, or {@code fallback} when the path has none. */
    private static String methodSegment(String path, String name, String fallback) {
        int i = path.lastIndexOf("/" + name + "/");
        if (i <= 0) {
            return fallback;
        }
        int start = path.lastIndexOf('/', i - 1) + 1;
        return path.substring(start, i);
    }

    /** The lr_scale column as before: integers plain, others with 4 significant digits ({@code 0.1000}). */
    private static String fmtScale(double s) {
        return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f", s) : String.format(Locale.ROOT, "%.4g", s);
    }

    /** Up to 4 significant digits, no exponent for ordinary learning rates, no trailing zeros. */
    static String fmt(double v) {
        if (v == 0.0) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toString();
    }

    /**
     * The plan as JSON: {@code {"optimizer":..., "lr":..., "layer_decay":..., "train_bn":...,
     * "parameters":[...], "totals":{...}}}. Each parameter has path, kind, shape, params, state,
     * rule, lr_scale, layer_scale, lr and weight_decay (null when it does not train) and
     * optimizer_bytes.
     */
    static String toJson(FreezePlan plan, OptimizerSpec spec) {
        Map<String, Entry> entries = plan.entries();
        FreezePolicy policy = plan.policy();
        ObjectMapper json = Json.mapper();
        ObjectNode root = json.createObjectNode();
        root.put("optimizer", spec.name());
        root.put("lr", spec.lr());
        root.put("layer_decay", policy.layerDecay());
        ObjectNode perComponent = root.putObject("component_layer_decay");
        policy.componentLayerDecay().forEach(perComponent::put);
        root.put("train_bn", policy.trainBn());
        ArrayNode params = root.putArray("parameters");
        for (Entry e : entries.values()) {
            ObjectNode n = params.addObject();
            n.put("path", e.path());
            n.put("kind", e.param().kind().name().toLowerCase(Locale.ROOT));
            if (e.param().adapter() != null) {
                n.put("adapter", e.param().adapter());
            }
            ArrayNode shape = n.putArray("shape");
            for (long d : e.param().shape().getShape()) {
                shape.add(d);
            }
            n.put("params", e.param().size());
            n.put("state", e.state().toString());
            n.put("rule", e.rule());
            n.put("lr_scale", e.lrScale());
            n.put("layer_scale", e.layerScale());
            if (e.trains()) {
                n.put("lr", e.lr(spec));
                n.put("weight_decay", e.weightDecay(spec));
            } else {
                n.putNull("lr");
                n.putNull("weight_decay");
            }
            n.put("optimizer_bytes", e.optimizerBytes(spec));
        }
        ObjectNode totals = root.putObject("totals");
        totals.put("trainable_params", plan.trainableCount());
        totals.put("lora_params", plan.count(State.LORA));
        totals.put("adapter_params", plan.count(State.ADAPTER));
        ObjectNode byMethod = totals.putObject("params_by_method");
        trainableByMethod(plan).forEach(byMethod::put);
        totals.put("frozen_params", plan.frozenCount());
        totals.put("buffer_params", plan.bufferCount());
        totals.put("total_params", plan.totalCount());
        totals.put("weight_bytes", plan.totalCount() * FP32_BYTES);
        totals.put("gradient_bytes", plan.trainableCount() * FP32_BYTES);
        totals.put("optimizer_bytes", plan.optimizerBytes(spec));
        try {
            return json.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
