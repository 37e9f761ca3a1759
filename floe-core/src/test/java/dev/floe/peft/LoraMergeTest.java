package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.input;
import static dev.floe.peft.Fixtures.maxAbsDiff;
import static dev.floe.peft.Fixtures.outputs;
import static dev.floe.peft.Fixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraMergeTest {

    private static final float[] X = input(7);

    @TempDir
    Path dir;

    /** {@code scale · B A} of one module on one layer, {@code (out, in)} row-major, in double. */
    private static double[] delta(ModelGraph g, String layer, String name, double scale) {
        Param a = g.parameters().get(layer + "/lora/" + name + "/A");
        Param b = g.parameters().get(layer + "/lora/" + name + "/B");
        int r = (int) a.shape().get(0);
        int in = (int) a.shape().get(1);
        int out = (int) b.shape().get(0);
        float[] av = a.toFloatArray();
        float[] bv = b.toFloatArray();
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                for (int k = 0; k < r; k++) {
                    d[o * in + i] += scale * bv[o * r + k] * av[k * in + i];
                }
            }
        }
        return d;
    }

    private static Map<String, Double> weights(Object... pairs) {
        Map<String, Double> w = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            w.put((String) pairs[i], ((Number) pairs[i + 1]).doubleValue());
        }
        return w;
    }

    @Test
    void linearMergeIsExactlyTheWeightedSumOfTheUpdatesNotTheProductOfAveragedFactors() throws IOException {
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, new LoraSpec("a", 2, 4, 0.0, "encoder/**"));
            Lora.inject(g, new LoraSpec("b", 3, 3, 0.0, "encoder/**"));
            randomize(g, "a", 1, 0.3, "/B");
            randomize(g, "b", 2, 0.3, "/B");
            LoraMerge.Result r = LoraMerge.linear(g, "m", weights("a", 0.7, "b", -0.3));
            assertEquals(new LoraSpec("m", 5, 5, 0.0, "encoder/**"), r.spec());
            assertFalse(g.activeAdapters().contains("m"), "the merged module starts inactive");
            System.out.println("linear merge relative errors: " + r.relativeError());
            assertTrue(r.maxRelativeError() < 1e-6, r.relativeError().toString());
            for (String layer : List.of("encoder/fc1", "encoder/fc2", "encoder/out")) {
                double[] da = delta(g, layer, "a", 2.0);
                double[] db = delta(g, layer, "b", 1.0);
                double[] dm = delta(g, layer, "m", 1.0);
                double worst = 0;
                for (int i = 0; i < dm.length; i++) {
                    worst = Math.max(worst, Math.abs(dm[i] - (0.7 * da[i] - 0.3 * db[i])));
                }
                assertTrue(worst < 1e-6, layer + ": merged update differs from 0.7 ΔW_a − 0.3 ΔW_b by " + worst);
            }

            // switching to the merged module gives the outputs of the weighted sum of updates
            float[] expected;
            try (ModelGraph plain = graph(1)) {
                for (String layer : List.of("encoder/fc1", "encoder/fc2", "encoder/out")) {
                    Param w = plain.parameters().get(layer + "/weight");
                    float[] v = w.toFloatArray();
                    double[] da = delta(g, layer, "a", 2.0);
                    double[] db = delta(g, layer, "b", 1.0);
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (v[i] + 0.7 * da[i] - 0.3 * db[i]);
                    }
                    w.load(v, w.shape().getShape());
                }
                expected = outputs(plain, X);
            }
            Lora.deactivate(g, "a");
            Lora.deactivate(g, "b");
            Lora.activate(g, "m");
            assertTrue(maxAbsDiff(expected, outputs(g, X)) < 1e-5);

            Path file = dir.resolve("m.safetensors");
            PeftIo.save(g, "m", file);
            try (ModelGraph fresh = graph(1)) {
                assertEquals(r.spec(), PeftIo.load(fresh, file));
                assertTrue(maxAbsDiff(expected, outputs(fresh, X)) < 1e-5);
            }
        }
    }

    /** Sets a module's factors so that its update has singular values {@code sigma} along coordinate axes. */
    private static void setAxes(ModelGraph g, String layer, String name, int firstAxis, double... sigma) {
        Param a = g.parameters().get(layer + "/lora/" + name + "/A");
        Param b = g.parameters().get(layer + "/lora/" + name + "/B");
        int r = (int) a.shape().get(0);
        int in = (int) a.shape().get(1);
        int out = (int) b.shape().get(0);
        float[] av = new float[r * in];
        float[] bv = new float[out * r];
        for (int k = 0; k < r; k++) {
            av[k * in + firstAxis + k] = 1f;
            bv[(out - 1 - firstAxis - k) * r + k] = (float) sigma[k];
        }
        a.load(av, a.shape().getShape());
        b.load(bv, b.shape().getShape());
    }

    @Test
    void svdKeepsTheLargestSingularDirectionsAndReportsTheDroppedShare() {
        try (ModelGraph g = graph(2)) {
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/fc2"));
            Lora.inject(g, LoraSpec.of("b", 2, "encoder/fc2"));
            setAxes(g, "encoder/fc2", "a", 0, 3, 1); // singular values 3 and 1 (scale 1)
            setAxes(g, "encoder/fc2", "b", 2, 4, 0.5); // on other axes; weight 0.5 → 2 and 0.25
            LoraMerge.Result two = LoraMerge.svd(g, "m2", weights("a", 1, "b", 0.5), 2);
            // ΔW has singular values 3, 2, 1, 0.25; rank 2 keeps 3 and 2
            double expected = Math.sqrt(1 + 0.0625) / Math.sqrt(9 + 4 + 1 + 0.0625);
            double seen = two.relativeError().get("encoder/fc2");
            System.out.println("svd rank 2 relative error: " + seen + " (Eckart-Young " + expected + ")");
            assertEquals(expected, seen, 1e-6);
            double[] dm = delta(g, "encoder/fc2", "m2", 1.0);
            double[] da = delta(g, "encoder/fc2", "a", 1.0);
            double[] db = delta(g, "encoder/fc2", "b", 1.0);
            double[] kept = new double[dm.length];
            for (int i = 0; i < kept.length; i++) {
                double full = da[i] + 0.5 * db[i];
                kept[i] = Math.abs(full) > 1.5 ? full : 0; // the entries of singular values 3 and 2
            }
            for (int i = 0; i < dm.length; i++) {
                assertEquals(kept[i], dm[i], 1e-5, "entry " + i);
            }
            LoraMerge.Result all = LoraMerge.svd(g, "m4", weights("a", 1, "b", 0.5), 4);
            System.out.println("svd rank 4 relative error: " + all.maxRelativeError());
            assertTrue(all.maxRelativeError() < 1e-6);
        }
    }

    @Test
    void svdOfRandomFactorsApproachesZeroErrorAsTheRankGrows() {
        try (ModelGraph g = graph(3)) {
            Lora.inject(g, LoraSpec.of("a", 4, "encoder/**"));
            Lora.inject(g, LoraSpec.of("b", 4, "encoder/**"));
            randomize(g, "a", 5, 0.3, "/B");
            randomize(g, "b", 6, 0.3, "/B");
            double previous = Double.MAX_VALUE;
            for (int rank : new int[] {1, 2, 4, 8}) {
                LoraMerge.Result r = LoraMerge.svd(g, "m" + rank, weights("a", 0.5, "b", 0.5), rank);
                System.out.println("svd rank " + rank + " relative errors: " + r.relativeError());
                assertTrue(r.maxRelativeError() < previous, "error shrinks with rank: " + r.relativeError());
                previous = r.maxRelativeError();
            }
            assertTrue(previous < 1e-5, "full rank is exact, error " + previous);
        }
    }

    @Test
    void anSvdRankAboveALayersSmallerSideIsRefusedAsDocumented() {
        try (ModelGraph g = graph(5)) {
            Lora.inject(g, LoraSpec.of("a", 5, "encoder/out")); // 16 → 8: no update there has rank above 8
            Lora.inject(g, LoraSpec.of("b", 5, "encoder/out"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LoraMerge.svd(g, "m", weights("a", 1, "b", 1), 9));
            assertTrue(e.getMessage().contains("layer encoder/out can hold (it is 16 → 8"), e.getMessage());
            assertFalse(Lora.attached(g).containsKey("m"));
            assertEquals(8, LoraMerge.svd(g, "m", weights("a", 1, "b", 1), 8).spec().rank());
        }
    }

    @Test
    void mergingModulesOnDifferentLayersOrOfAnotherKindFailsNamingThemAndTheFix() {
        try (ModelGraph g = graph(4)) {
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/fc*"));
            Lora.inject(g, LoraSpec.of("b", 2, "encoder/out"));
            Lora.inject(g, LoraSpec.of("h", 2, "head/**"));
            Dora.inject(g, DoraSpec.of("d", 2, "encoder/fc*"));
            IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                    () -> LoraMerge.linear(g, "m", weights("a", 1, "b", 1)));
            assertTrue(layers.getMessage().contains("cannot merge LoRA [a, b] into 'm': 'a' is attached to [encoder/fc1,"
                    + " encoder/fc2] but 'b' to [encoder/out]") && layers.getMessage().contains("same target"),
                    layers.getMessage());
            IllegalArgumentException hosts = assertThrows(IllegalArgumentException.class,
                    () -> LoraMerge.linear(g, "m", weights("a", 1, "h", 1)));
            assertTrue(hosts.getMessage().contains("in components [encoder] vs [head]"), hosts.getMessage());
            IllegalArgumentException dora = assertThrows(IllegalArgumentException.class,
                    () -> LoraMerge.linear(g, "m", weights("a", 1, "d", 1)));
            assertTrue(dora.getMessage().contains("'d' is a dora module"), dora.getMessage());
            IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                    () -> LoraMerge.svd(g, "m", weights("a", 1), 3));
            assertTrue(rank.getMessage().contains("rank must be between 1 and 2"), rank.getMessage());
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> LoraMerge.linear(g, "m", weights("a", Double.NaN)));
            assertTrue(nan.getMessage().contains("the weight of 'a' is NaN"), nan.getMessage());
            assertThrows(IllegalArgumentException.class, () -> LoraMerge.linear(g, "b", weights("a", 1)));
            Dora.deactivate(g, "d");
            Lora.merge(g, "a");
            IllegalStateException merged = assertThrows(IllegalStateException.class,
                    () -> LoraMerge.linear(g, "m", weights("a", 1)));
            assertTrue(merged.getMessage().contains("Lora.unmerge"), merged.getMessage());
            assertFalse(Lora.attached(g).containsKey("m"), "failed merges attach nothing");
        }
    }
}
