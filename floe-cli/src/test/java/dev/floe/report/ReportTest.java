package dev.floe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Json;
import java.io.ByteArrayInputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep's report: numbers averaged per variant over finished seeds, failed runs listed and left out,
 * axis values compared with the axis's first value paired by seed, Pareto-optimal variants marked,
 * and a page that needs nothing but itself.
 */
class ReportTest {

    @TempDir
    Path tmp;

    /** accuracy, train seconds, peak MiB of each (policy, lr, seed) that finished. */
    private final Map<String, double[]> made = new HashMap<>();
    private final List<ReportRun> runs = new ArrayList<>();

    private static final String FAILURE = "out of memory in stage train; lower training.batch_size";

    /**
     * policy ∈ {full, frozen, lora} × lr ∈ {0.01, 0.1} × seed ∈ {1, 2}; frozen/0.1 seed 2 failed and
     * every lora run failed.
     */
    @BeforeEach
    void sweep() throws Exception {
        for (String lr : List.of("0.01", "0.1")) {
            for (String policy : List.of("full", "frozen", "lora")) {
                for (long seed : List.of(1L, 2L)) {
                    String variant = "policy=" + policy + ",lr=" + lr;
                    Map<String, String> axes = new LinkedHashMap<>();
                    axes.put("policy", policy);
                    axes.put("lr", lr);
                    Path dir = tmp.resolve(policy + "-" + lr + "-s" + seed);
                    if (policy.equals("lora") || (policy.equals("frozen") && lr.equals("0.1") && seed == 2)) {
                        runs.add(new ReportRun(variant, axes, seed, policy.equals("lora") ? null : dir, FAILURE));
                        continue;
                    }
                    double acc = (policy.equals("full") ? 0.80 : 0.70) + 0.01 * seed + (lr.equals("0.1") ? 0.03 : 0);
                    double seconds = (policy.equals("full") ? 10.0 : 2.0) + seed;
                    double rss = policy.equals("full") ? 800 + seed : 400 + seed;
                    made.put(policy + lr + seed, new double[] {acc, seconds, rss});
                    SyntheticRuns.finishedRun(dir, "fashion.yaml", Double.parseDouble(lr), seed,
                            SyntheticRuns.result(acc, seconds, rss));
                    runs.add(new ReportRun(variant, axes, seed, dir, null));
                }
            }
        }
    }

    private JsonNode variant(JsonNode json, String name) {
        for (JsonNode v : json.get("variants")) {
            if (v.get("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no variant " + name + " in " + json.get("variants"));
    }

    @Test
    void everyNumberIsTheMeanAndSampleStdOverTheVariantsFinishedSeeds() {
        JsonNode json = Report.build("sweep", runs).json();
        JsonNode full = variant(json, "policy=full,lr=0.01");
        double a1 = made.get("full0.011")[0];
        double a2 = made.get("full0.012")[0];
        JsonNode acc = full.get("stats").get("final_accuracy");
        assertEquals((a1 + a2) / 2, acc.get("mean").asDouble(), 1e-12);
        assertEquals(Math.abs(a1 - a2) / Math.sqrt(2), acc.get("std").asDouble(), 1e-12);
        assertEquals(2, acc.get("n").asInt());
        assertEquals(1000.0, full.get("stats").get("trainable_params").get("mean").asDouble());
        assertEquals((a1 + a2) / 2 - SyntheticRuns.MACRO_F1_GAP, full.get("stats").get("final_f1_macro").get("mean").asDouble(),
                1e-12, "macro-F1 comes from the manifest's final_eval");
        JsonNode curve = full.get("curves").get(0);
        assertEquals("train", curve.get("stage").asText());
        assertEquals(4, curve.get("eval_accuracy_per_epoch").size());
        assertEquals((a1 + a2) / 2, curve.get("eval_accuracy_per_epoch").get(3).get("mean").asDouble(), 1e-12);
    }

    @Test
    void failedRunsAreListedWithTheirErrorAndLeftOutOfEveryAverage() {
        JsonNode json = Report.build("sweep", runs).json();
        JsonNode frozen = variant(json, "policy=frozen,lr=0.1");
        assertEquals("finished", frozen.get("status").asText());
        assertEquals(1, frozen.get("finished_runs").asInt());
        assertEquals(1, frozen.get("failed_runs").asInt());
        assertEquals(made.get("frozen0.11")[0], frozen.get("stats").get("final_accuracy").get("mean").asDouble(), 1e-12);
        assertTrue(frozen.get("stats").get("final_accuracy").get("std").isNull(), "one finished seed has no std");
        JsonNode lora = variant(json, "policy=lora,lr=0.01");
        assertEquals("failed", lora.get("status").asText());
        assertTrue(lora.get("stats").isEmpty(), lora.toString());
        long failedRuns = 0;
        for (JsonNode r : json.get("runs")) {
            if (r.get("status").asText().equals("failed")) {
                failedRuns++;
                assertEquals(FAILURE, r.get("error").asText());
                assertTrue(r.get("values").isEmpty());
            }
        }
        assertEquals(5, failedRuns);
    }

    @Test
    void aFinishedRunWhoseFolderHoldsNoManifestIsReportedFailedNamingTheFile() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Report report = Report.build("one", List.of(new ReportRun("v", Map.of(), 1, empty, null)));
        JsonNode run = report.json().get("runs").get(0);
        assertEquals("failed", run.get("status").asText());
        assertTrue(run.get("error").asText().contains("manifest.json"), run.get("error").asText());
    }

    @Test
    void eachAxisValueIsComparedWithTheAxisFirstValuePairedBySeedWithTheOtherAxesEqual() {
        JsonNode json = Report.build("sweep", runs).json();
        JsonNode frozen = null;
        JsonNode lr = null;
        JsonNode lora = null;
        for (JsonNode c : json.get("comparisons")) {
            String key = c.get("axis").asText() + "=" + c.get("value").asText();
            switch (key) {
                case "policy=frozen" -> frozen = c;
                case "policy=lora" -> lora = c;
                case "lr=0.1" -> lr = c;
                default -> throw new AssertionError("unexpected comparison " + c);
            }
        }
        // frozen vs full: lr 0.01 seeds 1 and 2, lr 0.1 seed 1 (its seed 2 failed)
        List<Double> points = new ArrayList<>();
        List<Double> speed = new ArrayList<>();
        for (String key : List.of("0.011", "0.012", "0.11")) {
            points.add(100 * (made.get("frozen" + key)[0] - made.get("full" + key)[0]));
            speed.add(made.get("full" + key)[1] / made.get("frozen" + key)[1]);
        }
        assertEquals("full", frozen.get("baseline").asText());
        assertEquals(3, frozen.get("pairs").asInt());
        assertEquals(Stat.of(points).mean(), frozen.get("accuracy_points").get("mean").asDouble(), 1e-9);
        assertEquals(Stat.of(points).std(), frozen.get("accuracy_points").get("std").asDouble(), 1e-9);
        assertEquals(Stat.of(speed).mean(), frozen.get("speedup").get("mean").asDouble(), 1e-9);
        assertTrue(frozen.get("summary").asText().matches(
                "policy = frozen vs full: −10\\.0 ± 0\\.0 points, [0-9.]+× faster, −50% peak memory \\(3 seed pairs\\)"),
                frozen.get("summary").asText());
        assertEquals(0, lora.get("pairs").asInt());
        assertTrue(lora.get("summary").asText().contains("no pairs"), lora.get("summary").asText());
        assertEquals(3, lr.get("pairs").asInt(), "full seeds 1 and 2, frozen seed 1");
        assertEquals(3.0, lr.get("accuracy_points").get("mean").asDouble(), 1e-9);
    }

    @Test
    void onlyVariantsNoOtherBeatsOnAccuracyAndCostAreParetoOptimal() throws Exception {
        List<ReportRun> three = new ArrayList<>();
        double[][] accSecondsRss = {{0.9, 10, 800}, {0.7, 2, 400}, {0.6, 5, 900}};
        String[] names = {"accurate", "cheap", "dominated"};
        for (int i = 0; i < 3; i++) {
            Path dir = SyntheticRuns.finishedRun(tmp.resolve(names[i]), names[i] + ".yaml", 0.01, 1,
                    SyntheticRuns.result(accSecondsRss[i][0], accSecondsRss[i][1], accSecondsRss[i][2]));
            three.add(new ReportRun(names[i], Map.of(), 1, dir, null));
        }
        JsonNode json = Report.build("pareto", three).json();
        for (int i = 0; i < 3; i++) {
            JsonNode v = variant(json, names[i]);
            assertEquals(i < 2, v.get("pareto_accuracy_vs_train_seconds").asBoolean(), names[i]);
            assertEquals(i < 2, v.get("pareto_accuracy_vs_peak_rss_mb").asBoolean(), names[i]);
        }
    }

    @Test
    void aNumberSomeRunsDidNotRecordIsAbsentFromTheirJsonAndADashInThePage() throws Exception {
        SyntheticRuns.Result with = new SyntheticRuns.Result(0.8, 0.2, 3, 500,
                Map.of("examples_per_second", 1234.0, "final_auc", 0.75), List.of(0.8), List.of(0.5));
        Path a = SyntheticRuns.finishedRun(tmp.resolve("with"), "with.yaml", 0.01, 1, with);
        Path b = SyntheticRuns.finishedRun(tmp.resolve("without"), "without.yaml", 0.01, 1,
                new SyntheticRuns.Result(0.7, 0.3, 2, 400, Map.of(), List.of(0.7), List.of(0.6)));
        Report report = Report.build("partial", List.of(new ReportRun("with", Map.of(), 1, a, null),
                new ReportRun("without", Map.of(), 1, b, null)));
        JsonNode json = report.json();
        assertEquals(1234.0, variant(json, "with").get("stats").get("examples_per_second").get("mean").asDouble());
        assertFalse(variant(json, "without").get("stats").has("examples_per_second"));
        assertFalse(json.get("runs").get(1).get("values").has("final_auc"));
        Path html = tmp.resolve("out/report.html");
        report.write(tmp.resolve("out/sweep.json"), html);
        String page = Files.readString(html);
        Matcher row = Pattern.compile("<tr data-variant=\"without\">(.*?)</tr>").matcher(page);
        assertTrue(row.find(), "a row for the variant without the numbers");
        assertTrue(row.group(1).contains("<td data-v=\"\">–</td>"), row.group(1));
        assertTrue(page.contains("final auc %"), "the task metric has a column");
        assertEquals(json.get("title").asText(),
                Json.mapper().readTree(tmp.resolve("out/sweep.json").toFile()).get("title").asText());
    }

    @Test
    void thePageNeedsNothingButItselfAndItsChartsAreRealImages() throws Exception {
        Report report = Report.build("sweep <&> \"quoted\"", runs);
        Path html = tmp.resolve("report.html");
        report.write(tmp.resolve("sweep.json"), html);
        String page = Files.readString(html);
        assertTrue(page.contains("<h1>sweep &lt;&amp;&gt; &quot;quoted&quot;</h1>"), "the title is escaped");
        assertFalse(Pattern.compile("(?i)(src|href)\\s*=\\s*[\"'](?!data:)").matcher(page).find(),
                "every src/href is a data: URI");
        assertFalse(Pattern.compile("(?i)https?://|url\\(").matcher(page).find(), "no external URL");
        Matcher img = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(page);
        int images = 0;
        while (img.find()) {
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(img.group(1))));
            assertTrue(png != null && png.getWidth() > 100 && png.getHeight() > 100, "chart " + images + " is a PNG");
            images++;
        }
        assertEquals(5, images, "two Pareto charts, accuracy bars, accuracy and loss curves of the one stage");
        assertEquals(6, Pattern.compile("<tr[^>]* data-variant=").matcher(page).results().count(), "one row per variant");
        assertTrue(page.contains("<tr class=\"failed\" data-variant=\"policy=lora,lr=0.01\">"), "failed variant marked");
    }

    @Test
    void runsWithoutAnEvaluationStillGiveAPageThatSaysWhatItCannotDraw() throws Exception {
        Path dir = SyntheticRuns.finishedRun(tmp.resolve("no-eval"), "no-eval.yaml", 0.01, 1,
                new SyntheticRuns.Result(Double.NaN, Double.NaN, 2, 300, Map.of(), List.of(), List.of()));
        Report report = Report.build(null, List.of(new ReportRun("no-eval", Map.of(), 1, dir, null)));
        Path html = tmp.resolve("report.html");
        report.write(tmp.resolve("sweep.json"), html);
        String page = Files.readString(html);
        assertTrue(page.contains("<h1>Floe report</h1>"), "default title");
        assertEquals(3, Pattern.compile("Nothing to draw").matcher(page).results().count(),
                "no Pareto charts, bars or curves without accuracy or epochs");
        assertFalse(report.json().get("variants").get(0).get("stats").has("final_accuracy"));
        assertTrue(page.contains("Nothing to compare: every run belongs to one variant."));
    }
}
