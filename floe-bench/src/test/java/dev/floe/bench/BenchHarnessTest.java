package dev.floe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness runs every bench end to end and writes a well-formed results file. Timings are not judged. */
class BenchHarnessTest {

    @Test
    void tinyRunWritesEveryBenchWithNumericTimes(@TempDir Path out) throws Exception {
        List<String> log = new ArrayList<>();
        BenchHarness.Report report = BenchHarness.run(BenchSettings.tiny(), out, log::add);
        JsonNode root = new ObjectMapper().readTree(out.resolve(BenchHarness.RESULTS_FILE).toFile());
        assertEquals(BenchHarness.FORMAT_VERSION, root.get("format_version").asInt());
        List<String> ids = new ArrayList<>();
        for (JsonNode b : root.get("benches")) {
            String id = b.get("id").asText();
            ids.add(id);
            assertTrue(b.get("seconds").isNumber() && b.get("seconds").asDouble() > 0, id + " seconds " + b.get("seconds"));
            for (String field : List.of("limit_seconds", "ratio_to_limit", "peer", "ratio_to_peer", "target", "met",
                    "notes", "memory")) {
                assertTrue(b.has(field), id + " lacks " + field);
            }
            assertTrue(b.get("met").isBoolean(), id + " met " + b.get("met"));
            JsonNode mem = b.get("memory");
            assertTrue(mem.get("parameter_bytes").asLong() > 0, id + " parameter_bytes");
            assertTrue(mem.get("gradient_bytes").asLong() <= mem.get("parameter_bytes").asLong(), id + " gradient_bytes");
            // AdamW holds two fp32 moments per trainable scalar
            assertEquals(8 * mem.get("trainable_params").asLong(), mem.get("optimizer_bytes").asLong(), id);
        }
        assertEquals(List.of("B1", "B2", "B3", "B4", "B5", "B6", "B7.1t", "B7.2t", "B8", "B8-lora", "B9", "B10", "B11", "B12-adapter",
                "B12-dora", "B12-ia3", "B12-lora", "B12-prefix", "B12-prompt"), ids);
        // B1 and B5 run with the FeatureCache, and the backbone runs once per cache
        JsonNode b1 = root.get("benches").get(ids.indexOf("B1"));
        JsonNode b5 = root.get("benches").get(ids.indexOf("B5"));
        assertTrue(b1.get("notes").asText().contains("FeatureCache") && b1.get("notes").asText().contains("1 miss"),
                b1.get("notes").asText());
        assertTrue(b5.get("notes").asText().contains("FeatureCache") && b5.get("notes").asText().contains("every trial 1 miss"),
                b5.get("notes").asText());
        assertEquals(ids.size(), report.benches().size());
        // the training benches split their steps into phases that add up to the steps' wall time
        for (String id : List.of("B1", "B2", "B3", "B4", "B5", "B6", "B7.1t", "B7.2t", "B10")) {
            JsonNode b = root.get("benches").get(ids.indexOf(id));
            JsonNode floe = b.get("phases").get(0);
            assertTrue(floe.get("arm").asText().startsWith(id.equals("B3") ? "lora" : "floe"), b.get("id") + " " + floe);
            assertTrue(floe.get("steps").asLong() > 0 && floe.get("native_arrays").asLong() > 0, b.get("id") + " " + floe);
            double sum = 0;
            for (String phase : List.of("data", "forward", "backward", "optimizer", "metrics", "other")) {
                sum += floe.get(phase + "_seconds").asDouble();
            }
            assertEquals(floe.get("total_seconds").asDouble(), sum, 1e-9, b.get("id") + " " + floe);
        }
        // B8 prices the per-operation overhead of a call with the same graph at toy sizes
        JsonNode b8 = root.get("benches").get(ids.indexOf("B8"));
        assertTrue(b8.get("notes").asText().matches(".*toy sizes .* takes [0-9.]+ ms per call.*"), b8.get("notes").asText());
        // B7 compares with PyTorch eager, or says in its notes why the peer did not run
        JsonNode b7 = root.get("benches").get(ids.indexOf("B7.1t"));
        assertTrue(b7.get("peer_seconds").isNumber() || b7.get("notes").asText().contains("PyTorch peer skipped"),
                b7.get("notes").asText());
        // B9: training with the encoder frozen holds less than full fine-tuning (child JVMs measured it)
        JsonNode b9 = root.get("benches").get(ids.indexOf("B9"));
        assertTrue(b9.get("seconds").asDouble() < 1 && b9.get("notes").asText().contains("frozen: parameters"),
                b9.get("notes").asText());
        // ... and reports LoRA against full fine-tuning with both checkpointed, apart from the targets
        assertTrue(b9.get("notes").asText().contains("LoRA / full, both checkpointed: training bytes"),
                b9.get("notes").asText());
        // B11 records the bytes kept for the backward pass by both arms; checkpointing keeps fewer
        JsonNode b11 = root.get("benches").get(ids.indexOf("B11"));
        JsonNode act = b11.get("activations");
        assertTrue(act.get("kept_bytes").asLong() > 0 && act.get("kept_bytes").asLong() < act.get("peer_kept_bytes").asLong(),
                act.toString());
        assertEquals(act.get("kept_bytes").asDouble() / act.get("peer_kept_bytes").asDouble(), act.get("ratio").asDouble(), 1e-9);
        // each arm's resident-set growth is measured in a child JVM (-1 would mean it could not be)
        assertTrue(act.get("rss_growth_mb").asDouble() >= 0 && act.get("peer_rss_growth_mb").asDouble() >= 0,
                b11.get("notes").asText());
        assertTrue(!log.isEmpty());
    }

    @Test
    void aSelectionRunsOnlyTheNamedBenchesAndRefusesUnknownIds(@TempDir Path out) throws Exception {
        BenchHarness.Report report = BenchHarness.run(BenchSettings.tiny(), java.util.Set.of("B4"), out, line -> {});
        assertEquals(List.of("B4"), report.benches().stream().map(BenchResult::id).toList());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BenchHarness.run(BenchSettings.tiny(), java.util.Set.of("B99"), out, line -> {}));
        assertTrue(e.getMessage().contains("B99") && e.getMessage().contains("B7"), e.getMessage());
    }
}
