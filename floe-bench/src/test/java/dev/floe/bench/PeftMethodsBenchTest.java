package dev.floe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** B12 times every PEFT method against full fine-tuning and reports their Adam state. Timings are not judged. */
class PeftMethodsBenchTest {

    /** The two-class linear head over the tiny encoder's output: weights and biases. */
    private static final long HEAD = 2 * BenchSettings.tiny().transformerHidden() + 2;

    @Test
    void b12ReportsEveryMethodWithExactAdamStateAndNoTarget(@TempDir Path out) throws Exception {
        BenchHarness.Report report = BenchHarness.run(BenchSettings.tiny(), Set.of("B12"), out, line -> {});
        List<String> expected = new ArrayList<>();
        for (String m : List.of("adapter", "dora", "ia3", "lora", "prefix", "prompt")) { // sorted by id
            expected.add("B12-" + m);
        }
        assertEquals(expected, report.benches().stream().map(BenchResult::id).toList());
        JsonNode benches = new ObjectMapper().readTree(out.resolve(BenchHarness.RESULTS_FILE).toFile()).get("benches");
        assertEquals(expected.size(), benches.size());
        long fullTrainable = -1;
        java.util.Map<String, Long> trainable = new java.util.HashMap<>();
        for (JsonNode b : benches) {
            String id = b.get("id").asText();
            assertTrue(b.get("seconds").asDouble() > 0 && b.get("peer_seconds").asDouble() > 0, id);
            assertTrue(b.get("target").isNull() && b.get("limit_seconds").isNull(), id + " has no target");
            JsonNode mem = b.get("memory");
            long t = mem.get("trainable_params").asLong();
            // AdamW holds two fp32 moments per trainable scalar, and nothing for frozen ones
            assertEquals(8 * t, mem.get("optimizer_bytes").asLong(), id);
            assertTrue(b.get("met").asBoolean(), id + ": " + b.get("notes").asText());
            assertTrue(t > 0 && t < mem.get("parameter_bytes").asLong() / 4, id + " trains a part of the model: " + t);
            trainable.put(id.substring("B12-".length()), t);
            String notes = b.get("notes").asText();
            long full = Long.parseLong(notes.replaceAll("(?s).*x full fine-tuning's (\\d+);.*", "$1"));
            fullTrainable = fullTrainable < 0 ? full : fullTrainable;
            assertEquals(fullTrainable, full, id + " compares with the same full fine-tuning: " + notes);
            // the method's model is the full model plus the method's parameters, which train with the head
            assertEquals(t - HEAD, mem.get("parameter_bytes").asLong() / 4 - fullTrainable, id + ": " + notes);
        }
        // DoRA is LoRA plus one magnitude per output unit of q and v in every layer
        long hidden = BenchSettings.tiny().transformerHidden();
        long layers = BenchSettings.tiny().transformerLayers();
        assertEquals(trainable.get("lora") + 2 * hidden * layers, trainable.get("dora"));
        // prompt tuning trains N x hidden embeddings, prefix tuning a key and a value prefix per layer
        assertEquals(HEAD + PeftMethodsBench.VIRTUAL_TOKENS * hidden, trainable.get("prompt"));
        assertEquals(HEAD + 2 * layers * PeftMethodsBench.VIRTUAL_TOKENS * hidden, trainable.get("prefix"));
    }
}
