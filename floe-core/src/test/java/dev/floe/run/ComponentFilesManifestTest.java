package dev.floe.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.io.Hashing;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run manifest records the component files a config names, so floe reproduce notices when one changes. */
class ComponentFilesManifestTest {

    @TempDir
    Path base;

    private void copyResource(String resource, Path to) throws Exception {
        try (InputStream in = getClass().getResourceAsStream(resource)) {
            Files.write(to, in.readAllBytes());
        }
    }

    private RunManifest start(String yaml) throws Exception {
        byte[] bytes = yaml.getBytes(StandardCharsets.UTF_8);
        ExperimentConfig c = ExperimentConfig.parse(bytes, "exp.yaml");
        try (Experiment e = Experiment.build(c, base)) {
            ExperimentData data = ExperimentData.load(c, base);
            return RunManifests.start("train", base.resolve("exp.yaml").toString(), base, bytes, c, e, data, null);
        }
    }

    private static Map<String, RunManifest.FileRecord> files(RunManifest m) {
        return m.recipe().files().stream().collect(Collectors.toMap(RunManifest.FileRecord::key, f -> f));
    }

    @Test
    void aTorchScriptFileIsRecordedAndAChangeStopsReproduce() throws Exception {
        copyResource("/dev/floe/torchscript/mlp_scripted.pt", base.resolve("mlp.pt"));
        StringBuilder csv = new StringBuilder("a,b,c,d,e,f,g,h,label\n");
        for (int i = 0; i < 4; i++) {
            csv.append("1,2,3,4,5,6,7,8,").append(i % 2).append('\n');
        }
        Files.writeString(base.resolve("train.csv"), csv.toString());
        RunManifest m = start("""
                data: {format: csv, train: {path: train.csv}, num_classes: 2}
                model:
                  inputs: {x: "[batch, 8]"}
                  components:
                    - {name: ts, type: torchscript, file: mlp.pt, inputs: {x: "[batch, 8]"}, outputs: {y: "[batch, 3]"}}
                    - {name: head, type: linear_head, features: 3, classes: 2}
                  wires: [{from: x, to: ts.x}, {from: ts.y, to: head.in}]
                  outputs: {logits: head.logits}
                optimizer: {type: sgd, lr: 0.1}
                training: {epochs: 1, batch_size: 2}
                """);
        RunManifest.FileRecord pt = files(m).get("model.components[0].file");
        assertEquals(base.resolve("mlp.pt").toAbsolutePath().normalize().toString(), pt.path());
        assertEquals(Hashing.sha256Hex(base.resolve("mlp.pt")), pt.sha256());

        Reproduction.of(m); // unchanged: accepted
        Files.write(base.resolve("mlp.pt"), new byte[] {0}, StandardOpenOption.APPEND);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reproduction.of(m));
        assertTrue(e.getMessage().contains("model.components[0].file"), e.getMessage());
    }

    @Test
    void aTokenizerFileIsRecordedAndTheBundledOneIsNot() throws Exception {
        try (InputStream in = dev.floe.text.MiniLm.class.getClassLoader()
                .getResourceAsStream(dev.floe.text.MiniLm.TOKENIZER_RESOURCE)) {
            Files.write(base.resolve("tok.json"), in.readAllBytes());
        }
        Files.writeString(base.resolve("train.jsonl"), """
                {"text": "cheap pills buy now", "label": "spam"}
                {"text": "meeting at noon tomorrow", "label": "ham"}
                """);
        String yaml = """
                data: {format: text, train: {path: train.jsonl}, max_tokens: 12}
                model:
                  inputs: {input_ids: "[batch, seq] int64", attention_mask: "[batch, seq] int64"}
                  components:
                    - {name: encoder, type: transformer, hidden: 8, layers: 1, heads: 2, max_positions: 32TOKENIZER}
                    - {name: head, type: linear_head, features: 8, classes: 2}
                  wires:
                    - {from: input_ids, to: encoder.input_ids}
                    - {from: attention_mask, to: encoder.attention_mask}
                    - {from: encoder.pooled, to: head.in}
                  outputs: {logits: head.logits}
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 2}
                """;
        RunManifest own = start(yaml.replace("TOKENIZER", ", tokenizer: tok.json"));
        assertEquals(Hashing.sha256Hex(base.resolve("tok.json")), files(own).get("model.components[0].tokenizer").sha256());
        RunManifest bundled = start(yaml.replace("TOKENIZER", ""));
        assertEquals(null, files(bundled).get("model.components[0].tokenizer"));
        assertNotEquals(own.recipeSha256(), bundled.recipeSha256());
    }
}
