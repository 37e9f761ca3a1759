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
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LoraTest {

    private static final float[] X = input(7);

    @Test
    void injectCreatesNamedFactorsOnEveryMatchingLinearAndActivatesTheModule() {
        try (ModelGraph g = graph(1)) {
            List<String> layers = Lora.inject(g, new LoraSpec("qv", 4, 8, 0.1, "encoder/fc*"));
            assertEquals(List.of("encoder/fc1", "encoder/fc2"), layers);
            assertEquals(Set.of("qv"), g.activeAdapters());
            Param a = g.parameters().get("encoder/fc1/lora/qv/A");
            Param b = g.parameters().get("encoder/fc1/lora/qv/B");
            assertEquals(ParamKind.LORA_A, a.kind());
            assertEquals(ParamKind.LORA_B, b.kind());
            assertEquals("qv", a.adapter());
            assertArrayEquals(new long[] {4, 8}, a.shape().getShape());
            assertArrayEquals(new long[] {16, 4}, b.shape().getShape());
            assertTrue(g.component("encoder").parameters().containsKey("encoder/fc2/lora/qv/A"));
            assertFalse(g.parameters().containsKey("encoder/out/lora/qv/A"));
            double bound = 1 / Math.sqrt(8);
            for (float v : a.toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "A is uniform in ±1/sqrt(in)");
            }
            assertTrue(Arrays.stream(box(a.toFloatArray())).anyMatch(v -> v != 0f), "A is random");
            assertArrayEquals(new float[64], b.toFloatArray(), "B starts at zero");
            assertEquals(Map.of("qv", new LoraSpec("qv", 4, 8, 0.1, "encoder/fc*")), Lora.attached(g));
        }
    }

    @Test
    void freshLoraLeavesOutputsBitIdentical() {
        try (ModelGraph g = graph(1)) {
            float[] base = outputs(g, X);
            Lora.inject(g, LoraSpec.of("a", 4, "encoder/**"));
            assertArrayEquals(base, outputs(g, X));
        }
    }

    @ParameterizedTest(name = "rank {0}, alpha {1}")
    @CsvSource({"1, 1", "4, 8", "8, 32"})
    void mergedOutputEqualsUnmergedAndUnmergeRestoresTheBase(int rank, double alpha) {
        try (ModelGraph g = graph(2)) {
            Map<String, float[]> base = snapshot(g);
            float[] baseOutputs = outputs(g, X);
            LoraSpec spec = new LoraSpec("a", rank, alpha, 0.0, "encoder/**");
            Lora.inject(g, spec);
            // an update of the weights' own size, whatever the scale: outputs stay O(1)
            randomize(g, "a", 11, 0.25 / spec.scale(), "/B");
            float[] unmerged = outputs(g, X);
            assertTrue(maxAbsDiff(unmerged, baseOutputs) > 1e-2, "B is non-zero");

            Lora.merge(g, "a");
            assertTrue(Lora.isMerged(g, "a"));
            assertFalse(g.activeAdapters().contains("a"), "merging switches the delta off");
            assertTrue(maxAbsDiff(base.get("encoder/fc1/weight"), g.parameters().get("encoder/fc1/weight").toFloatArray()) > 1e-3);
            double merged = maxAbsDiff(unmerged, outputs(g, X));
            assertTrue(merged < 1e-5, "merged output differs by " + merged);

            Lora.unmerge(g, "a");
            assertFalse(Lora.isMerged(g, "a"));
            assertTrue(g.activeAdapters().contains("a"));
            for (String layer : List.of("encoder/fc1", "encoder/fc2", "encoder/out")) {
                double d = maxAbsDiff(base.get(layer + "/weight"), g.parameters().get(layer + "/weight").toFloatArray());
                assertTrue(d < 1e-6, layer + " weight differs by " + d + " after unmerge");
            }
            assertTrue(maxAbsDiff(unmerged, outputs(g, X)) < 1e-5);
        }
    }

    @Test
    void mergeAndUnmergeRefuseTheWrongState() {
        try (ModelGraph g = graph(3)) {
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/**"));
            Lora.deactivate(g, "a");
            IllegalStateException inactive = assertThrows(IllegalStateException.class, () -> Lora.merge(g, "a"));
            assertTrue(inactive.getMessage().contains("'a' is not active"), inactive.getMessage());
            IllegalStateException notMerged = assertThrows(IllegalStateException.class, () -> Lora.unmerge(g, "a"));
            assertTrue(notMerged.getMessage().contains("not merged"), notMerged.getMessage());

            Lora.activate(g, "a");
            Lora.merge(g, "a");
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> Lora.merge(g, "a"));
            assertTrue(twice.getMessage().contains("merged") && twice.getMessage().contains("unmerge"), twice.getMessage());
            assertThrows(IllegalStateException.class, () -> Lora.activate(g, "a"));
            assertThrows(IllegalStateException.class, () -> Lora.deactivate(g, "a"));
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Lora.merge(g, "zz"));
            assertTrue(unknown.getMessage().contains("no LoRA module named 'zz'") && unknown.getMessage().contains("a (lora)"),
                    unknown.getMessage());
        }
    }

    @Test
    void twoNamedModulesSwitchWithoutReloadingAndSwitchingBackRestoresOutputsExactly() {
        try (ModelGraph g = graph(4)) {
            float[] base = outputs(g, X);
            Lora.inject(g, LoraSpec.of("a", 4, "encoder/**"));
            Lora.inject(g, new LoraSpec("b", 2, 4, 0.0, "encoder/{fc2,out}"));
            randomize(g, "a", 1, 0.5, "/B");
            randomize(g, "b", 2, 0.5, "/B");

            Lora.deactivate(g, "b");
            float[] onlyA = outputs(g, X);
            Lora.deactivate(g, "a");
            Lora.activate(g, "b");
            float[] onlyB = outputs(g, X);
            Lora.deactivate(g, "b");
            assertArrayEquals(base, outputs(g, X), "with nothing active the base model is back, bit for bit");

            assertTrue(maxAbsDiff(onlyA, onlyB) > 1e-2);
            assertTrue(maxAbsDiff(onlyA, base) > 1e-2);
            Lora.activate(g, "a");
            assertArrayEquals(onlyA, outputs(g, X), "switching back restores a's outputs exactly");
            Lora.activate(g, "b");
            float[] both = outputs(g, X);
            assertTrue(maxAbsDiff(both, onlyA) > 1e-3);

            // merging one of two active modules keeps the outputs
            Lora.merge(g, "a");
            assertTrue(maxAbsDiff(both, outputs(g, X)) < 1e-5);
            Lora.unmerge(g, "a");
        }
    }

    @Test
    void injectFreezesTheRestOfTheHostComponentUnlessAskedNotTo() {
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("qv", 4, "encoder/fc*"));
            assertEquals(List.of(dev.floe.freeze.FreezeRule.freeze("encoder/**")), FreezePolicy.hostRules(g));
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            for (Param p : g.parameters().values()) {
                boolean trains = plan.entry(p.path()).trains();
                assertEquals(p.adapter() != null || p.path().startsWith("head/"), trains,
                        p.path() + ": with train-all only the LoRA factors and the head train");
            }
            // a later policy rule trains part of the host again; the wrapped layer's base weight stays frozen
            FreezePlan partly = FreezePolicy.builder().train("encoder/out/**").train("encoder/fc1/**").build().resolve(g);
            assertTrue(partly.entry("encoder/out/weight").trains());
            assertFalse(partly.entry("encoder/fc2/weight").trains());
            assertFalse(partly.entry("encoder/fc1/weight").trains(), "base weight under an active LoRA");
            // switched off, the module no longer freezes its host
            Lora.deactivate(g, "qv");
            assertEquals(List.of(), FreezePolicy.hostRules(g));
            assertTrue(FreezePolicy.trainAll().resolve(g).entry("encoder/out/weight").trains());
        }
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("qv", 4, "encoder/fc*"), false);
            assertEquals(List.of(), FreezePolicy.hostRules(g));
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            assertTrue(plan.entry("encoder/out/weight").trains(), "without host freezing the policy decides");
            assertFalse(plan.entry("encoder/fc1/weight").trains(), "base weight under an active LoRA");
        }
    }

    @Test
    void loraTrainingLeavesTheBaseBitIdenticalAndTrainsOnlyTheFactorsAndTheHead() {
        try (ModelGraph g = graph(5)) {
            Lora.inject(g, LoraSpec.of("task", 4, "encoder/**"));
            // freeze the backbone, train its LoRA factors; the head trains by default
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").train("encoder/**/lora/**").build().resolve(g);
            Map<String, float[]> before = snapshot(g);
            int live = FloeEngine.liveArrays(g.manager());
            // 480 examples / batch 16 = 30 steps
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).output("logits")
                    .batchSize(16).epochs(1).seed(3).build()) {
                TrainResult r = t.fit(Fixtures.blobs(480, 1), null);
                assertEquals(30, r.steps());
            }
            for (Param p : g.parameters().values()) {
                boolean same = Arrays.equals(before.get(p.path()), p.toFloatArray());
                if (p.path().startsWith("encoder/") && p.adapter() == null) {
                    assertTrue(same, p.path() + " is frozen and must be bit-identical");
                } else {
                    assertFalse(same, p.path() + " trains and must change");
                }
            }
            assertEquals(live, FloeEngine.liveArrays(g.manager()), "no native arrays left behind by LoRA passes");
        }
    }

    @Test
    void branchDropoutRunsOnlyWhereTheContextTrainsTheModule() {
        try (ModelGraph g = graph(5)) {
            Lora.inject(g, new LoraSpec("d", 4, 4, 0.5, "encoder/fc1"));
            randomize(g, "d", 3, 0.5, "/B");
            float[] inference = outputs(g, X);
            assertArrayEquals(inference, outputs(g, X), "no dropout in inference");
            ForwardContext trainsLora = path -> path.startsWith("encoder/fc1/lora/d");
            float[] first = outputs(g, X, trainsLora);
            assertTrue(maxAbsDiff(inference, first) > 1e-3, "dropout changes the branch while it trains");
            ForwardContext trainsOther = path -> path.equals("head");
            assertArrayEquals(inference, outputs(g, X, trainsOther));
        }
    }

    @Test
    void aGlobMatchingNoLinearNamesTheGlobAndNearbyLayersAndChangesNothing() {
        try (ModelGraph g = graph(6)) {
            int params = g.parameters().size();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> Lora.inject(g, LoraSpec.of("a", 2, "encoder/**/attention/self/{query,value}")));
            assertTrue(e.getMessage().contains("'encoder/**/attention/self/{query,value}' matches no Linear"), e.getMessage());
            assertTrue(e.getMessage().contains("encoder/fc1") && e.getMessage().contains("head/fc"), e.getMessage());
            assertEquals(params, g.parameters().size());
            assertTrue(g.activeAdapters().isEmpty());
        }
    }

    @Test
    void aRankAboveTheLayerSizeNamesTheLayersAndChangesNothing() {
        try (ModelGraph g = graph(6)) {
            int params = g.parameters().size();
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Lora.inject(g, LoraSpec.of("big", 9, "encoder/**")));
            assertTrue(e.getMessage().contains("rank 9"), e.getMessage());
            assertTrue(e.getMessage().contains("encoder/fc1 (in 8, out 16)"), e.getMessage());
            assertTrue(e.getMessage().contains("encoder/out (in 16, out 8)"), e.getMessage());
            assertFalse(e.getMessage().contains("encoder/fc2"), "fc2 (16×16) fits rank 9: " + e.getMessage());
            assertEquals(params, g.parameters().size(), "nothing half-injected");
            assertTrue(g.activeAdapters().isEmpty());
            assertTrue(Lora.attached(g).isEmpty());
        }
    }

    @Test
    void aDuplicateNameIsRefusedAcrossLoraAndAdapters() {
        try (ModelGraph g = graph(6)) {
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/fc1"));
            int params = g.parameters().size();
            IllegalArgumentException again =
                    assertThrows(IllegalArgumentException.class, () -> Lora.inject(g, LoraSpec.of("a", 2, "encoder/out")));
            assertTrue(again.getMessage().contains("already used") && again.getMessage().contains("encoder/fc1"),
                    again.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Adapters.inject(g, AdapterSpec.of("a", 2, "encoder/out")));
            assertEquals(params, g.parameters().size());
        }
    }

    @Test
    void specsRejectBadFields() {
        IllegalArgumentException rank0 =
                assertThrows(IllegalArgumentException.class, () -> LoraSpec.of("a", 0, "encoder/**"));
        assertTrue(rank0.getMessage().contains("rank must be at least 1, found 0"), rank0.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LoraSpec("a", 4, 0, 0, "encoder/**"));
        assertThrows(IllegalArgumentException.class, () -> new LoraSpec("a", 4, Double.NaN, 0, "encoder/**"));
        assertThrows(IllegalArgumentException.class, () -> new LoraSpec("a", 4, 4, 1.0, "encoder/**"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.of("a/b", 4, "encoder/**"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.of("", 4, "encoder/**"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.of("a", 4, "encoder/{fc1"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.of("a", 4, null));
        assertEquals(2.0, new LoraSpec("a", 4, 8, 0, "x").scale());
    }

    private static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
