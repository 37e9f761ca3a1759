package dev.floe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.data.FashionMnist;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * S1 trains the demo's encoder and samples live native arrays and RSS between steps; a short run
 * already shows the array count fixed once the optimizer state exists. RSS is recorded, not judged
 * here: in a short run the Java heap is still touching its first pages.
 */
class SoakBenchTest {

    @Test
    void liveArraysStayFixedAfterTheFirstStepsAndTheResultsFileHoldsBothSeries(@TempDir Path out) throws Exception {
        SoakSettings tiny = SoakSettings.tiny();
        List<String> log = new ArrayList<>();
        BenchHarness.SoakReport report = BenchHarness.runSoak(tiny, FashionMnist.locateDatasets(), out, log::add);
        SoakResult soak = report.soak();

        List<Integer> steps = soak.samples().stream().map(SoakResult.Sample::step).toList();
        assertEquals(List.of(0, 20, 40, 60, 80, 100, 120), steps);
        int before = soak.samples().get(0).liveArrays();
        int trained = soak.samples().get(1).liveArrays();
        // the demo's encoder and head have 23 trainable tensors; AdamW adds two moments for each and
        // keeps five scalar hyperparameters (beta1, 1-beta1, beta2, 1-beta2, eps) for its whole life
        assertEquals(2 * 23 + 5, trained - before, "arrays added by training: " + soak.samples());
        for (SoakResult.Sample x : soak.samples().subList(1, soak.samples().size())) {
            assertEquals(trained, x.liveArrays(), "live arrays at step " + x.step() + ": " + soak.samples());
            assertTrue(x.rssMb() > 0 && x.heapUsedMb() > 0, x.toString());
            assertTrue(Double.isFinite(x.loss()), x.toString());
        }
        assertEquals(0, soak.arrayGrowth());
        assertTrue(soak.arraysFlat());
        assertTrue(soak.samples().get(steps.size() - 1).loss() < soak.samples().get(1).loss(),
                "the encoder learns: " + soak.samples());

        JsonNode root = new ObjectMapper().readTree(out.resolve(BenchHarness.RESULTS_FILE).toFile());
        assertEquals(BenchHarness.FORMAT_VERSION, root.get("format_version").asInt());
        assertEquals(0, root.get("benches").size());
        JsonNode s = root.get("soak");
        assertEquals("S1", s.get("id").asText());
        assertEquals(tiny.steps(), s.get("steps").asInt());
        assertEquals(SoakSettings.BATCH, s.get("batch").asInt());
        assertEquals(steps.size(), s.get("samples").size());
        assertEquals(trained, s.get("samples").get(steps.size() - 1).get("live_arrays").asInt());
        assertTrue(s.get("samples").get(0).get("loss").isNull(), "no loss before the first step");
        assertEquals(0, s.get("array_growth").asInt());
        assertTrue(s.get("arrays_flat").asBoolean());
        assertEquals(SoakBench.RSS_GROWTH_LIMIT_MB, s.get("rss_growth_limit_mb").asDouble());
        assertEquals(soak.rssGrowthMb(), s.get("rss_growth_mb").asDouble());
        assertEquals(soak.rssFlat(), s.get("rss_flat").asBoolean());

        String table = BenchHarness.soakTable(soak);
        assertTrue(table.contains("live arrays +0 (limit 0: flat)"), table);
        assertEquals(steps.size(), log.size(), "one set-up line and one per sample after step 0: " + log);
    }

    @Test
    void settingsRefuseABaselineOffTheSampleGrid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SoakSettings("x", 1000, 100, 150));
        assertTrue(e.getMessage().contains("baselineStep 150") && e.getMessage().contains("sampleEvery 100"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SoakSettings("x", 1050, 100, 200));
        assertTrue(e.getMessage().contains("steps 1050"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SoakSettings("x", 1000, 100, 1000));
        assertTrue(e.getMessage().contains("below steps 1000"), e.getMessage());
    }
}
