package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePlan.State;
import dev.floe.nn.ForwardContext;
import dev.floe.peft.Dora;
import dev.floe.peft.Ia3;
import dev.floe.run.Experiment;
import dev.floe.text.TokenizedExamples;
import dev.floe.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DoRA ({@code peft.lora[].type: dora}) and IA3 ({@code peft.ia3}) from YAML: plan, training, merging, mistakes. */
class PeftMethodsConfigTest {

    @TempDir
    Path base;

    /** DoRA on the query and attention-output projections, IA3 on key, value and the FFN's second matrix. */
    private static final String BOTH = """
            peft:
              lora: [{name: dq, type: dora, target: "encoder/*/attention/{self/query,output/dense}", rank: 2, alpha: 4}]
              ia3: [{name: kv, target: "encoder/*/{attention/self/{key,value},output/dense}", feedforward: "encoder/*/output/dense"}]
              merge: true
            """;

    private static ExperimentConfig config(String peft) {
        return parse(TextDataTest.TEXT.replace("TRAIN", "train.jsonl").replace("DATA", "  max_tokens: 12") + peft);
    }

    private static long trainable(FreezePlan plan, String module) {
        return plan.entries().values().stream().filter(FreezePlan.Entry::trains)
                .filter(e -> module.equals(e.param().adapter())).mapToLong(e -> e.param().size()).sum();
    }

    @Test
    void doraAndIa3TrainFromYamlShowTheirCountsAndMergeWithoutChangingOutputs() throws Exception {
        Files.writeString(base.resolve("train.jsonl"), TextDataTest.JSONL);
        ExperimentConfig c = config(BOTH);
        try (Experiment e = Experiment.build(c, base)) {
            FreezePlan plan = e.plan();
            assertEquals(State.LORA, plan.entries().get("encoder/layer.0/attention/self/query/lora/dq/magnitude").state());
            assertEquals(State.ADAPTER, plan.entries().get("encoder/layer.0/output/dense/ia3/kv/scale").state());
            assertEquals(State.FROZEN, plan.entries().get("encoder/layer.0/attention/self/query/weight").state());
            assertEquals(State.FROZEN, plan.entries().get("encoder/layer.0/output/dense/weight").state());
            // hidden 8, intermediate 32: DoRA 2 · (2·8 + 8·2 + 8); IA3 key 8 + value 8 + FFN input 32
            assertEquals(80, trainable(plan, "dq"));
            assertEquals(48, trainable(plan, "kv"));
            String summary = String.join("\n", e.peftSummary());
            assertTrue(summary.contains("peft: dora 'dq' (rank 2, alpha 4.0, dropout 0.0) on 2 layers matching"
                    + " encoder/*/attention/{self/query,output/dense}, 80 parameters"), summary);
            assertTrue(summary.contains("peft: ia3 'kv' on 3 layers matching"
                    + " encoder/*/{attention/self/{key,value},output/dense} (1 scaling their input, feedforward"
                    + " encoder/*/output/dense), 48 parameters, active"), summary);
            assertTrue(summary.contains("the active LoRA, DoRA and IA3 modules are merged"), summary);

            ExperimentData data = ExperimentData.load(c, base);
            float[] before = logits(e, (TokenizedExamples) data.train());
            e.train(data, TrainingListener.NONE);
            assertTrue(Dora.isMerged(e.graph(), "dq"));
            assertTrue(Ia3.isMerged(e.graph(), "kv"));
            float[] merged = logits(e, (TokenizedExamples) data.train());
            Ia3.unmerge(e.graph(), "kv");
            Dora.unmerge(e.graph(), "dq");
            float[] unmerged = logits(e, (TokenizedExamples) data.train());
            double worst = 0;
            double moved = 0;
            for (int i = 0; i < merged.length; i++) {
                worst = Math.max(worst, Math.abs(merged[i] - unmerged[i]));
                moved = Math.max(moved, Math.abs(unmerged[i] - before[i]));
            }
            System.out.println("config DoRA+IA3 merged vs unmerged logits max abs diff: " + worst);
            assertTrue(worst < 1e-5, "merged logits differ by " + worst);
            assertTrue(moved > 1e-4, "training changed the outputs");
            float[] scale = e.graph().parameters().get("encoder/layer.0/attention/self/key/ia3/kv/scale").toFloatArray();
            assertTrue(Math.abs(scale[0] - 1f) > 0, "the IA3 vector trained away from 1");
        }
    }

    private static float[] logits(Experiment e, TokenizedExamples data) {
        try (NDManager batch = e.graph().manager().newSubManager()) {
            Map<String, NDArray> in = data.inputs(batch, new int[] {0, 1, 2, 3});
            return e.graph().forward(in, ForwardContext.INFERENCE, List.of("logits")).get("logits").toFloatArray();
        }
    }

    @Test
    void outOfRangeValuesAreNamedByKeyWithTheFix() {
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora: [{name: d, type: dora, target: "encoder/**", rank: 0}]
                """)), "peft.lora[0].rank: dora 'd': rank must be a positive integer, found 0", "typically 4 to 16");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora: [{name: d, type: dora, target: "encoder/**", rank: 2, alpha: -1}]
                """)), "peft.lora[0].alpha: dora 'd': alpha must be a finite number > 0, found -1.0");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora: [{name: d, type: dorra, target: "encoder/**", rank: 2}]
                """)), "peft.lora[0]: type must be lora or dora, found 'dorra'");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  ia3: [{name: kv, target: "encoder/**"}]
                  lora: [{name: kv, target: "encoder/**", rank: 2}]
                """)), "peft.ia3[0].name", "unique");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  ia3: [{name: kv, target: "encoder/**", feedforward: "encoder/{x"}]
                """)), "peft.ia3[0].feedforward");
    }

    @Test
    void graphMistakesAreNamedAtTheirModuleOrAtMerge() {
        ConfigException ff = assertThrows(ConfigException.class, () -> Experiment.build(config("""
                peft:
                  ia3: [{name: kv, target: "encoder/*/attention/self/{key,value}", feedforward: "encoder/*/output/dense"}]
                """), base).close());
        assertEquals("peft.ia3[0]", ff.where());
        assertMentions(ff, "feedforward 'encoder/*/output/dense' matches none of the layers");

        ConfigException overlap = assertThrows(ConfigException.class, () -> Experiment.build(config("""
                peft:
                  lora: [{name: q, target: "encoder/*/attention/self/{query,key}", rank: 2}]
                  ia3: [{name: kv, target: "encoder/*/attention/self/{key,value}"}]
                  merge: true
                """), base).close());
        assertEquals("peft.merge", overlap.where());
        assertMentions(overlap, "ia3 'kv'", "lora 'q' is active on the same layers [encoder/layer.0/attention/self/key]",
                "set merge: false");
    }

    @Test
    void mergeWithAPromptBesideTheMergedModulesBuilds() throws Exception {
        // a prompt cannot merge; it must neither block the LoRA merge nor break the merge check
        try (Experiment e = Experiment.build(config("""
                peft:
                  lora: [{name: q, target: "encoder/*/attention/self/query", rank: 2}]
                  prompts: [{name: soft, type: prompt, virtual_tokens: 2}]
                  merge: true
                """), base)) {
            assertEquals(List.of("q", "soft"), e.config().peft().active());
        }
    }
}
