package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoCommandTest {

    @Test
    void quickDemoWritesResultsForTheFourConfigurations(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo");
        int code = FloeMain.commandLine().execute("demo", "--quick", "--no-progress", "--out", out.toString());
        assertEquals(0, code);
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertTrue(results.isArray());
        List<String> names = new ArrayList<>();
        for (JsonNode r : results) {
            names.add(r.get("name").asText());
            for (String field : List.of("accuracy", "trainable_params", "total_params", "optimizer_state_bytes",
                    "train_seconds", "peak_rss_mb")) {
                assertTrue(r.has(field), r.get("name") + " lacks " + field);
            }
            double accuracy = r.get("accuracy").asDouble();
            assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
            // AdamW keeps two fp32 moments per trainable parameter
            assertEquals(8 * r.get("trainable_params").asLong(), r.get("optimizer_state_bytes").asLong());
            assertTrue(r.get("trainable_params").asLong() <= r.get("total_params").asLong());
        }
        assertEquals(List.of("scratch", "frozen_encoder", "full_finetune", "top_block"), names);
        JsonNode frozen = results.get(1);
        JsonNode full = results.get(2);
        assertTrue(frozen.get("trainable_params").asLong() < full.get("trainable_params").asLong());
    }

    @Test
    void anExistingRunIsNotOverwrittenWithoutForce(@TempDir Path tmp) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(out.resolve("results.json"), "keep");
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("demo", "--quick", "--no-progress", "--out", out.toString());
        assertEquals(2, code);
        assertTrue(err.toString().contains("already holds a run") && err.toString().contains("--force"), err.toString());
        assertEquals("keep", Files.readString(out.resolve("results.json")));
    }
}
