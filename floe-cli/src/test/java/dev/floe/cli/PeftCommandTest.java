package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.peft.PeftFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe peft export} writes a run's LoRA factors under PEFT's names; {@code floe peft import}
 * reads them back onto the config's encoder, exactly; bad input is one line and exit 2.
 */
class PeftCommandTest {

    @TempDir
    Path dir;

    private Path trainRun(boolean merge) throws Exception {
        StringBuilder train = new StringBuilder();
        String[] spam = {"cheap pills buy now", "win money fast", "free prize claim today", "click here to win"};
        String[] ham = {"meeting at noon", "review the report", "lunch on friday", "notes from the call"};
        for (int i = 0; i < 4; i++) {
            train.append("{\"text\": \"").append(spam[i]).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"").append(ham[i]).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train.toString());
        Files.writeString(dir.resolve("test.jsonl"), "{\"text\": \"win cheap pills\", \"label\": \"spam\"}\n"
                + "{\"text\": \"the report at noon\", \"label\": \"ham\"}\n");
        Path config = config(merge);
        Path run = dir.resolve("run-" + merge);
        Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    private Path config(boolean merge) throws Exception {
        return Files.writeString(dir.resolve("lora-" + merge + ".yaml"),
                PredictTextLoraTest.CONFIG.replace("MERGE", Boolean.toString(merge)));
    }

    @Test
    void anExportedRunImportsBackOntoItsConfigWithTheSameFactors() throws Exception {
        for (boolean merge : new boolean[] {false, true}) {
            Path run = trainRun(merge);
            Path adapter = dir.resolve("adapter-" + merge);
            Result export = floe("peft", "export", run.toString(), "--out", adapter.toString(), "--base-model", "org/tiny");
            assertEquals(0, export.code(), export.err());
            assertTrue(export.out().contains("LoRA 'qv' (r 2, lora_alpha 4.0) on 2 layers of encoder, base org/tiny"),
                    export.out());
            JsonNode config = Json.mapper().readTree(adapter.resolve(PeftFormat.CONFIG_FILE).toFile());
            assertEquals("LORA", config.get("peft_type").asText());
            assertEquals("[\"query\",\"value\"]", config.get("target_modules").toString());
            SafetensorsFile exported = Safetensors.read(adapter.resolve(PeftFormat.WEIGHTS_FILE));
            SafetensorsFile weights = Safetensors.read(run.resolve(TrainCommand.WEIGHTS_FILE));
            float[] trainedA = weights.tensors().get("encoder/layer.0/attention/self/value/lora/qv/A").toFloats();
            assertArrayEquals(trainedA,
                    exported.tensors().get("base_model.model.encoder.layer.0.attention.self.value.lora_A.weight").toFloats());
            assertEquals(!merge, exported.metadata().containsKey(PeftFormat.BASE_HASH_KEY),
                    "a merged run's encoder is not the base, so no base hash is recorded");

            Result again = floe("peft", "export", run.toString(), "--out", adapter.toString(), "--base-model", "org/tiny");
            assertEquals(2, again.code());
            assertTrue(again.err().startsWith("floe: --out " + adapter + " already exists"), again.err());

            Path floeFile = dir.resolve("imported-" + merge + ".safetensors");
            Result imported = floe("peft", "import", adapter.toString(), "--config", config(false).toString(),
                    "--out", floeFile.toString(), "--base-model", "org/tiny", "--name", "hf");
            assertEquals(0, imported.code(), imported.err());
            assertTrue(imported.out().contains("LoRA 'hf' (r 2, alpha 4.0, scale 2.0, dropout 0.0) on 2 layers"),
                    imported.out());
            float[] loaded = Safetensors.read(floeFile).tensors().get("encoder/layer.0/attention/self/value/lora/hf/A")
                    .toFloats();
            assertArrayEquals(trainedA, loaded, "the factors come back bit for bit");
        }
    }

    @Test
    void importRefusesAnotherBaseModelAndATransformerWithoutOneInOneLine() throws Exception {
        trainRun(false);
        Path run = dir.resolve("run-false");
        Path adapter = dir.resolve("adapter");
        assertEquals(0, floe("peft", "export", run.toString(), "--out", adapter.toString(), "--base-model", "org/tiny")
                .code());
        Path out = dir.resolve("x.safetensors");
        Result other = floe("peft", "import", adapter.toString(), "--config", config(false).toString(), "--out",
                out.toString(), "--base-model", "bert-base-uncased");
        assertEquals(2, other.code());
        assertTrue(other.err().startsWith("floe: "), other.err());
        assertTrue(other.err().contains("base_model_name_or_path is 'org/tiny' but the model here is bert-base-uncased"),
                other.err());
        assertEquals(1, other.err().strip().lines().count());
        assertFalse(Files.exists(out), "nothing written");

        Result noBase = floe("peft", "import", adapter.toString(), "--config", config(false).toString(), "--out",
                out.toString());
        assertEquals(2, noBase.code());
        assertTrue(noBase.err().contains("give it with --base-model"), noBase.err());

        Result noExport = floe("peft", "export", run.toString(), "--out", dir.resolve("y").toString());
        assertEquals(2, noExport.code());
        assertTrue(noExport.err().contains("give it with --base-model"), noExport.err());
    }
}
