package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
            String name = r.get("name").asText();
            names.add(name);
            for (String field : List.of("accuracy", "trainable_params", "total_params", "optimizer_state_bytes",
                    "train_seconds", "peak_rss_mb", "latency_ms_per_example", "accuracy_per_corpus")) {
                assertTrue(r.has(field), name + " lacks " + field);
            }
            // the overall accuracy counts every test text once: it is the per-corpus accuracies weighted by
            // the corpus sizes, and each of those is a whole number of texts
            List<String> corpora = new ArrayList<>();
            r.get("test_texts").fieldNames().forEachRemaining(corpora::add);
            assertEquals(List.of("hard-ham-1", "easy-ham-2", "spam-2"), corpora, name);
            long texts = 0;
            double correct = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = r.get("test_texts").fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                int n = e.getValue().asInt();
                double right = r.get("accuracy_per_corpus").get(e.getKey()).asDouble() * n;
                assertEquals(Math.rint(right), right, 1e-9, name + " " + e.getKey() + ": correct texts " + right);
                texts += n;
                correct += right;
            }
            assertEquals(correct / texts, r.get("accuracy").asDouble(), 1e-12, name);
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
        // one base model everywhere: LoRA and adapters add exactly their own parameters, all of which train
        long base = results.get(0).get("total_params").asLong();
        assertEquals(base, results.get(3).get("total_params").asLong());
        for (int i = 1; i <= 2; i++) {
            JsonNode r = results.get(i);
            assertEquals(r.get("trainable_params").asLong() - head, r.get("total_params").asLong() - base,
                    r.get("name").asText());
        }
        JsonNode lora = results.get(1);
        assertTrue(lora.get("latency_ms_per_example_merged").asDouble() > 0);
        // merged LoRA gives the unmerged logits up to float rounding (3e-7 measured)
        assertTrue(lora.get("merge_max_abs_logit_diff").asDouble() < 1e-5, lora.toString());
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
