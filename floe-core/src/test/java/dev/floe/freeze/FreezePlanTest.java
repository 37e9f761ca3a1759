package dev.floe.freeze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
import dev.floe.graph.TensorSpec;
import dev.floe.optim.OptimizerSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FreezePlanTest {

    private ModelGraph graph;

    @BeforeEach
    void build() {
        graph = ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name("encoder").widths(4, 8, 16).build())
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

    @Test
    void lastMatchingRuleWinsAndUnmatchedParametersTrain() {
        FreezePlan plan = FreezePolicy.builder()
                .freeze("encoder/**")
                .train("encoder/block2/**", 0.1)
                .build()
                .resolve(graph);
        assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/block1/conv1/weight").state());
        FreezePlan.Entry top = plan.entry("encoder/block2/conv2/weight");
        assertEquals(FreezePlan.State.TRAIN, top.state());
        assertEquals(0.1, top.lrScale());
        assertEquals(1, top.ruleIndex());
        assertEquals(FreezePlan.State.TRAIN, plan.entry("head/fc/weight").state());
        assertEquals(-1, plan.entry("head/fc/weight").ruleIndex());
        assertEquals(FreezePlan.State.BUFFER, plan.entry("encoder/block2/bn1/running_mean").state());
    }

    @Test
    void everyParameterGetsExactlyOneStateAndCountsAddUp() {
        FreezePlan plan = FreezePolicy.builder().freeze("encoder").build().resolve(graph);
        assertEquals(graph.parameters().size(), plan.entries().size());
        assertEquals(plan.totalCount(), plan.trainableCount() + plan.frozenCount() + plan.bufferCount());
        assertEquals(graph.component("head").parameterCount(), plan.trainableCount());
    }

    @Test
    void ruleMatchingNothingNamesTheRuleAndNearestPaths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FreezePolicy.builder().freeze("encoder/**").train("encoder/blok2/**").build().resolve(graph));
        assertTrue(e.getMessage().startsWith("rule #2 'train encoder/blok2/**' matches no parameter; nearest paths: [encoder/block2"),
                e.getMessage());
    }

    @Test
    void frozenModulesRunInInferenceModeAndTrainableOnesDoNot() {
        FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").train("encoder/block2/**").build().resolve(graph);
        assertFalse(plan.trainingContext().training("encoder/block1/bn1"));
        assertFalse(plan.trainingContext().training("encoder/stem/bn"));
        assertTrue(plan.trainingContext().training("encoder/block2/bn1"));
        assertTrue(plan.trainingContext().training("head"));
    }

    @Test
    void explainShowsEveryParameterAndTotals() {
        FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").build().resolve(graph);
        String table = plan.explain(OptimizerSpec.adamW(1e-3));
        assertTrue(table.contains("encoder/stem/conv/weight"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("head/fc/weight") && l.contains("train") && l.contains("384")), table);
        assertTrue(table.contains("adamw state 408 B"), table);
        String json = plan.toJson(OptimizerSpec.sgd(0.1, 0.9));
        assertTrue(json.contains("\"optimizer_bytes\" : 204"), json);
    }

    @Test
    void badGlobsFailWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FreezeRule.freeze("encoder/{a,b"));
        assertTrue(e.getMessage().contains("unclosed '{'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FreezeRule.Action.parse("thaw"));
        assertTrue(PathGlob.compile("encoder/**/{conv1,conv2}/*").matches("encoder/block1/conv2/weight"));
        assertFalse(PathGlob.compile("encoder/*/conv1").matches("encoder/block1/conv2/weight"));
    }
}
