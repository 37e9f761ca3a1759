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
import dev.floe.peft.Composition;
import dev.floe.peft.CompositionSpec;
import dev.floe.run.Experiment;
import dev.floe.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft.compose}: stack, parallel and fusion from YAML, validation and training. */
class ComposeConfigTest {

    @TempDir
    Path base;

    private static final String FFN = "encoder/**/output/dense";

    private static ExperimentConfig config(String peft) {
        return parse(TextDataTest.TEXT.replace("TRAIN", "train.jsonl").replace("DATA", "  max_tokens: 12") + peft);
    }

    private static State state(Experiment e, String path) {
        FreezePlan.Entry entry = e.plan().entries().get(path);
        if (entry == null) {
            throw new AssertionError("no parameter " + path + " in " + e.plan().entries().keySet());
        }
        return entry.state();
    }

    @Test
    void aFusionOverFrozenAdaptersTrainsOnlyTheFusionAndTheHead() throws Exception {
        Files.writeString(base.resolve("train.jsonl"), TextDataTest.JSONL);
        ExperimentConfig c = config("""
                peft:
                  adapters:
                    - {name: t1, target: "%s", bottleneck: 2}
                    - {name: t2, target: "%s", bottleneck: 2}
                  compose:
                    - {name: fuse, type: fusion, members: [t1, t2]}
                  active: [fuse]
                """.formatted(FFN, FFN));
        try (Experiment e = Experiment.build(c, base)) {
            String fusionKey = "encoder/layer.0/output/dense/fusion/fuse/key";
            assertEquals(State.ADAPTER, state(e, fusionKey));
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/output/dense/adapter/t1/up/weight"));
            assertEquals(State.FROZEN, state(e, "encoder/layer.0/output/dense/weight"));
            assertEquals(CompositionSpec.Kind.FUSION, Composition.attached(e.graph()).get("fuse").kind());
            assertEquals(2 * 3 * 8 * 8 + 8 * 2 + 2, e.plan().trainableCount(), "fusion on attention/output/dense and output/dense, and the head");
            String summary = String.join("\n", e.peftSummary());
            assertTrue(summary.contains("fusion 'fuse' of [t1, t2] on 2 layers, 384 parameters, active"), summary);

            float[] member = e.graph().parameters().get("encoder/layer.0/output/dense/adapter/t1/down/weight").toFloatArray();
            float[] key = e.graph().parameters().get(fusionKey).toFloatArray();
            e.train(ExperimentData.load(c, base), TrainingListener.NONE);
            assertArrayEquals(member, e.graph().parameters().get("encoder/layer.0/output/dense/adapter/t1/down/weight")
                    .toFloatArray(), "a frozen member stays bit-identical");
            assertFalse(Arrays.equals(key, e.graph().parameters().get(fusionKey).toFloatArray()), "the fusion trained");
        }
    }

    @Test
    void composingModulesOnDifferentLayersIsRefusedAtTheComposeEntry() {
        ExperimentConfig c = config("""
                peft:
                  lora: [{name: qv, target: "encoder/**/attention/self/{query,value}", rank: 2}]
                  adapters: [{name: ffn, target: "%s", bottleneck: 2}]
                  compose: [{name: both, type: stack, members: [qv, ffn]}]
                """.formatted(FFN));
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());
        assertEquals("peft.compose[0]", e.where());
        assertMentions(e, "members 'qv' and 'ffn' sit on different layers", "give 'ffn' the target");
    }

    @Test
    void composeMistakesAreNamedByKey() {
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  adapters: [{name: a, target: "%s", bottleneck: 2}]
                  compose: [{name: c, type: stack, members: [a, b]}]
                """.formatted(FFN))), "peft.compose[0].members[1]", "'b'", "[a]");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  adapters: [{name: a, target: "%s", bottleneck: 2}]
                  compose: [{name: c, type: mix, members: [a, a]}]
                """.formatted(FFN))), "peft.compose[0]", "stack, parallel or fusion");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  adapters: [{name: a, target: "%s", bottleneck: 2}]
                  compose: [{name: c, type: stack, members: [a]}]
                """.formatted(FFN))), "peft.compose[0]", "compose at least two");
        assertMentions(assertThrows(ConfigException.class, () -> config("""
                peft:
                  lora:
                    - {name: x, target: "%s", rank: 2}
                    - {name: y, target: "%s", rank: 2}
                  compose: [{name: c, type: parallel, members: [x, y]}]
                  merge: true
                """.formatted(FFN, FFN))), "merge", "member of a compose entry");
    }
}
