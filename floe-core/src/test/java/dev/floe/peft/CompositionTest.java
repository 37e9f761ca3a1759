package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Linear;
import dev.floe.peft.CompositionSpec.Kind;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Stack, parallel and fusion on one Linear layer, each against its definition computed by hand. */
class CompositionTest {

    static final int ROWS = 4;
    static final int IN = Fixtures.FEATURES;
    static final int OUT = 16;
    static final double TOLERANCE = 1e-5;

    static Linear fc1(ModelGraph g) {
        return g.component("encoder").layers().values().stream().filter(l -> l instanceof Linear lin
                && lin.path().equals("encoder/fc1")).map(l -> (Linear) l).findFirst().orElseThrow();
    }

    static float[] x() {
        float[] x = Fixtures.input(21);
        float[] out = new float[ROWS * IN];
        System.arraycopy(x, 0, out, 0, out.length);
        return out;
    }

    /** fc1's output for {@link #x()}, {@code [ROWS][OUT]}. */
    static double[][] run(ModelGraph g) {
        try (NDManager m = g.manager().newSubManager()) {
            float[] y = fc1(g).forward(ForwardContext.INFERENCE, m.create(x(), new Shape(ROWS, IN))).toFloatArray();
            double[][] out = new double[ROWS][OUT];
            for (int i = 0; i < ROWS; i++) {
                for (int j = 0; j < OUT; j++) {
                    out[i][j] = y[i * OUT + j];
                }
            }
            return out;
        }
    }

    static float[] p(ModelGraph g, String path) {
        return g.parameters().get(path).toFloatArray();
    }

    static double[] matVec(float[] w, double[] v, float[] bias) {
        int out = w.length / v.length;
        double[] r = new double[out];
        for (int o = 0; o < out; o++) {
            double s = bias == null ? 0 : bias[o];
            for (int i = 0; i < v.length; i++) {
                s += w[o * v.length + i] * v[i];
            }
            r[o] = s;
        }
        return r;
    }

    /** The base output of fc1 for row i. */
    static double[] base(ModelGraph g, int row) {
        double[] xi = new double[IN];
        float[] x = x();
        for (int j = 0; j < IN; j++) {
            xi[j] = x[row * IN + j];
        }
        return matVec(p(g, "encoder/fc1/weight"), xi, p(g, "encoder/fc1/bias"));
    }

    /** A ReLU adapter's term on y: up(relu(down(y))). */
    static UnaryOperator<double[]> adapter(ModelGraph g, String name) {
        String a = "encoder/fc1/adapter/" + name + "/";
        return y -> {
            double[] h = matVec(p(g, a + "down/weight"), y, p(g, a + "down/bias"));
            for (int i = 0; i < h.length; i++) {
                h[i] = Math.max(0, h[i]);
            }
            return matVec(p(g, a + "up/weight"), h, p(g, a + "up/bias"));
        };
    }

    static double[] add(double[] a, double[] b) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += b[i];
        }
        return r;
    }

    static double worst(double[][] got, java.util.function.IntFunction<double[]> want) {
        double w = 0;
        for (int i = 0; i < ROWS; i++) {
            double[] e = want.apply(i);
            for (int j = 0; j < OUT; j++) {
                w = Math.max(w, Math.abs(got[i][j] - e[j]));
            }
        }
        return w;
    }

    /** Adapters a and b (bottleneck 4) on encoder/fc1 with random weights. */
    static ModelGraph twoAdapters() {
        ModelGraph g = graph(1);
        Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/fc1"));
        Adapters.inject(g, AdapterSpec.of("b", 4, "encoder/fc1"));
        randomize(g, "a", 3, 0.5, "/up/weight", "/down/weight", "/down/bias");
        randomize(g, "b", 4, 0.5, "/up/weight", "/down/weight", "/down/bias");
        return g;
    }

    @Test
    void aStackAppliesItsMembersInTheListedOrder() {
        try (ModelGraph g = twoAdapters()) {
            Composition.compose(g, new CompositionSpec("ba", Kind.STACK, List.of("b", "a")), true);
            UnaryOperator<double[]> a = adapter(g, "a");
            UnaryOperator<double[]> b = adapter(g, "b");
            double[][] got = run(g);
            double stacked = worst(got, i -> {
                double[] y1 = add(base(g, i), b.apply(base(g, i)));
                return add(y1, a.apply(y1));
            });
            assertTrue(stacked < TOLERANCE, "stack [b, a] vs hand: " + stacked);
            double otherOrder = worst(got, i -> {
                double[] y1 = add(base(g, i), a.apply(base(g, i)));
                return add(y1, b.apply(y1));
            });
            assertTrue(otherOrder > 1e-3, "the order matters: " + otherOrder);
        }
    }

    @Test
    void parallelSumsTheMembersTermsOnTheSameOutput() {
        try (ModelGraph g = twoAdapters()) {
            Composition.compose(g, new CompositionSpec("ab", Kind.PARALLEL, List.of("a", "b")), true);
            double parallel = worst(run(g), i -> add(add(base(g, i), adapter(g, "a").apply(base(g, i))),
                    adapter(g, "b").apply(base(g, i))));
            assertTrue(parallel < TOLERANCE, "parallel vs hand: " + parallel);

            Composition.deactivate(g, "ab");
            Adapters.deactivate(g, "b");
            double aAlone = worst(run(g), i -> add(base(g, i), adapter(g, "a").apply(base(g, i))));
            assertTrue(aAlone < TOLERANCE, "off: the active members as if uncomposed: " + aAlone);
        }
    }

    @Test
    void fusionIsAnAttentionOverTheMembersOutputsPerPosition() {
        try (ModelGraph g = twoAdapters()) {
            Composition.compose(g, new CompositionSpec("fuse", Kind.FUSION, List.of("a", "b")), true);
            UnaryOperator<double[]> a = adapter(g, "a");
            UnaryOperator<double[]> b = adapter(g, "b");
            double fresh = worst(run(g), i -> {
                double[] y = base(g, i);
                double[] mean = add(a.apply(y), b.apply(y));
                for (int j = 0; j < mean.length; j++) {
                    mean[j] /= 2;
                }
                return add(y, mean);
            });
            assertTrue(fresh < TOLERANCE, "a fresh fusion adds the mean of the members' terms: " + fresh);

            randomize(g, "fuse", 9, 0.3, "/query", "/key", "/value");
            String f = "encoder/fc1/fusion/fuse/";
            double fused = worst(run(g), i -> {
                double[] y = base(g, i);
                double[][] d = {a.apply(y), b.apply(y)};
                double[] q = matVec(p(g, f + "query"), y, null);
                double[] s = new double[2];
                for (int k = 0; k < 2; k++) {
                    double[] key = matVec(p(g, f + "key"), add(y, d[k]), null);
                    for (int j = 0; j < OUT; j++) {
                        s[k] += q[j] * key[j];
                    }
                }
                double max = Math.max(s[0], s[1]);
                double w0 = Math.exp(s[0] - max);
                double w1 = Math.exp(s[1] - max);
                double[] v0 = matVec(p(g, f + "value"), d[0], null);
                double[] v1 = matVec(p(g, f + "value"), d[1], null);
                double[] out = y.clone();
                for (int j = 0; j < OUT; j++) {
                    out[j] += (w0 * v0[j] + w1 * v1[j]) / (w0 + w1);
                }
                return out;
            });
            assertTrue(fused < TOLERANCE, "fusion vs hand: " + fused);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aComposedLoraMemberIsNotMergedSinceTheCompositionAppliesItsTerm(Kind kind) {
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/fc1"));
            Adapters.inject(g, AdapterSpec.of("b", 4, "encoder/fc1"));
            randomize(g, "a", 3, 0.5, "/B");
            randomize(g, "b", 4, 0.5, "/up/weight", "/down/weight", "/down/bias");
            Composition.compose(g, new CompositionSpec("c", kind, List.of("b", "a")), true);
            double[][] before = run(g);
            // merged, a's update would reach the adapter's input and leave the composition's own terms
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Lora.merge(g, "a"));
            assertTrue(e.getMessage().contains("member of the " + kind + " 'c'"), e.getMessage());
            assertFalse(Lora.isMerged(g, "a"));
            assertEquals(0.0, worst(run(g), i -> before[i]), "a refused merge leaves the weights alone");
        }
    }

    @Test
    void aLoraIsNotMergedUnderAnActiveAdapterThatReadsTheLayerOutputBeforeIt() {
        try (ModelGraph g = graph(1)) {
            Adapters.inject(g, AdapterSpec.of("b", 4, "encoder/fc1"));
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/fc1"));
            randomize(g, "a", 3, 0.5, "/B");
            randomize(g, "b", 4, 0.5, "/up/weight", "/down/weight", "/down/bias");
            double[][] before = run(g);
            // the adapter sees y without a's update; merged, it would see y + a's update
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Lora.merge(g, "a"));
            assertTrue(e.getMessage().contains("adapter 'b' is active on encoder/fc1"), e.getMessage());
            assertEquals(0.0, worst(run(g), i -> before[i]), "a refused merge leaves the weights alone");

            Adapters.deactivate(g, "b");
            double[][] alone = run(g);
            Lora.merge(g, "a");
            assertTrue(worst(run(g), i -> alone[i]) < TOLERANCE, "with the adapter off the merge is exact");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void offItsMembersApplyInTheOrderTheyWereAttachedNotTheOrderListed(Kind kind) {
        try (ModelGraph g = twoAdapters()) { // a attached before b: b reads a's term
            double[][] uncomposed = run(g);
            Composition.compose(g, new CompositionSpec("c", kind, List.of("b", "a")), true);
            Composition.deactivate(g, "c");
            assertTrue(worst(run(g), i -> uncomposed[i]) < TOLERANCE, "off, the members apply as if uncomposed");
        }
    }

    @Test
    void aFusionTrainsWhileItsDeactivatedMembersStayFrozen() {
        try (ModelGraph g = twoAdapters()) {
            Composition.compose(g, new CompositionSpec("fuse", Kind.FUSION, List.of("a", "b")), true);
            Adapters.deactivate(g, "a");
            Adapters.deactivate(g, "b");
            FreezePlan plan = FreezePolicy.builder().build().resolve(g);
            assertEquals(FreezePlan.State.FROZEN, plan.entries().get("encoder/fc1/adapter/a/up/weight").state());
            assertEquals(FreezePlan.State.ADAPTER, plan.entries().get("encoder/fc1/fusion/fuse/key").state());
            assertEquals(FreezePlan.State.FROZEN, plan.entries().get("encoder/fc1/weight").state());
            assertEquals(3L * OUT * OUT + Fixtures.CLASSES * 8 + Fixtures.CLASSES, plan.trainableCount());
            assertEquals(List.of("encoder/fc1"), Composition.layers(g, "fuse"));
            assertEquals(Kind.FUSION, Composition.attached(g).get("fuse").kind());
            assertTrue(Adapters.attached(g).containsKey("a"), "members stay attached and switchable");
        }
    }

    @Test
    void composingModulesOnDifferentLayersNamesBothAndTheFix() {
        try (ModelGraph g = graph(1)) {
            Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/fc1"));
            Lora.inject(g, LoraSpec.of("l", 2, "encoder/{fc1,fc2}"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Composition.compose(g, new CompositionSpec("mix", Kind.STACK, List.of("a", "l")), true));
            assertEquals("stack 'mix': members 'a' and 'l' sit on different layers ('a' on [encoder/fc1], 'l' on"
                    + " [encoder/fc1, encoder/fc2]); compose only modules injected with the same target — give 'l' the"
                    + " target 'encoder/fc1'", e.getMessage());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> Composition.compose(g, new CompositionSpec("mix", Kind.FUSION, List.of("a", "z")), true));
            assertTrue(unknown.getMessage().contains("member 'z' is not attached"), unknown.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new CompositionSpec("mix", Kind.STACK, List.of("a")));
            assertTrue(Composition.attached(g).isEmpty(), "nothing was composed");
        }
    }

    @Test
    void aLoraAndAnAdapterStackOnOneLayer() {
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("l", 2, "encoder/fc1"));
            Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/fc1"));
            randomize(g, "l", 5, 0.5, "/B");
            randomize(g, "a", 6, 0.5, "/up/weight", "/down/bias");
            double[][] sequential = run(g);
            Composition.compose(g, new CompositionSpec("la", Kind.STACK, List.of("l", "a")), true);
            double[][] stacked = run(g);
            double d = worst(stacked, i -> sequential[i]);
            assertTrue(d < 1e-6, "a stack in injection order equals the uncomposed layer: " + d);
        }
    }
}
