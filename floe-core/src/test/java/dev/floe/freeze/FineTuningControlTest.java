package dev.floe.freeze;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Init;
import dev.floe.nn.ParamKind;
import dev.floe.optim.OptimizerSpec;
import dev.floe.optim.ParamGroup;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Layer decay, train_bn, weight-decay defaults, the conflict lint and validation on a conv encoder + head. */
class FineTuningControlTest {

    private static final OptimizerSpec ADAMW = OptimizerSpec.adamW(1e-3); // weight decay 0.01
    private ModelGraph graph;

    @BeforeEach
    void build() {
        graph = ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name("encoder").widths(4, 8, 16).build()) // [stem, block1, block2]
                .add(LinearHead.of("head", 16, 3))
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .build();
    }

    @AfterEach
    void close() {
        graph.close();
    }

    private double scale(FreezePlan plan, String path) {
        return plan.entry(path).lrScale();
    }

    // ---- layer decay ---------------------------------------------------------------------------

    @Test
    void layerDecayScalesByDepthFromTheTop() {
        FreezePlan plan = FreezePolicy.builder().layerDecay(0.5).build().resolve(graph);
        assertEquals(1.0, scale(plan, "encoder/block2/conv1/weight"));
        assertEquals(1.0, scale(plan, "encoder/block2/bn1/gamma"));
        assertEquals(0.5, scale(plan, "encoder/block1/conv2/weight"));
        assertEquals(0.25, scale(plan, "encoder/stem/conv/weight"));
        assertEquals(0.25, plan.entry("encoder/stem/conv/weight").layerScale());
        assertEquals(1.0, scale(plan, "head/fc/weight"), "a one-layer head is its own top");
        assertEquals(1.0, plan.entry("encoder/stem/bn/running_mean").lrScale(), "buffers have no rate");
    }

    /** timm issue #2691: freezing bottom layers must not shift the decay of the layers that train. */
    @ParameterizedTest
    @ValueSource(strings = {"encoder/stem", "encoder/{stem,block1}", "encoder/block1"})
    void freezingLayersDoesNotShiftTheOthersScales(String frozen) {
        FreezePlan all = FreezePolicy.builder().layerDecay(0.7).build().resolve(graph);
        FreezePlan some = FreezePolicy.builder().layerDecay(0.7).freeze(frozen).build().resolve(graph);
        PathGlob glob = PathGlob.compile(frozen);
        for (FreezePlan.Entry e : some.entries().values()) {
            if (glob.matches(e.path()) && !e.param().kind().isBuffer()) {
                assertEquals(FreezePlan.State.FROZEN, e.state(), e.path());
            } else if (e.trains()) {
                assertEquals(all.entry(e.path()).lrScale(), e.lrScale(), e.path());
            }
        }
        assertEquals(1.0, scale(some, "encoder/block2/conv1/weight"), "the top keeps the full rate");
    }

    @Test
    void layerDecayMultipliesTheRuleScaleAndExplainShowsTheRate() {
        FreezePlan plan = FreezePolicy.builder().layerDecay(0.5).train("encoder/block1/**", 0.1).build().resolve(graph);
        assertEquals(0.05, scale(plan, "encoder/block1/conv1/weight"), 1e-15);
        assertEquals(5e-5, plan.entry("encoder/block1/conv1/weight").lr(ADAMW), 1e-18);
        String table = plan.explain(ADAMW);
        assertTrue(table.startsWith("policy: layer_decay 0.5\n"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("encoder/block1/conv1/weight ")
                && l.contains(" 0.00005 ") && l.contains(" 0.01 ") && l.contains("layer_decay 0.5")), table);
        assertTrue(plan.toJson(ADAMW).contains("\"lr\" : 5.0E-5"), plan.toJson(ADAMW));
    }

    @Test
    void perComponentLayerDecayOverridesThePolicyWideOne() {
        FreezePlan plan = FreezePolicy.builder().layerDecay(0.5).layerDecay("encoder", 0.8).build().resolve(graph);
        assertEquals(0.64, scale(plan, "encoder/stem/conv/weight"), 1e-12);
        assertEquals(0.8, plan.policy().layerDecayFor("encoder"));
        assertEquals(0.5, plan.policy().layerDecayFor("head"));
    }

    @Test
    void parametersOutsideTheLayerOrderGetScaleOne() {
        graph.extend("encoder").child("extra").create("w", ParamKind.WEIGHT, new Shape(2, 2), new Init.Zeros());
        FreezePlan plan = FreezePolicy.builder().layerDecay(0.5).build().resolve(graph);
        assertEquals(1.0, scale(plan, "encoder/extra/w"));
        assertEquals(0.25, scale(plan, "encoder/stem/conv/weight"));
    }

    @Test
    void groupsAreByEffectiveScaleAndWeightDecay() {
        FreezePlan plan = FreezePolicy.builder().layerDecay(0.5).build().resolve(graph);
        List<ParamGroup> groups = plan.groups(ADAMW);
        // scales {1, 0.5, 0.25} x decays {0.01 for kernels, 0 for norms and biases}
        assertEquals(6, groups.size(), groups.toString());
        ParamGroup top = groups.stream().filter(g -> g.lrScale() == 1.0 && g.weightDecay() == 0.01).findFirst().orElseThrow();
        assertTrue(top.params().stream().anyMatch(p -> p.path().equals("head/fc/weight")));
        assertTrue(top.params().stream().anyMatch(p -> p.path().equals("encoder/block2/conv1/weight")));
        assertEquals(plan.trainable().size(), groups.stream().mapToInt(g -> g.params().size()).sum());
    }

    @Test
    void layerDecayOutsideItsRangeOrForAnUnknownComponentFails() {
        for (double bad : new double[] {0.0, -0.5, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FreezePolicy.builder().layerDecay(bad));
            assertTrue(e.getMessage().startsWith("layer_decay must be in (0, 1], found " + bad), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FreezePolicy.builder().layerDecay("encoder", 2.0));
        assertTrue(e.getMessage().startsWith("layer_decay for component encoder must be in (0, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FreezePolicy.builder().layerDecay("encodr", 0.8).build().resolve(graph));
        assertTrue(e.getMessage().contains("component encodr, which is not in the graph; components are [encoder, head]"),
                e.getMessage());
    }

    // ---- train_bn ------------------------------------------------------------------------------

    @Test
    void trainBnTrainsBatchNormAffineInsideAFrozenEncoder() {
        FreezePlan plain = FreezePolicy.builder().freeze("encoder").build().resolve(graph);
        FreezePlan bn = FreezePolicy.builder().freeze("encoder").trainBn(true).build().resolve(graph);
        assertEquals(FreezePlan.State.FROZEN, plain.entry("encoder/block1/bn1/gamma").state());
        FreezePlan.Entry gamma = bn.entry("encoder/block1/bn1/gamma");
        assertEquals(FreezePlan.State.TRAIN, gamma.state());
        assertEquals(0, gamma.ruleIndex(), "the deciding rule is still the last match");
        assertTrue(gamma.rule().startsWith("(train_bn) over #1 freeze encoder"), gamma.rule());
        assertEquals(FreezePlan.State.TRAIN, bn.entry("encoder/stem/bn/beta").state());
        assertEquals(FreezePlan.State.FROZEN, bn.entry("encoder/block1/conv1/weight").state());
        assertEquals(FreezePlan.State.BUFFER, bn.entry("encoder/block1/bn1/running_var").state());
        assertEquals(0.0, gamma.weightDecay(ADAMW), "norm parameters do not decay by default");

        assertFalse(plain.trainingContext().training("encoder/block1/bn1"));
        assertTrue(bn.trainingContext().training("encoder/block1/bn1"));
        assertTrue(bn.trainingContext().training("encoder/block2/proj_bn"));
        assertFalse(bn.trainingContext().training("encoder/block1"), "the block around it stays in inference mode");
        assertFalse(bn.trainingContext().training("encoder"));
        assertTrue(bn.trainingContext().training("head"));
    }

    @Test
    void trainBnUpdatesRunningStatisticsInAForwardPassAndPlainFreezingDoesNot() {
        String mean = "encoder/block1/bn1/running_mean";
        float[] before = graph.parameters().get(mean).toFloatArray();
        try (NDManager m = graph.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(4, 1, 28, 28));
            FreezePlan plain = FreezePolicy.builder().freeze("encoder").build().resolve(graph);
            graph.forward(Map.of("image", x), plain.trainingContext());
            assertArrayEquals(before, graph.parameters().get(mean).toFloatArray());
            FreezePlan bn = FreezePolicy.builder().freeze("encoder").trainBn(true).build().resolve(graph);
            graph.forward(Map.of("image", x), bn.trainingContext());
            assertFalse(Arrays.equals(before, graph.parameters().get(mean).toFloatArray()));
        }
    }

    @Test
    void trainBnLeavesNormsWithoutRunningStatisticsFrozen() {
        graph.extend("head").child("ln").create("weight", ParamKind.NORM_SCALE, new Shape(3), new Init.Ones());
        FreezePlan plan = FreezePolicy.builder().freeze("head/ln").trainBn(true).build().resolve(graph);
        assertEquals(FreezePlan.State.FROZEN, plan.entry("head/ln/weight").state());
    }

    // ---- weight decay --------------------------------------------------------------------------

    @Test
    void weightDecayDefaultsToKernelsOnly() {
        FreezePlan plan = FreezePolicy.trainAll().resolve(graph);
        assertEquals(0.01, plan.entry("encoder/stem/conv/weight").weightDecay(ADAMW));
        assertEquals(0.01, plan.entry("head/fc/weight").weightDecay(ADAMW));
        assertEquals(0.0, plan.entry("head/fc/bias").weightDecay(ADAMW));
        assertEquals(0.0, plan.entry("encoder/stem/bn/gamma").weightDecay(ADAMW));
        assertEquals(0.0, plan.entry("encoder/stem/bn/beta").weightDecay(ADAMW));
        assertNull(plan.entry("head/fc/weight").weightDecay());
    }

    @Test
    void aRuleWithWeightDecayAppliesItToEverythingItTrainsNormsIncluded() {
        FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").train("encoder/block2/**", 1.0, 0.05)
                .build().resolve(graph);
        assertEquals(0.05, plan.entry("encoder/block2/conv1/weight").weightDecay(ADAMW));
        assertEquals(0.05, plan.entry("encoder/block2/bn1/gamma").weightDecay(ADAMW));
        assertEquals(0.0, plan.entry("encoder/block1/conv1/weight").weightDecay(ADAMW), "frozen: no decay");
        assertEquals(0.01, plan.entry("head/fc/weight").weightDecay(ADAMW));
        String table = plan.explain(ADAMW);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("encoder/block1/conv1/weight ") && l.contains(" - ")), table);
        assertTrue(plan.groups(ADAMW).stream().anyMatch(g -> g.weightDecay() == 0.05 && g.params().size() == 9),
                plan.groups(ADAMW).toString());
    }

    // ---- lint and validation -------------------------------------------------------------------

    @Test
    void twoRulesWithTheSameGlobAndDifferentSettingsAreACopyPasteError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FreezePolicy.builder()
                .train("encoder/**", 0.1)
                .freeze("head")
                .train("encoder/**", 0.5)
                .build()
                .resolve(graph));
        assertEquals("rules #1 'train encoder/** lr_scale=0.1' and #3 'train encoder/** lr_scale=0.5' have the same"
                + " glob but different settings, so #3 silently overrides #1 on every path it matches (e.g."
                + " encoder/stem/conv/weight); delete one of them, or narrow one glob if they were meant for"
                + " different layers", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> FreezePolicy.builder().freeze("head").train("head").build().resolve(graph));
        assertThrows(IllegalArgumentException.class,
                () -> FreezePolicy.builder().train("head", 1, 0.1).train("head").build().resolve(graph));
    }

    @Test
    void overlappingGlobsAreNotConflictsLastMatchStillWins() {
        FreezePlan plan = assertDoesNotThrow(() -> FreezePolicy.builder()
                .train("encoder/block2/**", 0.1)
                .freeze("encoder/**")
                .freeze("encoder/**") // an identical duplicate is harmless
                .build()
                .resolve(graph));
        assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/block2/conv1/weight").state());
        assertEquals(2, plan.entry("encoder/block2/conv1/weight").ruleIndex());
    }

    @Test
    void badSettingsNameTheFieldAndTheValidRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FreezeRule.train("head", 0));
        assertTrue(e.getMessage().startsWith("rule 'train head': lr_scale must be a finite number > 0, found 0.0"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FreezeRule.train("head", Double.NaN));
        assertTrue(e.getMessage().contains("lr_scale must be a finite number > 0, found NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FreezeRule.train("head", 1, -0.1));
        assertTrue(e.getMessage().startsWith("rule 'train head': weight_decay must be a finite number >= 0, found -0.1"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new FreezeRule("head", FreezeRule.Action.FREEZE, 1.0, 0.1));
        assertTrue(e.getMessage().contains("no effect on frozen parameters"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FreezeRule.train("head/[ab]"));
        assertTrue(e.getMessage().startsWith("rule 'train head/[ab]': path glob 'head/[ab]' contains '['"),
                e.getMessage());
    }

    @Test
    void oldConstructorsKeepWorking() {
        assertEquals(FreezeRule.train("head", 0.5), new FreezeRule("head", FreezeRule.Action.TRAIN, 0.5));
        FreezePolicy p = new FreezePolicy(List.of(FreezeRule.freeze("encoder")));
        assertEquals(1.0, p.layerDecay());
        assertFalse(p.trainBn());
        assertEquals(p, FreezePolicy.builder().freeze("encoder").build());
    }
}
