package dev.floe.freeze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import dev.floe.optim.OptimizerSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LoRA and adapter parameters made by hand (no peft package needed): their states and their bases'. */
class AdapterStatesTest {

    private static final OptimizerSpec ADAMW = OptimizerSpec.adamW(1e-3);
    private static final String A = "encoder/fc1/lora/x/A";
    private static final String B = "encoder/fc1/lora/x/B";
    private ModelGraph graph;

    @BeforeEach
    void build() {
        graph = ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(Mlp.builder().name("encoder").inputs(8).hidden(8, 8).outputs(4).build()) // fc1, fc2, out
                .add(LinearHead.of("head", 4, 3))
                .wire("x", "encoder.in")
                .wire("encoder.out", "head.in")
                .output("logits", "head.logits")
                .build();
        ParamScope lora = graph.extend("encoder").child("fc1").child("lora").child("x");
        lora.create("A", ParamKind.LORA_A, new Shape(2, 8), new Init.Zeros(), "x");
        lora.create("B", ParamKind.LORA_B, new Shape(8, 2), new Init.Zeros(), "x");
    }

    @AfterEach
    void close() {
        graph.close();
    }

    private void addAdapter(String name) {
        ParamScope down = graph.extend("encoder").child("fc2").child("adapter").child(name).child("down");
        down.create("weight", ParamKind.ADAPTER, new Shape(2, 8), new Init.Zeros(), name);
        down.create("bias", ParamKind.ADAPTER, new Shape(2), new Init.Zeros(), name);
    }

    @Test
    void activeLoraTrainsAndFreezesItsBaseLayerOnly() {
        graph.activeAdapters().add("x");
        FreezePlan plan = FreezePolicy.trainAll().resolve(graph);
        assertEquals(FreezePlan.State.LORA, plan.entry(A).state());
        assertEquals("lora", plan.entry(B).state().toString());
        FreezePlan.Entry base = plan.entry("encoder/fc1/weight");
        assertEquals(FreezePlan.State.FROZEN, base.state());
        assertEquals("(base under lora x)", base.rule());
        assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/fc1/bias").state());
        assertEquals(FreezePlan.State.TRAIN, plan.entry("encoder/fc2/weight").state());
        assertTrue(plan.trainable().stream().map(Param::path).toList().containsAll(java.util.List.of(A, B)));
        assertTrue(plan.groups(ADAMW).stream().flatMap(g -> g.params().stream()).anyMatch(p -> p.path().equals(A)));
        assertEquals(0.01, plan.entry(A).weightDecay(ADAMW), "LoRA matrices decay like weights");
        plan.apply();
        assertTrue(graph.parameters().get(A).trainable());
        assertFalse(graph.parameters().get("encoder/fc1/weight").trainable());
        assertTrue(plan.trainingContext().training("encoder/fc1/lora/x"));
        assertTrue(plan.explain(ADAMW).contains(String.format("of the trainable: lora 32 params%n")), plan.explain(ADAMW));
        assertTrue(plan.toJson(ADAMW).contains("\"state\" : \"lora\""));
    }

    @Test
    void aTrainRuleCannotUnfreezeTheBaseOfAnActiveLora() {
        graph.activeAdapters().add("x");
        FreezePlan plan = FreezePolicy.builder().train("encoder/**", 0.5).build().resolve(graph);
        FreezePlan.Entry base = plan.entry("encoder/fc1/weight");
        assertEquals(FreezePlan.State.FROZEN, base.state());
        assertEquals(0, base.ruleIndex());
        assertTrue(base.rule().startsWith("(base under lora x) over #1"), base.rule());
        assertEquals(0.5, plan.entry(A).lrScale(), "a matching train rule still scales the LoRA rate");
    }

    @Test
    void rulesDoNotFreezeAnActiveLoraButATrainRuleSetsItsRate() {
        graph.activeAdapters().add("x");
        FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").train("**/lora/**", 10.0).build().resolve(graph);
        assertEquals(FreezePlan.State.LORA, plan.entry(A).state());
        assertEquals(10.0, plan.entry(A).lrScale());
        FreezePlan frozenRule = FreezePolicy.builder().freeze("encoder/**").build().resolve(graph);
        assertEquals(FreezePlan.State.LORA, frozenRule.entry(A).state());
        assertTrue(frozenRule.entry(A).rule().startsWith("(lora x active) over #1 freeze"), frozenRule.entry(A).rule());
    }

    @Test
    void inactiveLoraIsFrozenAndItsBaseFollowsTheRules() {
        FreezePlan plan = FreezePolicy.trainAll().resolve(graph);
        assertEquals(FreezePlan.State.FROZEN, plan.entry(A).state());
        assertEquals("(lora x inactive)", plan.entry(A).rule());
        assertEquals(FreezePlan.State.TRAIN, plan.entry("encoder/fc1/weight").state());
        assertFalse(plan.trainable().stream().anyMatch(p -> p.path().equals(A)));
    }

    @Test
    void activeAdapterFreezesItsComponentsBaseUnlessARuleTrainsIt() {
        addAdapter("y");
        graph.activeAdapters().add("y");
        FreezePlan plan = FreezePolicy.builder().train("encoder/out").build().resolve(graph);
        assertEquals(FreezePlan.State.ADAPTER, plan.entry("encoder/fc2/adapter/y/down/weight").state());
        assertEquals("adapter", plan.entry("encoder/fc2/adapter/y/down/bias").state().toString());
        FreezePlan.Entry fc2 = plan.entry("encoder/fc2/weight");
        assertEquals(FreezePlan.State.FROZEN, fc2.state());
        assertEquals("(base under adapter y)", fc2.rule());
        assertEquals(FreezePlan.State.TRAIN, plan.entry("encoder/out/weight").state(), "explicitly trained");
        assertEquals(FreezePlan.State.TRAIN, plan.entry("head/fc/weight").state(), "another component");
        assertEquals(FreezePlan.State.FROZEN, plan.entry(A).state(), "lora x is not active");
        assertEquals(0.01, plan.entry("encoder/fc2/adapter/y/down/weight").weightDecay(ADAMW));
        assertEquals(0.0, plan.entry("encoder/fc2/adapter/y/down/bias").weightDecay(ADAMW), "1-D adapter tensors do not decay");
        assertEquals(plan.totalCount(), plan.trainableCount() + plan.frozenCount() + plan.bufferCount());
        assertEquals(18, plan.count(FreezePlan.State.ADAPTER));
    }

    @Test
    void layerDecayReachesLoraThroughTheLayerItIsAttachedTo() {
        graph.activeAdapters().add("x");
        FreezePlan plan = FreezePolicy.builder().layerDecay(0.5).build().resolve(graph);
        // encoder layer order [fc1, fc2, out]: fc1 is two below the top
        assertEquals(0.25, plan.entry(A).lrScale());
    }
}
