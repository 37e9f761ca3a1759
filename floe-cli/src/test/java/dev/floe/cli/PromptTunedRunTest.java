package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny text run that trained prompt tuning (virtual tokens before every text): {@code floe export
 * --onnx} refuses it with one line that says what to export instead and writes nothing, and
 * {@code floe predict --explain} attributes to the text's own word pieces, not the virtual tokens.
 */
class PromptTunedRunTest {

    @TempDir
    static Path dir;

    static Path run;

    @BeforeAll
    static void train() throws Exception {
        TinyTextRun.writeSpamData(dir);
        Path config = Files.writeString(dir.resolve("c.yaml"), "seed: 1\n" + TinyTextRun.dataAndModel(1) + """
                peft:
                  prompts:
                    - {name: soft, type: prompt, virtual_tokens: 3}
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 4}
                """);
        run = dir.resolve("run");
        Result t = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, t.code(), t.err());
    }

    @Test
    void onnxOfAPromptRunSaysToExportSafetensorsAndWritesNothing() throws Exception {
        Path onnx = dir.resolve("m.onnx");
        Path weights = dir.resolve("m.safetensors");
        Result r = floe("export", run.toString(), "--onnx", onnx.toString(), "--safetensors", weights.toString());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("floe: "), line);
        assertTrue(line.contains("'soft'") && line.contains("peft.prompts"), line);
        assertTrue(line.contains("--safetensors"), line);
        assertFalse(line.contains("TransformerEncoder") || line.contains("deactivate"), line);
        assertFalse(Files.exists(onnx), "no ONNX file");
        assertFalse(Files.exists(weights), "nothing half-written");

        Result s = floe("export", run.toString(), "--safetensors", weights.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.size(weights) > 0);
    }

    @Test
    void explainAttributesToTheTextsOwnWordPieces() throws Exception {
        // [CLS] win money fast [SEP] and [CLS] meeting at noon [SEP]: 5 word pieces each
        Path in = Files.writeString(dir.resolve("new.jsonl"), "{\"text\": \"win money fast\"}\n{\"text\": \"meeting at noon\"}\n");
        Path out = dir.resolve("explained.jsonl");
        Result r = floe("predict", run.toString(), "--input", in.toString(), "--explain", "--top", "50", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        List<List<String>> pieces = List.of(List.of("[CLS]", "win", "money", "fast", "[SEP]"),
                List.of("[CLS]", "meeting", "at", "noon", "[SEP]"));
        for (int i = 0; i < 2; i++) {
            JsonNode explanation = Json.mapper().readTree(lines.get(i)).get("explanation");
            assertEquals(pieces.get(i).size(), explanation.size(), "one contribution per word piece: " + explanation);
            TreeSet<Integer> positions = new TreeSet<>();
            for (JsonNode e : explanation) {
                int at = e.get("position").asInt();
                positions.add(at);
                assertEquals(pieces.get(i).get(at), e.get("input").asText(), explanation.toString());
            }
            assertEquals(pieces.get(i).size(), positions.size(), explanation.toString());
        }
    }
}
