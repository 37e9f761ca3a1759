package dev.floe.freeze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.components.MlpHead;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import dev.floe.optim.OptimizerSpec;
import dev.floe.optim.ParamGroup;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of plan resolution over random small graphs (conv encoder / MLPs / heads with random
 * widths and depths, random LoRA modules and adapters) and random rule lists, checked against a
 * brute-force reference that matches globs with {@code java.nio}'s glob matcher instead of
 * {@link PathGlob}.
 */
class FreezePlanPropertyTest {

    private static final int SEEDS = 80;
    private static final String[] ADAPTER_NAMES = {"x", "y", "z"};
    private static final double[] LR_SCALES = {1.0, 0.5, 0.25};
    private static final Double[] WEIGHT_DECAYS = {null, 0.0, 0.1};
    private static final double[] GAMMAS = {1.0, 0.8, 0.5};

    static Stream<Long> seeds() {
        return LongStream.range(0, SEEDS).boxed();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void resolutionAgreesWithBruteForceReference(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (ModelGraph graph = randomGraph(rnd)) {
            attachRandomAdapters(graph, rnd);
            List<String> paths = new ArrayList<>(graph.parameters().keySet());
            List<FreezeRule> rules = randomRules(rnd, paths);
            FreezePolicy.Builder b = FreezePolicy.builder().trainBn(rnd.nextBoolean());
            rules.forEach(b::rule);
            double gamma = GAMMAS[rnd.nextInt(GAMMAS.length)];
            b.layerDecay(gamma);
            FreezePolicy policy = b.build();
            OptimizerSpec spec = rnd.nextBoolean() ? OptimizerSpec.adamW(1e-3) : OptimizerSpec.sgd(0.1, 0.9);

            String conflict = referenceConflict(rules);
            if (conflict != null) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> policy.resolve(graph));
                assertTrue(e.getMessage().startsWith("rules " + conflict), e.getMessage() + " vs " + conflict);
                return;
            }
            FreezePlan plan = policy.resolve(graph);

            // every parameter gets exactly one entry with one state
            assertEquals(graph.parameters().keySet(), plan.entries().keySet());
            Reference ref = new Reference(graph, policy);
            for (Param p : graph.parameters().values()) {
                FreezePlan.Entry e = plan.entry(p.path());
                assertNotNull(e.state());
                String where = "seed " + seed + " " + p.path() + " rules " + rules + " entry " + e;
                assertEquals(ref.lastMatch(p.path()), e.ruleIndex(), where);
                assertEquals(ref.state(p), e.state(), where);
                if (p.kind().isBuffer()) {
                    assertEquals(FreezePlan.State.BUFFER, e.state(), where);
                }
                if (e.trains()) {
                    assertEquals(ref.lrScale(p), e.lrScale(), 1e-12, where);
                    assertEquals(ref.weightDecay(p, spec), e.weightDecay(spec), 0.0, where);
                    assertEquals(spec.lr() * e.lrScale(), e.lr(spec), 1e-15, where);
                } else {
                    assertEquals(1.0, e.lrScale(), where);
                    assertEquals(0.0, e.weightDecay(spec), where);
                }
            }

            // counts add up
            assertEquals(plan.totalCount(), plan.trainableCount() + plan.frozenCount() + plan.bufferCount());
            assertEquals(plan.trainableCount(),
                    plan.count(FreezePlan.State.TRAIN) + plan.count(FreezePlan.State.LORA)
                            + plan.count(FreezePlan.State.ADAPTER));
            assertEquals(graph.parameterCount(), plan.totalCount());
            assertEquals(plan.trainableCount() * spec.stateBytesPerParameter(), plan.optimizerBytes(spec));

            // trainable() and groups() agree with the entries, each trainable parameter exactly once
            List<String> trainable = plan.trainable().stream().map(Param::path).toList();
            assertEquals(plan.entries().values().stream().filter(FreezePlan.Entry::trains).map(FreezePlan.Entry::path).toList(),
                    trainable);
            Set<String> grouped = new HashSet<>();
            Set<String> keys = new HashSet<>();
            for (ParamGroup g : plan.groups(spec)) {
                assertTrue(keys.add(g.lrScale() + "/" + g.weightDecay()), "one group per (lr scale, weight decay)");
                for (Param p : g.params()) {
                    assertTrue(grouped.add(p.path()), p.path() + " in two groups");
                    assertEquals(plan.entry(p.path()).lrScale(), g.lrScale());
                    assertEquals(plan.entry(p.path()).weightDecay(spec), g.weightDecay());
                }
            }
            assertEquals(Set.copyOf(trainable), grouped);

            // apply(): gradients exactly on parameters that train, never on buffers
            plan.apply();
            for (FreezePlan.Entry e : plan.entries().values()) {
                assertEquals(e.trains(), e.param().trainable(), e.path());
                if (e.param().kind().isBuffer()) {
                    assertFalse(e.param().trainable());
                }
            }

            // the reports cover every parameter
            String table = plan.explain(spec);
            for (String p : paths) {
                assertTrue(table.contains(p), p);
            }
            assertTrue(plan.toJson(spec).contains("\"weight_decay\""));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aRuleMatchingNothingIsAnErrorWhereverItStands(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (ModelGraph graph = randomGraph(rnd)) {
            List<FreezeRule> rules = new ArrayList<>(randomRules(rnd, new ArrayList<>(graph.parameters().keySet())));
            if (referenceConflict(rules) != null) {
                return;
            }
            int at = rnd.nextInt(rules.size() + 1);
            rules.add(at, FreezeRule.freeze("nowhere/**"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FreezePolicy(rules).resolve(graph));
            assertTrue(e.getMessage().startsWith("rule #" + (at + 1) + " 'freeze nowhere/**' matches no parameter"),
                    e.getMessage());
        }
    }

    /** Guards the generator: across the seeds, every special case of resolution occurs. */
    @org.junit.jupiter.api.Test
    void theRandomCasesCoverEveryKindOfDecision() {
        Map<String, Integer> seen = new java.util.TreeMap<>();
        for (long seed = 0; seed < SEEDS; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            try (ModelGraph graph = randomGraph(rnd)) {
                attachRandomAdapters(graph, rnd);
                List<FreezeRule> rules = randomRules(rnd, new ArrayList<>(graph.parameters().keySet()));
                FreezePolicy.Builder b = FreezePolicy.builder().trainBn(rnd.nextBoolean());
                rules.forEach(b::rule);
                b.layerDecay(GAMMAS[rnd.nextInt(GAMMAS.length)]);
                if (referenceConflict(rules) != null) {
                    seen.merge("conflict", 1, Integer::sum);
                    continue;
                }
                for (FreezePlan.Entry e : b.build().resolve(graph).entries().values()) {
                    String r = e.rule();
                    String kind = r.startsWith("(running statistic)") ? "buffer"
                            : r.startsWith("(train_bn)") ? "train_bn"
                            : r.startsWith("(base under lora") ? "lora base"
                            : r.startsWith("(base under adapter") ? "adapter base"
                            : r.startsWith("(default") ? "default"
                            : r.startsWith("#") ? e.state().toString() + " by rule"
                            : e.state().toString();
                    seen.merge(kind, 1, Integer::sum);
                    if (e.layerScale() != 1.0) {
                        seen.merge("layer decay", 1, Integer::sum);
                    }
                    if (e.weightDecay() != null) {
                        seen.merge("explicit weight decay", 1, Integer::sum);
                    }
                }
            }
        }
        for (String k : List.of("conflict", "train_bn", "lora base", "adapter base", "default", "train by rule",
                "frozen by rule", "lora", "adapter", "frozen", "buffer", "layer decay", "explicit weight decay")) {
            assertTrue(seen.getOrDefault(k, 0) > 0, "no case of " + k + " in " + seen);
        }
    }

    // ---- random graphs -------------------------------------------------------------------------

    static ModelGraph randomGraph(SplittableRandom rnd) {
        ModelGraph.Builder b = ModelGraph.builder().seed(rnd.nextLong());
        String prev;
        long width;
        if (rnd.nextBoolean()) {
            long[] widths = new long[1 + rnd.nextInt(3)];
            for (int i = 0; i < widths.length; i++) {
                widths[i] = 2 + rnd.nextInt(3);
            }
            b.input("image", TensorSpec.of("[batch, 1, 8, 8]"))
                    .add(ConvEncoder.builder().name("encoder").input(1, 8, 8).widths(widths).build())
                    .wire("image", "encoder.in");
            prev = "encoder.features";
            width = widths[widths.length - 1];
        } else {
            width = 2 + rnd.nextInt(5);
            b.input("x", TensorSpec.of("[batch, " + width + "]"));
            prev = "x";
        }
        int mlps = rnd.nextInt(3);
        for (int k = 1; k <= mlps; k++) {
            long[] hidden = new long[rnd.nextInt(3)];
            for (int i = 0; i < hidden.length; i++) {
                hidden[i] = 2 + rnd.nextInt(4);
            }
            long out = 2 + rnd.nextInt(4);
            String name = "mlp" + k;
            b.add(Mlp.builder().name(name).inputs(width).hidden(hidden).outputs(out).build()).wire(prev, name + ".in");
            prev = name + ".out";
            width = out;
        }
        long classes = 2 + rnd.nextInt(3);
        b.add(rnd.nextBoolean()
                        ? LinearHead.of("head", width, classes)
                        : MlpHead.of("head", width, 2 + rnd.nextInt(4), classes, 0f))
                .wire(prev, "head.in")
                .output("logits", "head.logits");
        return b.build();
    }

    /** Puts random LoRA modules and adapters on random Linear modules and switches some on. */
    static void attachRandomAdapters(ModelGraph graph, SplittableRandom rnd) {
        List<Param> linears = graph.parameters().values().stream()
                .filter(p -> p.kind() == ParamKind.WEIGHT && p.shape().dimension() == 2)
                .toList();
        for (Param w : linears) {
            if (rnd.nextInt(3) != 0) {
                continue;
            }
            String module = w.path().substring(0, w.path().lastIndexOf('/'));
            String name = ADAPTER_NAMES[rnd.nextInt(ADAPTER_NAMES.length)];
            ParamScope at = scopeAt(graph, module);
            long out = w.shape().get(0);
            long in = w.shape().get(1);
            if (rnd.nextBoolean()) {
                ParamScope lora = at.child("lora").child(name);
                lora.create("A", ParamKind.LORA_A, new Shape(1, in), new Init.Zeros(), name);
                lora.create("B", ParamKind.LORA_B, new Shape(out, 1), new Init.Zeros(), name);
            } else {
                ParamScope down = at.child("adapter").child(name).child("down");
                down.create("weight", ParamKind.ADAPTER, new Shape(1, out), new Init.Zeros(), name);
                down.create("bias", ParamKind.ADAPTER, new Shape(1), new Init.Zeros(), name);
            }
        }
        for (String name : ADAPTER_NAMES) {
            if (rnd.nextBoolean()) {
                graph.activeAdapters().add(name);
            }
        }
    }

    static ParamScope scopeAt(ModelGraph graph, String module) {
        String[] segments = module.split("/");
        ParamScope scope = graph.extend(segments[0]);
        for (int i = 1; i < segments.length; i++) {
            scope = scope.child(segments[i]);
        }
        return scope;
    }

    // ---- random rules --------------------------------------------------------------------------

    static List<FreezeRule> randomRules(SplittableRandom rnd, List<String> paths) {
        int n = 1 + rnd.nextInt(6);
        List<FreezeRule> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String glob = !rules.isEmpty() && rnd.nextInt(8) == 0
                    ? rules.get(rnd.nextInt(rules.size())).glob() // same glob again: maybe a conflict
                    : randomGlob(rnd, paths);
            if (rnd.nextBoolean()) {
                rules.add(FreezeRule.freeze(glob));
            } else {
                Double wd = WEIGHT_DECAYS[rnd.nextInt(WEIGHT_DECAYS.length)];
                double lr = LR_SCALES[rnd.nextInt(LR_SCALES.length)];
                rules.add(new FreezeRule(glob, FreezeRule.Action.TRAIN, lr, wd));
            }
        }
        return rules;
    }

    /** A glob that matches at least the chosen path (or one of its modules). */
    static String randomGlob(SplittableRandom rnd, List<String> paths) {
        String[] seg = paths.get(rnd.nextInt(paths.size())).split("/");
        int k = 1 + rnd.nextInt(seg.length);
        String[] s = java.util.Arrays.copyOf(seg, k);
        switch (rnd.nextInt(6)) {
            case 0 -> { }
            case 1 -> s[k - 1] = k < seg.length ? s[k - 1] + "/**" : s[k - 1]; // "<tensor>/**" matches nothing
            case 2 -> s[rnd.nextInt(k)] = "*";
            case 3 -> {
                return "**/" + seg[seg.length - 1];
            }
            case 4 -> {
                int i = rnd.nextInt(k);
                String other = paths.get(rnd.nextInt(paths.size())).split("/")[0];
                s[i] = "{" + s[i] + "," + other + "}";
            }
            default -> {
                int i = rnd.nextInt(k);
                int c = rnd.nextInt(s[i].length());
                s[i] = s[i].substring(0, c) + "?" + s[i].substring(c + 1);
            }
        }
        return String.join("/", s);
    }

    /** "#i ... and #j" of the first pair of rules with identical glob text and different settings, or null. */
    static String referenceConflict(List<FreezeRule> rules) {
        for (int j = 0; j < rules.size(); j++) {
            for (int i = 0; i < j; i++) {
                FreezeRule a = rules.get(i);
                FreezeRule b = rules.get(j);
                if (a.glob().equals(b.glob())
                        && (a.action() != b.action() || a.lrScale() != b.lrScale()
                                || !Objects.equals(a.weightDecay(), b.weightDecay()))) {
                    return "#" + (i + 1) + " '" + a + "' and #" + (j + 1) + " '" + b + "'";
                }
            }
        }
        return null;
    }

    // ---- brute-force reference -----------------------------------------------------------------

    /** The documented resolution rules, written out plainly over java.nio glob matching. */
    static final class Reference {
        private final ModelGraph graph;
        private final FreezePolicy policy;

        Reference(ModelGraph graph, FreezePolicy policy) {
            this.graph = graph;
            this.policy = policy;
        }

        static boolean globMatches(String glob, String path) {
            // our "**/" may also match zero segments: try the glob with each "**/" dropped too
            List<String> variants = new ArrayList<>(List.of(glob));
            for (int i = 0; i < variants.size(); i++) {
                String v = variants.get(i);
                for (int at = v.indexOf("**/"); at >= 0; at = v.indexOf("**/", at + 1)) {
                    String dropped = v.substring(0, at) + v.substring(at + 3);
                    if (!variants.contains(dropped)) {
                        variants.add(dropped);
                    }
                }
            }
            String[] seg = path.split("/");
            for (String v : variants) {
                var matcher = FileSystems.getDefault().getPathMatcher("glob:" + v);
                for (int k = 1; k <= seg.length; k++) {
                    if (matcher.matches(Path.of(String.join("/", java.util.Arrays.copyOf(seg, k))))) {
                        return true;
                    }
                }
            }
            return false;
        }

        int lastMatch(String path) {
            int last = -1;
            for (int i = 0; i < policy.rules().size(); i++) {
                if (globMatches(policy.rules().get(i).glob(), path)) {
                    last = i;
                }
            }
            return last;
        }

        private FreezeRule rule(String path) {
            int i = lastMatch(path);
            return i < 0 ? null : policy.rules().get(i);
        }

        private static String parent(String path) {
            return path.substring(0, path.lastIndexOf('/'));
        }

        private boolean underActiveLora(Param p) {
            for (Param q : graph.parameters().values()) {
                if ((q.kind() == ParamKind.LORA_A || q.kind() == ParamKind.LORA_B)
                        && graph.activeAdapters().contains(q.adapter())
                        && q.path().startsWith(parent(p.path()) + "/lora/")) {
                    return true;
                }
            }
            return false;
        }

        private boolean componentHasActiveAdapter(Param p) {
            String component = p.path().split("/")[0];
            return graph.parameters().values().stream().anyMatch(q -> q.kind() == ParamKind.ADAPTER
                    && graph.activeAdapters().contains(q.adapter())
                    && q.path().startsWith(component + "/"));
        }

        private boolean isBatchNormAffine(Param p) {
            return (p.kind() == ParamKind.NORM_SCALE || p.kind() == ParamKind.NORM_SHIFT)
                    && graph.parameters().containsKey(parent(p.path()) + "/running_mean");
        }

        FreezePlan.State state(Param p) {
            if (p.kind().isBuffer()) {
                return FreezePlan.State.BUFFER;
            }
            if (p.kind().isAdapter()) {
                if (!graph.activeAdapters().contains(p.adapter())) {
                    return FreezePlan.State.FROZEN;
                }
                return p.kind() == ParamKind.ADAPTER ? FreezePlan.State.ADAPTER : FreezePlan.State.LORA;
            }
            if (underActiveLora(p)) {
                return FreezePlan.State.FROZEN;
            }
            FreezeRule r = rule(p.path());
            boolean trains = r == null ? !componentHasActiveAdapter(p) : r.action() == FreezeRule.Action.TRAIN;
            if (!trains && policy.trainBn() && isBatchNormAffine(p)) {
                return FreezePlan.State.TRAIN;
            }
            return trains ? FreezePlan.State.TRAIN : FreezePlan.State.FROZEN;
        }

        double lrScale(Param p) {
            FreezeRule r = rule(p.path());
            double ruleScale = r != null && r.action() == FreezeRule.Action.TRAIN ? r.lrScale() : 1.0;
            String[] seg = p.path().split("/");
            Component c = graph.component(seg[0]);
            List<String> order = c.layerOrder();
            int j = order.indexOf(seg[1]);
            double gamma = policy.layerDecayFor(seg[0]);
            return ruleScale * (j < 0 ? 1.0 : Math.pow(gamma, order.size() - 1 - j));
        }

        double weightDecay(Param p, OptimizerSpec spec) {
            FreezeRule r = rule(p.path());
            if (r != null && r.action() == FreezeRule.Action.TRAIN && r.weightDecay() != null) {
                return r.weightDecay();
            }
            boolean matrix = p.shape().dimension() >= 2;
            boolean decays = switch (p.kind()) {
                case WEIGHT, LORA_A, LORA_B -> true;
                case ADAPTER -> matrix;
                default -> false;
            };
            return decays ? spec.weightDecay() : 0.0;
        }
    }

}
