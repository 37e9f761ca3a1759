package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe export --onnx} of a run that trained prompt tuning: ONNX cannot hold the prompt, so the
 * command refuses with one line that names the module in config terms and says what to export
 * instead, and writes nothing; {@code --safetensors} of the same run works.
 */
class ExportPromptRunTest {

    @TempDir
    Path dir;

    @Test
    void onnxOfAPromptRunSaysToExportSafetensorsAndWritesNothing() throws Exception {
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            train.append("{\"text\": \"win money fast ").append(i).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"meeting at noon ").append(i).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train.toString());
        Files.writeString(dir.resolve("test.jsonl"), "{\"text\": \"win cheap\", \"label\": \"spam\"}\n");
        Path config = Files.writeString(dir.resolve("c.yaml"), "seed: 1\n" + TinyTextRun.dataAndModel(1) + """
                peft:
                  prompts:
                    - {name: soft, type: prompt, virtual_tokens: 2}
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 4}
                """);
        Path run = dir.resolve("run");
        Result t = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, t.code(), t.err());

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
}
