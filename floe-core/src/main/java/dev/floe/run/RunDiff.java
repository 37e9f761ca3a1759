package dev.floe.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What differs between two runs, by section: the config (resolved, key by key), the freeze plans
 * (parameter by parameter, per stage), the components (type, ports, weights hash before and after),
 * the data (content fingerprints and file hashes), the seed and engine threads, the results (final
 * evaluation, steps, stage table), the costs (time and memory, and the timed measurements in the
 * metrics: examples per second, latencies, cache seconds saved; they differ between any two runs)
 * and the versions.
 *
 * @param sections every section in a fixed order, each with its differences (empty when the same)
 */
public record RunDiff(Map<String, List<Difference>> sections) {

    /** Section names, in the order they are shown. */
    public static final List<String> SECTIONS =
            List.of("config", "plan", "components", "data", "run", "results", "costs", "versions");
    private static final String ABSENT = "-";
    private static final int MAX_VALUE_WIDTH = 48;

    /**
     * One difference.
     *
     * @param key a dotted key within the section ({@code optimizer.lr}, {@code head/out/weight})
     * @param a the first run's value, {@code -} when it has none
     * @param b the second run's value, {@code -} when it has none
     */
    public record Difference(String key, String a, String b) {}

    /**
     * Copies the sections.
     *
     * @param sections every section in a fixed order, each with its differences (empty when the
     *     same)
     */
    public RunDiff {
        sections = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sections));
    }

    /**
     * Compares two manifests.
     *
     * @param a the first run's manifest
     * @param b the second run's manifest
     * @return the differences by section
     */
    public static RunDiff of(RunManifest a, RunManifest b) {
        Map<String, List<Difference>> out = new LinkedHashMap<>();
        out.put("config", diff(config(a), config(b)));
        out.put("plan", diff(plan(a), plan(b)));
        out.put("components", diff(components(a), components(b)));
        out.put("data", diff(data(a), data(b)));
        out.put("run", diff(run(a), run(b)));
        out.put("results", diff(results(a), results(b)));
        out.put("costs", diff(costs(a), costs(b)));
        out.put("versions", diff(new LinkedHashMap<>(a.versions()), new LinkedHashMap<>(b.versions())));
        return new RunDiff(out);
    }

    /**
     * The differences of one section (empty when it is the same).
     *
     * @param section a section name, e.g. {@code optimizer}
     * @return the differences, unmodifiable
     */
    public List<Difference> in(String section) {
        List<Difference> d = sections.get(section);
        if (d == null) {
            throw new IllegalArgumentException("no section '" + section + "'; sections are " + SECTIONS);
        }
        return d;
    }

    /**
     * True when the two runs were made the same way and gave the same results (costs and versions
     * aside).
     *
     * @return true when no section but costs and versions differs
     */
    public boolean sameRecipeAndResults() {
        for (String s : List.of("config", "plan", "components", "data", "run", "results")) {
            if (!sections.get(s).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * A side-by-side text table, one block per section: {@code == section: same} or a row per
     * differing key with both values.
     *
     * @param nameA the first run's name in the header
     * @param nameB the second run's name in the header
     * @return the table, lines ending in a newline
     */
    public String render(String nameA, String nameB) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "A  %s%nB  %s%n", nameA, nameB));
        for (Map.Entry<String, List<Difference>> e : sections.entrySet()) {
            List<Difference> d = e.getValue();
            if (d.isEmpty()) {
                sb.append("== ").append(e.getKey()).append(": same\n");
                continue;
            }
            sb.append(String.format(Locale.ROOT, "== %s: %d difference%s%n", e.getKey(), d.size(), d.size() == 1 ? "" : "s"));
            int keyWidth = 3;
            for (Difference x : d) {
                keyWidth = Math.max(keyWidth, x.key().length());
            }
            String fmt = "  %-" + keyWidth + "s  %-" + MAX_VALUE_WIDTH + "s  %s%n";
            sb.append(String.format(Locale.ROOT, fmt, "key", "A", "B"));
            for (Difference x : d) {
                sb.append(String.format(Locale.ROOT, fmt, x.key(), clip(x.a()), clip(x.b())));
            }
        }
        return sb.toString();
    }

    private static String clip(String s) {
        return s.length() <= MAX_VALUE_WIDTH ? s : s.substring(0, MAX_VALUE_WIDTH - 1) + "…";
    }

    private static List<Difference> diff(Map<String, String> a, Map<String, String> b) {
        Set<String> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        List<Difference> out = new ArrayList<>();
        for (String k : keys) {
            String x = a.getOrDefault(k, ABSENT);
            String y = b.getOrDefault(k, ABSENT);
            if (!x.equals(y)) {
                out.add(new Difference(k, x, y));
            }
        }
        return out;
    }

    private static Map<String, String> config(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        RunManifest.ConfigRecord c = m.recipe().config();
        if (c != null && c.resolved() != null) {
            flatten("", c.resolved(), out);
        }
        if (m.recipe().settings() != null && !m.recipe().settings().isNull()) {
            flatten("settings", m.recipe().settings(), out);
        }
        return out;
    }

    private static Map<String, String> plan(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        List<RunManifest.StageRecord> stages = m.recipe().stages();
        if (stages.isEmpty()) {
            return out;
        }
        out.put("stages", String.join(", ", stages.stream().map(RunManifest.StageRecord::name).toList()));
        for (RunManifest.StageRecord s : stages) {
            String p = s.name() + ".";
            out.put(p + "epochs", Integer.toString(s.epochs()));
            out.put(p + "max_steps", Long.toString(s.maxSteps()));
            out.put(p + "lr_schedule", String.valueOf(s.lrSchedule()));
            out.put(p + "early_stopping", String.valueOf(s.earlyStopping()));
            for (RunManifest.PlanGroup g : s.groups()) {
                String v = String.format(Locale.ROOT, "%s, lr %s, wd %s, by %s", g.state(), num(g.lr()),
                        num(g.weightDecay()), g.rule());
                for (String path : g.paths()) {
                    out.put(p + path, v);
                }
            }
        }
        return out;
    }

    private static Map<String, String> components(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        RunManifest.GraphRecord g = m.recipe().graph();
        if (g == null) {
            return out;
        }
        g.inputs().forEach((k, v) -> out.put("input." + k, v));
        g.outputs().forEach((k, v) -> out.put("output." + k, v));
        out.put("wires", String.join(", ", g.wires()));
        for (RunManifest.ComponentRecord c : g.components()) {
            String p = c.name() + ".";
            out.put(p + "type", c.type());
            out.put(p + "role", c.role());
            c.inputs().forEach((k, v) -> out.put(p + "in." + k, v));
            c.outputs().forEach((k, v) -> out.put(p + "out." + k, v));
            out.put(p + "layers", String.join(", ", c.layerOrder()));
            out.put(p + "params", Long.toString(c.params()));
            out.put(p + "weights_before", c.weightsBefore());
            if (m.outcome() != null && m.outcome().weightsAfter() != null) {
                out.put(p + "weights_after", m.outcome().weightsAfter().getOrDefault(c.name(), ABSENT));
            }
        }
        return out;
    }

    private static Map<String, String> data(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        for (RunManifest.DataRecord d : m.recipe().data()) {
            out.put(d.key() + ".fingerprint", d.fingerprint());
            out.put(d.key() + ".examples", Integer.toString(d.examples()));
            out.put(d.key() + ".classes", Integer.toString(d.classes()));
        }
        for (RunManifest.FileRecord f : m.recipe().files()) {
            out.put(f.key() + ".sha256", f.sha256());
        }
        return out;
    }

    private static Map<String, String> run(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("seed", Long.toString(m.recipe().seed()));
        m.recipe().engineThreads().forEach((k, v) -> out.put("engine." + k, v));
        out.put("finished", Boolean.toString(m.outcome() != null));
        return out;
    }

    private static Map<String, String> results(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        RunManifest.Outcome o = m.outcome();
        if (o == null) {
            return out;
        }
        if (o.finalEval() != null) {
            out.put("final_eval.accuracy", num(o.finalEval().accuracy()));
            out.put("final_eval.loss", num(o.finalEval().loss()));
            out.put("final_eval.examples", Integer.toString(o.finalEval().examples()));
        }
        out.put("steps", Long.toString(o.steps()));
        out.put("optimizer_state_bytes", Long.toString(o.optimizerStateBytes()));
        for (RunManifest.StageOutcome s : o.stages()) {
            String p = "stage." + s.name() + ".";
            out.put(p + "epochs", Integer.toString(s.epochs()));
            out.put(p + "best", s.bestMetric() == null ? ABSENT : num(s.bestMetric()) + " @" + s.bestEpoch());
            out.put(p + "stopped_early", Boolean.toString(s.stoppedEarly()));
            out.put(p + "restored_best", Boolean.toString(s.restoredBest()));
            out.put(p + "steps", Long.toString(s.steps()));
            out.put(p + "eval_accuracy_per_epoch", String.valueOf(s.evalAccuracyPerEpoch()));
            out.put(p + "train_loss_per_epoch", String.valueOf(s.trainLossPerEpoch()));
        }
        if (o.metrics() != null) {
            o.metrics().forEach((k, v) -> {
                if (!Measurements.TIMED.contains(k)) {
                    out.put("metric." + k, num(v));
                }
            });
        }
        return out;
    }

    private static Map<String, String> costs(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        RunManifest.Outcome o = m.outcome();
        if (o == null) {
            return out;
        }
        out.put("train_seconds", String.format(Locale.ROOT, "%.2f", o.trainSeconds()));
        out.put("wall_seconds", String.format(Locale.ROOT, "%.2f", o.wallSeconds()));
        out.put("peak_rss_mb", String.format(Locale.ROOT, "%.0f", o.peakRssMb()));
        if (o.metrics() != null) {
            o.metrics().forEach((k, v) -> {
                if (Measurements.TIMED.contains(k)) {
                    out.put("metric." + k, String.format(Locale.ROOT, "%.3f", v));
                }
            });
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (node.isArray() && node.size() > 0 && (node.get(0).isObject() || node.get(0).isArray())) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "[" + i + "]", node.get(i), out);
            }
        } else {
            out.put(prefix, node.isTextual() ? node.asText() : node.toString());
        }
    }

    private static String num(double v) {
        return Double.toString(v);
    }
}
