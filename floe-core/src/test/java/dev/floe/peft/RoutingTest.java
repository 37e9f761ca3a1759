package dev.floe.peft;

import static dev.floe.peft.Fixtures.FEATURES;
import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Row i of a routed batch equals the same row run alone with its module: the definition of routing. */
class RoutingTest {

    /** Largest difference allowed between a routed row and the row run in its own group. */
    static final double SAME = 1e-6;
    static final float[] X = Fixtures.input(31);
    static final int ROWS = Fixtures.BATCH;

    /** features and logits of each row, {@code [rows][...]}. */
    static float[][] mlp(ModelGraph g, int[] rows, List<String> routes) {
        try (NDManager m = g.manager().newSubManager()) {
            float[] x = new float[rows.length * FEATURES];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(X, rows[i] * FEATURES, x, i * FEATURES, FEATURES);
            }
            Map<String, NDArray> in = Map.of("x", m.create(x, new Shape(rows.length, FEATURES)));
            Map<String, NDArray> out = routes == null ? g.forward(in, ForwardContext.INFERENCE)
                    : Routing.forward(g, in, routes, ForwardContext.INFERENCE);
            NDArray both = out.get("features").concat(out.get("logits"), 1);
            float[] f = both.toFloatArray();
            int w = f.length / rows.length;
            float[][] r = new float[rows.length][w];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(f, i * w, r[i], 0, w);
            }
            return r;
        }
    }

    /** Runs the rows routed to each name as their own batch with only that routed module on. */
    static double worstAgainstGroups(ModelGraph g, List<String> routes, Set<String> routable, float[][] routed) {
        double worst = 0;
        for (String name : new java.util.LinkedHashSet<>(routes)) {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < routes.size(); i++) {
                if (routes.get(i).equals(name)) {
                    rows.add(i);
                }
            }
            Set<String> before = Set.copyOf(g.activeAdapters());
            g.activeAdapters().removeAll(routable);
            if (!name.equals(Routing.NONE)) {
                g.activeAdapters().add(name);
            }
            float[][] alone = mlp(g, rows.stream().mapToInt(Integer::intValue).toArray(), null);
            g.activeAdapters().clear();
            g.activeAdapters().addAll(before);
            for (int k = 0; k < rows.size(); k++) {
                worst = Math.max(worst, Fixtures.maxAbsDiff(alone[k], routed[rows.get(k)]));
            }
        }
        return worst;
    }

    @Test
    void eachRoutedRowEqualsItsGroupRunAloneWhileSharedModulesApplyToAll() {
        try (ModelGraph g = graph(2)) {
            Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/{fc1,fc2}"));
            Lora.inject(g, LoraSpec.of("b", 2, "encoder/fc2"));
            Lora.inject(g, LoraSpec.of("shared", 2, "encoder/out"));
            randomize(g, "a", 3, 0.5, "/up/weight", "/down/bias");
            randomize(g, "b", 4, 0.5, "/B");
            randomize(g, "shared", 5, 0.5, "/B");
            Adapters.deactivate(g, "a");
            List<String> routes = List.of("a", "b", Routing.NONE, "a", "b");
            Set<String> activeBefore = Set.copyOf(g.activeAdapters());
            float[][] routed = mlp(g, new int[] {0, 1, 2, 3, 4}, routes);
            assertEquals(activeBefore, g.activeAdapters(), "the active set is restored");

            double worst = worstAgainstGroups(g, routes, Set.of("a", "b"), routed);
            assertTrue(worst <= SAME, "routed rows vs groups run alone: " + worst);
            float[][] plain = mlp(g, new int[] {0, 1, 2, 3, 4}, null);
            assertTrue(Fixtures.maxAbsDiff(plain[0], routed[0]) > 1e-3, "row 0 does use adapter a");
        }
    }

    @Test
    void aCompositionIsRoutedByItsName() {
        try (ModelGraph g = graph(2)) {
            Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/fc1"));
            Adapters.inject(g, AdapterSpec.of("b", 4, "encoder/fc1"));
            randomize(g, "a", 3, 0.5, "/up/weight", "/down/bias");
            randomize(g, "b", 4, 0.5, "/up/weight", "/down/bias");
            Composition.compose(g, new CompositionSpec("ab", CompositionSpec.Kind.STACK, List.of("a", "b")), true);
            Adapters.deactivate(g, "a");
            Adapters.deactivate(g, "b");
            Composition.deactivate(g, "ab");
            List<String> routes = List.of(Routing.NONE, "ab", "ab", Routing.NONE, "ab");
            float[][] routed = mlp(g, new int[] {0, 1, 2, 3, 4}, routes);
            double worst = worstAgainstGroups(g, routes, Set.of("ab"), routed);
            assertTrue(worst <= SAME, "routed composition vs groups: " + worst);

            Composition.activate(g, "ab");
            IllegalArgumentException member = assertThrows(IllegalArgumentException.class,
                    () -> mlp(g, new int[] {0, 1, 2, 3, 4}, List.of("a", "a", "a", "a", "a")));
            assertTrue(member.getMessage().contains("route 'ab'"), member.getMessage());
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> mlp(g, new int[] {0, 1, 2, 3, 4}, List.of("ab")));
            assertTrue(count.getMessage().contains("1 modules but the batch has 5 rows"), count.getMessage());
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> Routing.forward(g, Map.of(), List.of("a"), ForwardContext.INFERENCE));
            assertTrue(none.getMessage().startsWith("routing got no inputs; give the graph's inputs ["), none.getMessage());
        }
    }

    @Test
    void aCompositionRoutedWithItsOwnMemberOrBesideAnActiveMemberIsRefusedNotMisapplied() {
        try (ModelGraph g = graph(2)) {
            Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/fc1"));
            Adapters.inject(g, AdapterSpec.of("b", 4, "encoder/fc1"));
            randomize(g, "a", 3, 0.5, "/up/weight", "/down/bias");
            randomize(g, "b", 4, 0.5, "/up/weight", "/down/bias");
            Composition.compose(g, new CompositionSpec("ab", CompositionSpec.Kind.STACK, List.of("a", "b")), true);
            Adapters.deactivate(g, "b");
            Composition.deactivate(g, "ab");
            // 'a' is active on its own: it applies to every row outside 'ab', which the composed term cannot do
            IllegalArgumentException active = assertThrows(IllegalArgumentException.class,
                    () -> mlp(g, new int[] {0, 1, 2, 3, 4}, List.of("ab", Routing.NONE, "ab", "ab", "ab")));
            assertTrue(active.getMessage().contains("member 'a' is also active"), active.getMessage());
            Adapters.deactivate(g, "a");
            // 'a' routed in the same batch as 'ab': its rows would get nothing
            IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                    () -> mlp(g, new int[] {0, 1, 2, 3, 4}, List.of("ab", "a", "ab", "a", Routing.NONE)));
            assertTrue(both.getMessage().contains("both 'ab' and its member 'a'"), both.getMessage());
            assertEquals(Set.of(), g.activeAdapters(), "a refused call leaves the active set alone");
        }
    }

    @Test
    void aMergedModuleCannotBeRoutedSinceItsUpdateIsInEveryRowsWeights() {
        try (ModelGraph g = graph(2)) {
            Lora.inject(g, LoraSpec.of("m", 2, "encoder/fc2"));
            randomize(g, "m", 4, 0.5, "/B");
            Lora.merge(g, "m");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> mlp(g, new int[] {0, 1, 2, 3, 4}, List.of("m", Routing.NONE, "m", "m", "m")));
            assertTrue(e.getMessage().contains("'m', which is merged"), e.getMessage());
            assertTrue(e.getMessage().contains("Lora.unmerge"), e.getMessage());
        }
    }

    @Test
    void routedPrefixRowsEqualTheirGroupsAndPromptsRefuseRouting() {
        long[][] ids = {{1, 5, 7, 9, 2}, {1, 4, 2, 0, 0}, {1, 8, 3, 6, 2}};
        long[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}};
        List<String> routes = List.of("pfx", "pfx", Routing.NONE);
        try (ModelGraph g = PromptTuningTest.graph(3, TransformerEncoder.Pooling.MEAN)) {
            Prompts.inject(g, new PrefixSpec("pfx", 3, "enc"), true);
            randomize(g, "pfx", 8, 1.0, "/key", "/value");
            Prompts.deactivate(g, "pfx");
            float[][][] routed;
            float[][][] pooledRouted;
            try (NDManager m = g.manager().newSubManager()) {
                Map<String, NDArray> out = Routing.forward(g, PromptTuningTest.inputs(m, ids, mask), routes,
                        ForwardContext.INFERENCE);
                routed = PromptTuningTest.split(out.get("hidden"));
                pooledRouted = PromptTuningTest.split(out.get("pooled").expandDims(1));
            }
            Prompts.activate(g, "pfx");
            Map<String, float[][][]> with = PromptTuningTest.run(g, new long[][] {ids[0], ids[1]},
                    new long[][] {mask[0], mask[1]});
            Prompts.deactivate(g, "pfx");
            Map<String, float[][][]> without = PromptTuningTest.run(g, new long[][] {ids[2]}, new long[][] {mask[2]});
            double worst = 0;
            for (int r = 0; r < 3; r++) {
                Map<String, float[][][]> alone = r < 2 ? with : without;
                int k = r < 2 ? r : 0;
                worst = Math.max(worst, Fixtures.maxAbsDiff(alone.get("pooled")[k][0], pooledRouted[r][0]));
                for (int j = 0; j < ids[r].length; j++) {
                    if (mask[r][j] == 1) {
                        worst = Math.max(worst, Fixtures.maxAbsDiff(alone.get("hidden")[k][j], routed[r][j]));
                    }
                }
            }
            assertTrue(worst <= SAME, "routed prefix rows vs groups: " + worst);
            assertTrue(Fixtures.maxAbsDiff(with.get("pooled")[0][0], pooledRouted[2][0]) > 1e-3);

            Prompts.inject(g, new PromptSpec("soft", 2, "enc"), true);
            try (NDManager m = g.manager().newSubManager()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Routing.forward(g,
                        PromptTuningTest.inputs(m, ids, mask), List.of("soft", "", ""), ForwardContext.INFERENCE));
                assertTrue(e.getMessage().contains("prompt tuning cannot be routed per row"), e.getMessage());
            }
        }
    }
}
