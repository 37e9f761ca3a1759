package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Out-of-range hyper-parameters and compositions whose members sit on different layers, in a
 * config's {@code peft} section: {@code floe plan} exits 2 with one line naming the YAML key, the
 * module and the fix.
 */
class PeftBadInputTest {

    static final String CONFIG = "seed: 4\n" + TinyTextRun.dataAndModel(1) + """
            peft:
              lora:
                - {name: qv, target: "encoder/**/attention/self/{query,value}", rank: 2, alpha: 4, dropout: 0.1}
              adapters:
                - {name: ffn, target: "encoder/**/output/dense", bottleneck: 4}
              prompts:
                - {name: soft, type: prompt, virtual_tokens: 2}
            policy:
              - {train: "head/**"}
            optimizer: {type: adamw, lr: 0.05}
            training: {epochs: 1, batch_size: 4}
            """;

    @TempDir
    Path dir;

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("rank: 2", "rank: 0",
                        new String[] {"peft.lora[0].rank", "lora 'qv'", "rank must be a positive integer, found 0",
                                "typically 4 to 16"}),
                Arguments.of("rank: 2, alpha: 4", "rank: 0, alpha: 4, type: dora",
                        new String[] {"peft.lora[0].rank", "dora 'qv'", "found 0"}),
                Arguments.of("alpha: 4", "alpha: -1",
                        new String[] {"peft.lora[0].alpha", "lora 'qv'", "alpha must be a finite number > 0, found -1.0",
                                "alpha = rank gives scale 1"}),
                Arguments.of("dropout: 0.1", "dropout: 1.5",
                        new String[] {"peft.lora[0].dropout", "lora 'qv'", "found 1.5", "0 turns it off"}),
                Arguments.of("bottleneck: 4", "bottleneck: 0",
                        new String[] {"peft.adapters[0].bottleneck", "adapter 'ffn'", "found 0", "e.g. 16 to 64"}),
                Arguments.of("virtual_tokens: 2", "virtual_tokens: 0",
                        new String[] {"peft.prompts[0].virtual_tokens", "prompt 'soft'", "found 0"}),
                Arguments.of("virtual_tokens: 2", "virtual_tokens: 9",
                        new String[] {"peft.prompts[0].virtual_tokens", "prompt 'soft'", "9 virtual tokens plus"
                                + " data.max_tokens 12 need 21 positions but encoder encoder has 16",
                                "lower virtual_tokens to at most 4 or set data.max_tokens to at most 7"}),
                Arguments.of("policy:", "  compose:\n    - {name: mix, type: stack, members: [qv, ffn]}\npolicy:",
                        new String[] {"peft.compose[0]", "stack 'mix'", "members 'qv' and 'ffn' sit on different layers",
                                "give 'ffn' the target 'encoder/**/attention/self/{query,value}'"}));
    }

    @org.junit.jupiter.api.Test
    void aPeftFolderWithAnUnknownKeyIsRefusedByImportInOneLine() throws Exception {
        Files.writeString(dir.resolve("train.jsonl"), "{\"text\": \"win money\", \"label\": \"spam\"}\n");
        Files.writeString(dir.resolve("test.jsonl"), "{\"text\": \"at noon\", \"label\": \"ham\"}\n");
        Path config = Files.writeString(dir.resolve("good.yaml"), CONFIG);
        Path folder = dir.resolve("adapter");
        try (dev.floe.run.Experiment e = PlanCommand.build(dev.floe.config.ExperimentConfig.load(config), config)) {
            dev.floe.peft.PeftFormat.write(e.graph(), "qv", folder, "org/tiny");
        }
        Path weights = folder.resolve(dev.floe.peft.PeftFormat.WEIGHTS_FILE);
        var f = dev.floe.io.Safetensors.read(weights);
        var tensors = new java.util.LinkedHashMap<>(f.tensors());
        tensors.put("base_model.model.classifier.weight", dev.floe.io.TensorData.ofFloats(new long[] {2, 8}, new float[16]));
        dev.floe.io.Safetensors.write(weights, tensors, f.metadata());
        Path out = dir.resolve("x.safetensors");
        Result r = floe("peft", "import", folder.toString(), "--config", config.toString(), "--out", out.toString(),
                "--base-model", "org/tiny");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("floe: ") && r.err().contains(weights.toString())
                && r.err().contains("key base_model.model.classifier.weight is not a LoRA factor")
                && r.err().contains("save the adapter without modules_to_save"), r.err());
        assertTrue(!Files.exists(out), "nothing written");
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("mistakes")
    void floePlanRefusesInOneLineNamingTheKeyTheModuleAndTheFix(String from, String to, String[] fragments)
            throws Exception {
        Files.writeString(dir.resolve("train.jsonl"), "{\"text\": \"win money\", \"label\": \"spam\"}\n");
        Files.writeString(dir.resolve("test.jsonl"), "{\"text\": \"at noon\", \"label\": \"ham\"}\n");
        Path good = Files.writeString(dir.resolve("good.yaml"), CONFIG);
        assertEquals(0, floe("plan", good.toString()).code(), "the unchanged config plans");
        assertTrue(CONFIG.contains(from), "test bug: " + from);
        Path bad = Files.writeString(dir.resolve("bad.yaml"), CONFIG.replaceFirst(java.util.regex.Pattern.quote(from),
                java.util.regex.Matcher.quoteReplacement(to)));
        Result r = floe("plan", bad.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("floe: " + bad), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "missing '" + f + "' in: " + r.err());
        }
    }
}
