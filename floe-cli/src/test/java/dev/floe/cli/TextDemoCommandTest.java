package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TextDemoCommandTest {

    @Test
    void quickTextDemoWritesTheFourConfigurationsWithCostsAndLatency(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("text");
        int code = FloeMain.commandLine().execute("demo", "--task", "text", "--quick", "--no-progress", "--out", out.toString());
        assertEquals(0, code);
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        List<String> names = new ArrayList<>();
        for (JsonNode r : results) {
            names.add(r.get("name").asText());
            for (String field : List.of("accuracy", "trainable_params", "total_params", "optimizer_state_bytes",
                    "train_seconds", "peak_rss_mb", "latency_ms_per_example", "accuracy_per_corpus")) {
                assertTrue(r.has(field), r.get("name") + " lacks " + field);
            }
            double accuracy = r.get("accuracy").asDouble();
            assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
            assertEquals(8 * r.get("trainable_params").asLong(), r.get("optimizer_state_bytes").asLong());
            assertTrue(r.get("latency_ms_per_example").asDouble() > 0);
            // the same budget for every configuration
            assertEquals(results.get(0).get("train_examples_seen").asLong(), r.get("train_examples_seen").asLong());
            assertEquals(results.get(0).get("steps").asLong(), r.get("steps").asLong());
        }
        assertEquals(List.of("frozen_head", "lora_r8_qv", "adapters", "full_finetune"), names);
        long head = 384 * 2 + 2;
        assertEquals(head, results.get(0).get("trainable_params").asLong());
        // LoRA r=8 on query and value of 6 layers: 12 x (8x384 + 384x8), plus the head
        assertEquals(12L * 2 * 8 * 384 + head, results.get(1).get("trainable_params").asLong());
        // adapters of width 32 after 12 projections: 12 x (32x384 + 32 + 384x32 + 384), plus the head
        assertEquals(12L * (2 * 32 * 384 + 32 + 384) + head, results.get(2).get("trainable_params").asLong());
        assertEquals(results.get(3).get("total_params").asLong(), results.get(3).get("trainable_params").asLong());
        JsonNode lora = results.get(1);
        assertTrue(lora.get("latency_ms_per_example_merged").asDouble() > 0);
        assertTrue(lora.get("merge_max_abs_logit_diff").asDouble() < 1e-3, lora.toString());
        assertTrue(!results.get(0).has("latency_ms_per_example_merged"));
    }

    @Test
    void anUnknownTaskIsRefusedNamingTheChoices(@TempDir Path tmp) {
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("demo", "--task", "audio", "--quick", "--out", tmp.resolve("x").toString());
        assertEquals(2, code);
        assertTrue(err.toString().contains("images") && err.toString().contains("text"), err.toString());
    }
}
