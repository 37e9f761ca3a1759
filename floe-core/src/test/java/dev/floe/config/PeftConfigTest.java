package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePlan.State;
import dev.floe.nn.ForwardContext;
import dev.floe.peft.Lora;
import dev.floe.run.Experiment;
import dev.floe.text.TokenizedExamples;
import dev.floe.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code peft} section: modules injected by name, host freezing visible in the plan, merging at the end. */
class PeftConfigTest {

    @TempDir
    Path base;

    private static final String QV = "encoder/**/attention/self/{query,value}";

    /** The tiny text model of {@link TextDataTest} with PEFT (and POLICY) lines added. */
    private static ExperimentConfig config(String peft) {
        String yaml = TextDataTest.TEXT.replace("TRAIN", "train.jsonl").replace("DATA", "  max_tokens: 12")
                + peft;
        return parse(yaml);
    }

    private static State state(Experiment e, String path) {
        FreezePlan.Entry entry = e.plan().entries().get(path);
        if (entry == null) {
            throw new AssertionError("no parameter " + path + " in " + e.plan().entries().keySet());
        }
        return entry.state();
    }

    @Test
    void injectingFreezesTheRestOfTheHostUnlessThePolicyTrainsIt() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                policy:
                  - train: "encoder/embeddings/LayerNorm/**"
                """.formatted(QV));
        try (Experiment e = Experiment.build(c, base)) {
            assertEquals(State.LORA, state(e, "encoder/layer.0/attention/self/query/lora/qv/A"));
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/attention/self/query/weight"));
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/intermediate/dense/weight"));
            assertEquals(State.FROZEN, state(e, "encoder/embeddings/word_embeddings/weight"));
            assertEquals(State.TRAIN, state(e, "encoder/embeddings/LayerNorm/weight"));
            assertEquals(State.TRAIN, state(e, "head/fc/weight"));
            String summary = String.join("\n", e.peftSummary());
            assertTrue(summary.contains("freeze_host adds rule #1 'freeze encoder/**'"), summary);
            assertTrue(summary.contains("lora 'qv' (rank 2, alpha 2.0, dropout 0.0) on 2 layers"), summary);
            assertTrue(e.plan().entries().get("encoder/embeddings/LayerNorm/weight").rule().startsWith("#2 "),
                    e.plan().entries().get("encoder/embeddings/LayerNorm/weight").rule());
        }
    }

    @Test
    void withoutHostFreezingOnlyTheLayersHoldingLoraStayFrozen() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                  freeze_host: false
                """.formatted(QV));
        try (Experiment e = Experiment.build(c, base)) {
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/attention/self/value/weight"));
            assertEquals(State.TRAIN, state(e, "encoder/layer.0/intermediate/dense/weight"));
            assertEquals(List.of(), c.peftHostRules(e.graph()));
        }
    }

    @Test
    void onlyTheActiveModulesTrainAndAdaptersAreInjectedAfterLora() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                  adapters: [{name: ffn, target: "encoder/**/output/dense", bottleneck: 4, activation: gelu}]
                  active: [ffn]
                """.formatted(QV));
        try (Experiment e = Experiment.build(c, base)) {
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/attention/self/query/lora/qv/A"));
            assertEquals(State.ADAPTER, state(e, "encoder/layer.0/output/dense/adapter/ffn/down/weight"));
            assertFalse(e.graph().activeAdapters().contains("qv"));
            assertTrue(String.join("\n", e.peftSummary()).contains("lora 'qv'"));
        }
    }

    @Test
    void aTargetThatMatchesNoLinearNamesTheModuleAndTheNearestLayers() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "encoder/**/attention/self/{q,v}", rank: 2}]
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertEquals("peft.lora[0]", e.where());
        assertMentions(e, "matches no Linear layer", "encoder/layer.0/attention/self/");
    }

    @Test
    void aRankLargerThanTheLayerIsRefusedAtItsModule() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 9}]
                """.formatted(QV));
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertEquals("peft.lora[0]", e.where());
        assertMentions(e, "rank");
    }

    @Test
    void configMistakesInPeftAreNamedByKey() {
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                  active: [vq]
                """.formatted(QV))), "peft.active[0]", "'vq'", "[qv]");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                  adapters: [{name: qv, target: "encoder/**", bottleneck: 2}]
                """.formatted(QV))), "peft.adapters[0].name", "unique");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  adapters: [{name: a, target: "encoder/**", bottleneck: 2}]
                  merge: true
                """)), "merge is true", "adapters cannot be merged");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 0}]
                """.formatted(QV))), "rank must be a positive integer, found 0");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft: {}
                """)), "peft declares no module");
    }

    @Test
    void aPolicyRuleOnTheHostGlobSaysHowToTrainTheWholeHost() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                policy:
                  - train: "encoder/**"
                """.formatted(QV));
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertEquals("policy[0]", e.where());
        assertMentions(e, "peft.freeze_host: false");
    }

    @Test
    void policyRulesAreNumberedAfterTheHostRulesInErrors() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2}]
                policy:
                  - train: "encoder/nothing/**"
                """.formatted(QV));
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertMentions(e, "rule #2 'train encoder/nothing/**' matches no parameter");
    }

    @Test
    void mergeFoldsTheTrainedLoraIntoTheBaseWithoutChangingOutputs() throws Exception {
        Files.writeString(base.resolve("train.jsonl"), TextDataTest.JSONL);
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "%s", rank: 2, alpha: 4}]
                  merge: true
                """.formatted(QV));
        try (Experiment e = Experiment.build(c, base)) {
            ExperimentData data = ExperimentData.load(c, base);
            e.train(data, TrainingListener.NONE);

            assertTrue(Lora.isMerged(e.graph(), "qv"));
            float[] merged = logits(e, (TokenizedExamples) data.train());
            Lora.unmerge(e.graph(), "qv");
            float[] unmerged = logits(e, (TokenizedExamples) data.train());
            for (int i = 0; i < merged.length; i++) {
                assertEquals(unmerged[i], merged[i], 1e-4);
            }
            float[] loraB = e.graph().parameters().get("encoder/layer.0/attention/self/query/lora/qv/B").array()
                    .toFloatArray();
            assertTrue(maxAbs(loraB) > 0, "the LoRA factor B trained away from zero");
        }
    }

    private static float[] logits(Experiment e, TokenizedExamples data) {
        try (NDManager batch = e.graph().manager().newSubManager()) {
            Map<String, NDArray> in = data.inputs(batch, new int[] {0, 1, 2, 3});
            return e.graph().forward(in, ForwardContext.INFERENCE, List.of("logits")).get("logits").toFloatArray();
        }
    }

    private static float maxAbs(float[] values) {
        float max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
