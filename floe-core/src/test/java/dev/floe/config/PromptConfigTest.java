package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePlan.State;
import dev.floe.run.Experiment;
import dev.floe.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft.prompts}: prompt and prefix tuning from YAML, their plan lines, limits and training. */
class PromptConfigTest {

    @TempDir
    Path base;

    /** The tiny text model of {@link TextDataTest} (8 wide, 1 layer, 32 positions) with PEFT lines added. */
    private static ExperimentConfig config(int maxTokens, String peft) {
        return parse(TextDataTest.TEXT.replace("TRAIN", "train.jsonl").replace("DATA", "  max_tokens: " + maxTokens)
                + peft);
    }

    private static State state(Experiment e, String path) {
        FreezePlan.Entry entry = e.plan().entries().get(path);
        if (entry == null) {
            throw new AssertionError("no parameter " + path + " in " + e.plan().entries().keySet());
        }
        return entry.state();
    }

    @Test
    void promptAndPrefixTrainFromYamlWhileTheEncoderStaysBitIdentical() throws Exception {
        Files.writeString(base.resolve("train.jsonl"), TextDataTest.JSONL);
        ExperimentConfig c = config(12, """
                peft:
                  prompts:
                    - {name: soft, type: prompt, virtual_tokens: 4}
                    - {name: pfx, type: prefix, virtual_tokens: 3, target: encoder}
                """);
        try (Experiment e = Experiment.build(c, base)) {
            assertEquals(State.ADAPTER, state(e, "encoder/embeddings/prompt/soft/tokens"));
            assertEquals(State.ADAPTER, state(e, "encoder/layer.0/attention/self/prefix/pfx/key"));
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/attention/self/query/weight"));
            assertEquals(State.TRAIN, state(e, "head/fc/weight"));
            long head = 8 * 2 + 2;
            assertEquals(4 * 8 + 2 * 3 * 8 + head, e.plan().trainableCount());
            String summary = String.join("\n", e.peftSummary());
            assertTrue(summary.contains("prompt 'soft' (4 virtual tokens, 32 parameters) at encoder/embeddings"), summary);
            assertTrue(summary.contains("prefix 'pfx' (3 key/value positions per layer, 48 parameters)"), summary);

            Map<String, float[]> before = new HashMap<>();
            e.graph().parameters().forEach((k, p) -> before.put(k, p.toFloatArray()));
            e.train(ExperimentData.load(c, base), TrainingListener.NONE);
            for (String path : before.keySet()) {
                float[] now = e.graph().parameters().get(path).toFloatArray();
                if (path.startsWith("encoder/") && !path.contains("/prompt/") && !path.contains("/prefix/")) {
                    assertArrayEquals(before.get(path), now, path + " is frozen");
                }
            }
            assertFalse(java.util.Arrays.equals(before.get("encoder/embeddings/prompt/soft/tokens"),
                    e.graph().parameters().get("encoder/embeddings/prompt/soft/tokens").toFloatArray()), "the prompt trained");
            assertFalse(java.util.Arrays.equals(before.get("encoder/layer.0/attention/self/prefix/pfx/value"),
                    e.graph().parameters().get("encoder/layer.0/attention/self/prefix/pfx/value").toFloatArray()),
                    "the prefix trained");
        }
    }

    @Test
    void virtualTokensThatDoNotFitBesideMaxTokensAreRefusedAtTheirKey() {
        ExperimentConfig c = config(30, """
                peft:
                  prompts: [{name: soft, type: prompt, virtual_tokens: 4}]
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());
        assertEquals("peft.prompts[0].virtual_tokens", e.where());
        assertMentions(e, "4 virtual tokens plus data.max_tokens 30 need 34 positions but encoder encoder has 32",
                "at most 2", "data.max_tokens to at most 28");
    }

    @Test
    void promptMistakesAreNamedByKey() {
        assertMentions(assertThrows(ConfigException.class, () -> config(12, """
                peft:
                  prompts: [{name: soft, type: soft, virtual_tokens: 4}]
                """)), "peft.prompts[0].type", "prompt", "prefix");
        assertMentions(assertThrows(ConfigException.class, () -> config(12, """
                peft:
                  prompts: [{name: soft, type: prefix, virtual_tokens: 0}]
                """)), "peft.prompts[0].virtual_tokens: prefix 'soft'", "virtual_tokens must be a positive integer, found 0");
        assertMentions(assertThrows(ConfigException.class, () -> config(12, """
                peft:
                  prompts: [{name: soft, type: prefix}]
                """)), "virtual_tokens");
        ExperimentConfig noEncoder = config(12, """
                peft:
                  prompts: [{name: soft, type: prefix, virtual_tokens: 2, target: head}]
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(noEncoder, base).close());
        assertEquals("peft.prompts[0]", e.where());
        assertMentions(e, "matches no transformer encoder", "[encoder]");
    }

    @org.junit.jupiter.api.Test
    void theFixForPromptsThatDoNotFitIsOneThatCanBeApplied() {
        org.junit.jupiter.api.Assertions.assertEquals("lower virtual_tokens to at most 4 or set data.max_tokens to at most 7",
                GraphChecks.fitFix(16, 12, 9));
        // the default max_tokens fills every position: lowering virtual_tokens cannot help
        org.junit.jupiter.api.Assertions.assertEquals("set data.max_tokens to at most 30 (data.max_tokens 34 leaves no"
                + " position for virtual tokens)", GraphChecks.fitFix(34, 34, 4));
        org.junit.jupiter.api.Assertions.assertEquals("lower virtual_tokens below 16 and set data.max_tokens to fit the rest",
                GraphChecks.fitFix(16, 12, 20));
    }
}
