package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Json;
import dev.floe.report.SyntheticRuns;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code floe report}: run folders in, one page and its JSON out; bad folders named with what was expected. */
class ReportCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int floe(String... args) {
        CommandLine cl = FloeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private List<String> args(Path html, Path... dirs) {
        List<String> a = new ArrayList<>(List.of("report", "--out", html.toString()));
        for (Path d : dirs) {
            a.add(d.toString());
        }
        return a;
    }

    @Test
    void runsWhoseRecipesDifferOnlyInTheSeedAreOneVariantNamedAfterTheirConfig() throws Exception {
        Path a1 = SyntheticRuns.finishedRun(tmp.resolve("a1"), "tiny.yaml", 0.01, 1, SyntheticRuns.result(0.80, 4, 500));
        Path a2 = SyntheticRuns.finishedRun(tmp.resolve("a2"), "tiny.yaml", 0.01, 2, SyntheticRuns.result(0.82, 4, 500));
        Path b1 = SyntheticRuns.finishedRun(tmp.resolve("b1"), "tiny.yaml", 0.1, 1, SyntheticRuns.result(0.70, 2, 400));
        Path b2 = SyntheticRuns.finishedRun(tmp.resolve("b2"), "tiny.yaml", 0.1, 2, SyntheticRuns.result(0.74, 2, 400));
        Path c1 = SyntheticRuns.finishedRun(tmp.resolve("c1"), "other.yaml", 0.5, 1, SyntheticRuns.result(0.5, 1, 300));
        Path html = tmp.resolve("out/report.html");
        assertEquals(0, floe(args(html, a1, b1, a2, b2, c1).toArray(String[]::new)), err.toString());
        JsonNode json = Json.mapper().readTree(tmp.resolve("out/sweep.json").toFile());
        List<String> names = new ArrayList<>();
        Map<String, Integer> runs = new LinkedHashMap<>();
        for (JsonNode v : json.get("variants")) {
            names.add(v.get("name").asText());
            runs.put(v.get("name").asText(), v.get("finished_runs").asInt());
        }
        // two recipes came from files named tiny.yaml: told apart by the config key they differ in
        assertEquals(List.of("tiny [optimizer.lr=0.01]", "tiny [optimizer.lr=0.1]", "other"), names);
        assertEquals(Map.of("tiny [optimizer.lr=0.01]", 2, "tiny [optimizer.lr=0.1]", 2, "other", 1), runs);
        assertTrue(out.toString().contains("variant = tiny [optimizer.lr=0.1] vs tiny [optimizer.lr=0.01]: −9.0 ± 1.4"
                + " points, 2.0× faster,"
                + " −20% peak memory (2 seed pairs)"), out.toString());
        assertTrue(Files.readString(html).contains("<table id=\"variant-table\">"));
    }

    @Test
    void aFolderThatIsNotARunIsNamedWithWhatWasExpectedAndNothingIsWritten() throws Exception {
        Path good = SyntheticRuns.finishedRun(tmp.resolve("good"), "tiny.yaml", 0.01, 1, SyntheticRuns.result(0.8, 4, 500));
        Path notRun = Files.createDirectories(tmp.resolve("photos"));
        Path html = tmp.resolve("report.html");
        assertEquals(2, floe(args(html, good, notRun).toArray(String[]::new)));
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.startsWith("floe: " + notRun + " is not a run folder: it has no manifest.json; expected"),
                message);
        assertTrue(message.contains("manifest.json with an outcome"), message);
        assertFalse(Files.exists(html));
        assertFalse(Files.exists(tmp.resolve("sweep.json")));
    }

    @Test
    void aSweepsFolderGivenInsteadOfItsRunsIsNamedWithWhereTheRunsAndTheReportAre() throws Exception {
        Path sweep = Files.createDirectories(tmp.resolve("sweep-out"));
        Files.writeString(sweep.resolve("sweep-state.json"), "{\"format\": \"floe-sweep-state/1\", \"runs\": []}\n");
        Path html = tmp.resolve("report.html");
        assertEquals(2, floe(args(html, sweep).toArray(String[]::new)));
        String message = err.toString().strip();
        assertEquals("floe: " + sweep + " is a sweep's folder, not a run folder; give its runs ("
                + sweep.resolve("runs").resolve("*") + "), or open the report floe sweep wrote there ("
                + sweep.resolve("report.html") + ")", message);
        assertFalse(Files.exists(html));
    }

    @Test
    void aMissingRunIsNamedBeforeAnExistingPage() throws Exception {
        Path html = Files.writeString(tmp.resolve("report.html"), "an older page");
        Path missing = tmp.resolve("runs").resolve("nonexistent");
        assertEquals(2, floe(args(html, missing).toArray(String[]::new)));
        String message = err.toString().strip();
        assertTrue(message.startsWith("floe: run folder " + missing + " does not exist; expected a run folder"), message);
        assertEquals("an older page", Files.readString(html));
    }

    @Test
    void aRunThatHasNotFinishedIsRefused() throws Exception {
        Path running = SyntheticRuns.unfinishedRun(tmp.resolve("running"), "tiny.yaml", 1);
        assertEquals(2, floe(args(tmp.resolve("r.html"), running).toArray(String[]::new)));
        assertTrue(err.toString().contains(running + " is a run that has not finished: its manifest.json has no outcome"),
                err.toString());
    }

    @Test
    void anExistingPageOrJsonIsReplacedOnlyWithForce() throws Exception {
        Path run = SyntheticRuns.finishedRun(tmp.resolve("run"), "tiny.yaml", 0.01, 1, SyntheticRuns.result(0.8, 4, 500));
        Path html = tmp.resolve("report.html");
        Path json = tmp.resolve("numbers.json");
        Files.writeString(json, "keep me");
        List<String> a = args(html, run);
        a.addAll(List.of("--json", json.toString()));
        assertEquals(2, floe(a.toArray(String[]::new)));
        assertTrue(err.toString().contains(json + " already exists (--json); choose another path or add --force"),
                err.toString());
        assertEquals("keep me", Files.readString(json));
        assertFalse(Files.exists(html), "nothing written when one of the two files is refused");
        a.add("--force");
        assertEquals(0, floe(a.toArray(String[]::new)), err.toString());
        assertEquals("floe-report/1", Json.mapper().readTree(json.toFile()).get("format").asText());
        assertFalse(Files.exists(tmp.resolve("sweep.json")), "--json replaces the default sweep.json");
    }

    @Test
    void aDemoFolderGivesOneVariantPerConfigurationAndDemosOfAnotherSeedAreItsSeeds() throws Exception {
        Map<String, Double> first = new LinkedHashMap<>();
        first.put("scratch", 0.5);
        first.put("frozen_encoder", 0.6);
        Map<String, Double> second = new LinkedHashMap<>();
        second.put("scratch", 0.52);
        second.put("frozen_encoder", 0.64);
        Path d1 = SyntheticRuns.demoFolder(tmp.resolve("d1"), 42, first);
        Path d2 = SyntheticRuns.demoFolder(tmp.resolve("d2"), 7, second);
        Path html = tmp.resolve("demo.html");
        assertEquals(0, floe(args(html, d1, d2).toArray(String[]::new)), err.toString());
        JsonNode json = Json.mapper().readTree(tmp.resolve("sweep.json").toFile());
        assertEquals(2, json.get("variants").size());
        JsonNode frozen = json.get("variants").get(1);
        assertEquals("frozen_encoder", frozen.get("name").asText());
        assertEquals(0.62, frozen.get("stats").get("final_accuracy").get("mean").asDouble(), 1e-12);
        assertEquals(165.0, frozen.get("stats").get("trainable_params").get("mean").asDouble());
        assertFalse(frozen.get("stats").has("labels_per_class"), "a setting, not a result");
        assertEquals(0.0, frozen.get("stats").get("accuracy_std_over_draws").get("mean").asDouble(),
                "the demo's spread over label draws, kept apart from the spread over seeds");
        assertTrue(json.get("notes").get(0).asText().contains("each configuration the demo compared is a variant"));
        assertTrue(out.toString().contains("variant = frozen_encoder vs scratch: +11.0 ± 1.4 points"), out.toString());
    }
}
