package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.input;
import static dev.floe.peft.Fixtures.maxAbsDiff;
import static dev.floe.peft.Fixtures.outputs;
import static dev.floe.peft.Fixtures.randomize;
import static dev.floe.peft.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DoraTest {

    private static final float[] X = input(7);
    private static final List<String> LAYERS = List.of("encoder/fc1", "encoder/fc2", "encoder/out");

    @TempDir
    Path dir;

    /** {@code diag(m / ‖V‖) V} with {@code V = W + scale · B A}, row norms over the input dimension. */
    private static float[] expectedWeight(ModelGraph g, String layer, String name, double scale) {
        Map<String, Param> p = g.parameters();
        float[] w = p.get(layer + "/weight").toFloatArray();
        long[] shape = p.get(layer + "/weight").shape().getShape();
        int out = (int) shape[0];
        int in = (int) shape[1];
        float[] a = p.get(layer + "/lora/" + name + "/A").toFloatArray();
        float[] b = p.get(layer + "/lora/" + name + "/B").toFloatArray();
        float[] m = p.get(layer + "/lora/" + name + "/magnitude").toFloatArray();
        int r = a.length / in;
        float[] result = new float[w.length];
        for (int o = 0; o < out; o++) {
            double[] v = new double[in];
            double norm = 0;
            for (int i = 0; i < in; i++) {
                double ba = 0;
                for (int k = 0; k < r; k++) {
                    ba += (double) b[o * r + k] * a[k * in + i];
                }
                v[i] = w[o * in + i] + scale * ba;
                norm += v[i] * v[i];
            }
            for (int i = 0; i < in; i++) {
                result[o * in + i] = (float) (m[o] / Math.sqrt(norm) * v[i]);
            }
        }
        return result;
    }

    /** The outputs of a plain graph of the same seed whose weights are set to the DoRA weights of {@code g}. */
    private static float[] outputsOfPlainGraphWithDoraWeights(ModelGraph g, long seed, String name, double scale) {
        try (ModelGraph plain = graph(seed)) {
            for (String layer : LAYERS) {
                Param w = plain.parameters().get(layer + "/weight");
                w.load(expectedWeight(g, layer, name, scale), w.shape().getShape());
            }
            return outputs(plain, X);
        }
    }

    @Test
    void injectCreatesFactorsAndAMagnitudeAtTheRowNormsSoTheStartEqualsTheBase() {
        try (ModelGraph g = graph(1)) {
            float[] base = outputs(g, X);
            List<String> layers = Dora.inject(g, new DoraSpec("d", 4, 8, 0.0, "encoder/fc*"));
            assertEquals(List.of("encoder/fc1", "encoder/fc2"), layers);
            Param m = g.parameters().get("encoder/fc1/lora/d/magnitude");
            assertEquals(ParamKind.LORA_MAGNITUDE, m.kind());
            assertEquals("d", m.adapter());
            assertArrayEquals(new long[] {16}, m.shape().getShape(), "one magnitude per output unit");
            float[] w = g.parameters().get("encoder/fc1/weight").toFloatArray(); // (16, 8)
            for (int o = 0; o < 16; o++) {
                double s = 0;
                for (int i = 0; i < 8; i++) {
                    s += w[o * 8 + i] * w[o * 8 + i];
                }
                assertEquals(Math.sqrt(s), m.toFloatArray()[o], 1e-5, "row " + o + " norm over the input dimension");
            }
            assertArrayEquals(new float[64], g.parameters().get("encoder/fc1/lora/d/B").toFloatArray());
            double d = maxAbsDiff(base, outputs(g, X));
            assertTrue(d < 1e-5, "a fresh DoRA module changes outputs by " + d);
            assertEquals(Map.of("d", new DoraSpec("d", 4, 8, 0.0, "encoder/fc*")), Dora.attached(g));
        }
    }

    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(doubles = {0.0, 0.3})
    void theForwardIsTheLayerWithTheDecomposedWeight(double dropout) {
        try (ModelGraph g = graph(2)) {
            DoraSpec spec = new DoraSpec("d", 2, 4, dropout, "encoder/**");
            Dora.inject(g, spec);
            randomize(g, "d", 11, 0.3, "/A", "/B");
            randomize(g, "d", 12, 1.0, "/magnitude");
            float[] dora = outputs(g, X); // inference: no dropout
            float[] expected = outputsOfPlainGraphWithDoraWeights(g, 2, "d", spec.scale());
            double d = maxAbsDiff(expected, dora);
            assertTrue(d < 1e-5, "DoRA forward differs from x (m/‖V‖ ⊙ V)ᵀ + b by " + d);
            try (ModelGraph plain = graph(2)) {
                assertTrue(maxAbsDiff(outputs(plain, X), dora) > 1e-2, "the module changes the outputs");
            }
        }
    }

    @Test
    void mergedOutputEqualsUnmergedAndUnmergeRestoresTheWeightsBitForBit() {
        try (ModelGraph g = graph(3)) {
            Map<String, float[]> base = snapshot(g);
            Dora.inject(g, new DoraSpec("d", 4, 8, 0.0, "encoder/**"));
            randomize(g, "d", 21, 0.3, "/B");
            randomize(g, "d", 22, 1.0, "/magnitude");
            float[] unmerged = outputs(g, X);

            Dora.merge(g, "d");
            assertTrue(Dora.isMerged(g, "d"));
            assertFalse(g.activeAdapters().contains("d"));
            double merged = maxAbsDiff(unmerged, outputs(g, X));
            System.out.println("DoRA merged vs unmerged max abs diff: " + merged);
            assertTrue(merged < 1e-5, "merged output differs by " + merged);
            assertTrue(maxAbsDiff(base.get("encoder/fc1/weight"), g.parameters().get("encoder/fc1/weight").toFloatArray()) > 1e-3);
            assertThrows(IllegalStateException.class, () -> Dora.merge(g, "d"));
            assertThrows(IllegalStateException.class, () -> Dora.activate(g, "d"));

            Dora.unmerge(g, "d");
            for (String layer : LAYERS) {
                assertArrayEquals(base.get(layer + "/weight"), g.parameters().get(layer + "/weight").toFloatArray(), layer);
            }
            assertTrue(g.activeAdapters().contains("d"));
            assertTrue(maxAbsDiff(unmerged, outputs(g, X)) < 1e-6);
        }
    }

    @Test
    void trainingMovesFactorsAndMagnitudeAndLeavesTheBaseBitIdentical() {
        try (ModelGraph g = graph(5)) {
            Dora.inject(g, DoraSpec.of("task", 2, "encoder/**"));
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            assertEquals(FreezePlan.State.LORA, plan.entry("encoder/fc1/lora/task/magnitude").state());
            assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/fc1/weight").state());
            assertEquals(0.0, plan.entry("encoder/fc1/lora/task/magnitude").weightDecay(OptimizerSpec.adamW(1e-2)),
                    "a magnitude is not decayed towards zero");
            long trainable = plan.entries().values().stream().filter(FreezePlan.Entry::trains)
                    .filter(e -> "task".equals(e.param().adapter())).mapToLong(e -> e.param().size()).sum();
            // per layer r·in + out·r + out: fc1 (8→16), fc2 (16→16), out (16→8)
            assertEquals((2 * 8 + 16 * 2 + 16) + (2 * 16 + 16 * 2 + 16) + (2 * 16 + 8 * 2 + 8), trainable);
            Map<String, float[]> before = snapshot(g);
            int live = FloeEngine.liveArrays(g.manager());
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).output("logits")
                    .batchSize(16).epochs(1).seed(3).build()) {
                t.fit(Fixtures.blobs(160, 1), null);
            }
            for (Param p : g.parameters().values()) {
                boolean same = Arrays.equals(before.get(p.path()), p.toFloatArray());
                if (p.path().startsWith("encoder/") && p.adapter() == null) {
                    assertTrue(same, p.path() + " is frozen and must be bit-identical");
                } else {
                    assertFalse(same, p.path() + " trains and must change");
                }
            }
            assertEquals(live, FloeEngine.liveArrays(g.manager()), "no native arrays left behind by DoRA passes");
        }
    }

    @Test
    void anAdapterOnlyFileReloadsToTheSameOutputsOnTheSameBaseOnly() throws IOException {
        Path file = dir.resolve("d.safetensors");
        DoraSpec spec = new DoraSpec("d", 2, 3, 0.1, "encoder/{fc1,fc2}");
        float[] trained;
        try (ModelGraph g = graph(1)) {
            Dora.inject(g, spec);
            randomize(g, "d", 5, 0.3, "/A", "/B");
            randomize(g, "d", 6, 1.0, "/magnitude");
            trained = outputs(g, X);
            PeftIo.save(g, "d", file);
        }
        assertEquals(Set.of("encoder/fc1/lora/d/A", "encoder/fc1/lora/d/B", "encoder/fc1/lora/d/magnitude",
                "encoder/fc2/lora/d/A", "encoder/fc2/lora/d/B", "encoder/fc2/lora/d/magnitude"),
                dev.floe.io.Safetensors.read(file).tensors().keySet());
        try (ModelGraph fresh = graph(1)) {
            assertEquals(spec, PeftIo.load(fresh, file));
            assertArrayEquals(trained, outputs(fresh, X), "the reloaded module reproduces the outputs bit for bit");
        }
        try (ModelGraph other = graph(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftIo.load(other, file));
            assertTrue(e.getMessage().contains("dora 'd'") && e.getMessage().contains("trained on base"), e.getMessage());
            assertEquals(Map.of(), Dora.attached(other), "a refused load injects nothing");
        }
    }

    @Test
    void mergesThatRescaleWeightsRefuseSharedActiveLayersAndAreUndoneInReverseOrder() {
        try (ModelGraph g = graph(4)) {
            Dora.inject(g, DoraSpec.of("d", 2, "encoder/fc1"));
            Lora.inject(g, LoraSpec.of("l", 2, "encoder/fc*"));
            randomize(g, "l", 1, 0.3, "/B");
            IllegalStateException shared = assertThrows(IllegalStateException.class, () -> Dora.merge(g, "d"));
            assertTrue(shared.getMessage().contains("'l' is active on the same layers [encoder/fc1]"), shared.getMessage());
            IllegalStateException loraFirst = assertThrows(IllegalStateException.class, () -> Lora.merge(g, "l"));
            assertTrue(loraFirst.getMessage().contains("'d'"), loraFirst.getMessage());

            Dora.deactivate(g, "d");
            Lora.merge(g, "l");
            Dora.activate(g, "d");
            randomize(g, "d", 2, 0.3, "/B");
            float[] before = outputs(g, X);
            Dora.merge(g, "d");
            assertTrue(maxAbsDiff(before, outputs(g, X)) < 1e-5);
            IllegalStateException order = assertThrows(IllegalStateException.class, () -> Lora.unmerge(g, "l"));
            assertTrue(order.getMessage().contains("unmerge 'd' first"), order.getMessage());
            Dora.unmerge(g, "d");
            assertTrue(maxAbsDiff(before, outputs(g, X)) < 1e-5, "back to LoRA merged and DoRA on top");
            Lora.unmerge(g, "l");
            assertFalse(Lora.isMerged(g, "l"));
        }
    }

    @Test
    void loraStillMergesUnderAnActiveAdapterOnTheSameLayer() {
        try (ModelGraph g = graph(4)) {
            Lora.inject(g, LoraSpec.of("l", 2, "encoder/fc1"));
            Adapters.inject(g, AdapterSpec.of("ad", 2, "encoder/fc1"));
            randomize(g, "l", 1, 0.3, "/B");
            randomize(g, "ad", 2, 0.3, "/up/weight");
            float[] before = outputs(g, X);
            Lora.merge(g, "l");
            assertTrue(maxAbsDiff(before, outputs(g, X)) < 1e-5);
            Lora.unmerge(g, "l");
        }
    }

    @Test
    void specsAndInjectionRejectBadValuesNamingTheModuleAndTheFix() {
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> new DoraSpec("d", 0, 1, 0, "x"));
        assertTrue(rank.getMessage().contains("dora 'd': rank must be at least 1, found 0"), rank.getMessage());
        IllegalArgumentException alpha = assertThrows(IllegalArgumentException.class, () -> new DoraSpec("d", 2, -1, 0, "x"));
        assertTrue(alpha.getMessage().contains("alpha must be a finite number > 0, found -1.0"), alpha.getMessage());
        try (ModelGraph g = graph(1)) {
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> Dora.inject(g, DoraSpec.of("d", 9, "encoder/fc1")));
            assertTrue(big.getMessage().contains("encoder/fc1 (in 8, out 16)") && big.getMessage().contains("lower the rank"),
                    big.getMessage());
            assertEquals(Map.of(), g.parameters().keySet().stream().filter(k -> k.contains("/lora/"))
                    .collect(java.util.stream.Collectors.toMap(k -> k, k -> k)));
            Lora.inject(g, LoraSpec.of("x", 2, "encoder/out"));
            IllegalArgumentException wrongKind = assertThrows(IllegalArgumentException.class, () -> Dora.merge(g, "x"));
            assertTrue(wrongKind.getMessage().contains("is a LoRA module, use Lora"), wrongKind.getMessage());
        }
    }
}
