package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.run.Measurements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** floe sweep end to end: worker processes, the shared cache, reruns, crashes, kills and resumes. */
class SweepCommandTest {

    /** A tiny config whose data files sit in data/ next to it (not found from anywhere else). */
    static final String BASE = """
            seed: 3
            data:
              format: idx
              train: {images: data/train-images-idx3-ubyte.gz, labels: data/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 120
              eval_fraction: 0.25
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/**"
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 2, batch_size: 32}
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Result(int code, String out, String err) {}

    private static Result floe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** The base config in {@code tmp/base/} with its own copy of the data, and a sweep file in {@code tmp/sweeps/}. */
    private static Path sweep(Path tmp, String body) throws Exception {
        Path base = Files.createDirectories(tmp.resolve("base"));
        Path data = Files.createDirectories(base.resolve("data"));
        Path datasets = dev.floe.data.FashionMnist.locateDatasets().resolve("fashion-mnist");
        for (String f : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")) {
            if (!Files.exists(data.resolve(f))) {
                Files.copy(datasets.resolve(f), data.resolve(f));
            }
        }
        Files.writeString(base.resolve("tiny.yaml"), BASE);
        Path sweeps = Files.createDirectories(tmp.resolve("sweeps"));
        Path file = sweeps.resolve("sweep.yaml");
        Files.writeString(file, "base: ../base/tiny.yaml\n" + body);
        return file;
    }

    private static Map<String, JsonNode> runsById(Path out) throws Exception {
        Map<String, JsonNode> runs = new HashMap<>();
        for (JsonNode r : JSON.readTree(out.resolve("sweep-state.json").toFile()).get("runs")) {
            runs.put(r.get("id").asText(), r);
        }
        return runs;
    }

    @Test
    void twoVariantsTimesTwoSeedsRunInTwoWorkersAsOrdinaryRunsAndARerunRunsNothing(@TempDir Path tmp) throws Exception {
        Path file = sweep(tmp, "seeds: [1, 2]\naxes:\n  optimizer.lr: [0.01, 0.02]\n");
        Path out = tmp.resolve("out");

        Result r = floe("sweep", file.toString(), "--out", out.toString(), "--workers", "2", "--no-progress");

        assertEquals(0, r.code(), r.out() + r.err());
        List<String> ids = List.of("lr0.01-s1", "lr0.01-s2", "lr0.02-s1", "lr0.02-s2");
        Map<String, JsonNode> listed = runsById(out);
        assertEquals(ids.size(), listed.size(), listed.toString());
        Map<String, byte[]> manifests = new HashMap<>();
        for (String id : ids) {
            Path run = out.resolve("runs").resolve(id);
            assertEquals("finished", listed.get(id).get("status").asText(), listed.get(id).toString());
            assertTrue(listed.get(id).get("error").isNull());
            for (String f : TrainCommandTest.FILES) {
                assertTrue(Files.isRegularFile(run.resolve(f)), id + ": " + f + " is missing");
            }
            assertArrayEquals(Files.readAllBytes(out.resolve("configs").resolve(id + ".yaml")),
                    Files.readAllBytes(run.resolve(TrainCommand.CONFIG_FILE)), "the run trained the variant's config");
            JsonNode manifest = JSON.readTree(run.resolve("manifest.json").toFile());
            // relative data paths start at the base config's folder
            assertEquals(tmp.resolve("base").toAbsolutePath().normalize().toString(),
                    manifest.get("recipe").get("config").get("base_dir").asText());
            JsonNode metrics = manifest.get("outcome").get("metrics");
            for (String key : Measurements.KEYS) {
                assertTrue(metrics.get(key).isNumber(), id + ": " + key + " in " + metrics);
            }
            JsonNode axes = listed.get(id).get("axes");
            assertEquals(id.substring(2, id.indexOf("-s")), axes.get("optimizer.lr").asText());
            manifests.put(id, Files.readAllBytes(run.resolve("manifest.json")));
        }
        // the report's numbers are the run folders' numbers
        JsonNode report = JSON.readTree(out.resolve("sweep.json").toFile());
        assertEquals(2, report.get("variants").size(), report.toString());
        assertEquals(ids.size(), report.get("runs").size());
        for (JsonNode row : report.get("runs")) {
            assertEquals("finished", row.get("status").asText(), row.toString());
            JsonNode outcome = JSON.readTree(Path.of(row.get("dir").asText()).resolve("manifest.json").toFile()).get("outcome");
            assertEquals(outcome.get("final_eval").get("accuracy").asDouble(), row.get("values").get("final_accuracy").asDouble(),
                    row.toString());
            assertEquals(outcome.get("train_seconds").asDouble(), row.get("values").get("train_seconds").asDouble(), row.toString());
        }
        assertTrue(Files.readString(out.resolve("report.html")).contains("<table"), "report.html is written");
        // both learning rates of a seed train on one frozen encoder, at the same time in the two workers: its
        // features (training and evaluation sets) are computed once per seed, not once per run
        try (Stream<Path> s = Files.list(out.resolve("feature-cache"))) {
            assertEquals(4, s.filter(Files::isDirectory).count());
        }

        long started = System.nanoTime();
        Result again = floe("sweep", file.toString(), "--out", out.toString(), "--workers", "2", "--no-progress");
        double seconds = (System.nanoTime() - started) / 1e9;

        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("done: 0 run(s) finished, 4 skipped"), again.out());
        for (String id : ids) {
            assertArrayEquals(manifests.get(id), Files.readAllBytes(out.resolve("runs").resolve(id).resolve("manifest.json")),
                    id + " was not run again");
            assertEquals("skipped", runsById(out).get(id).get("status").asText());
        }
        assertTrue(seconds < 20, "a finished sweep returns without running anything: " + seconds + " s");
    }

    @Test
    void aCrashingAndAKilledRunAreRecordedAsFailedTheOthersFinishAndARerunResumesTheKilledOne(@TempDir Path tmp)
            throws Exception {
        // 'greedy' asks for more examples per class than the 120 read: floe train refuses it at data loading
        // (exit 2), after the sweep's checks, which do not read data; 'long' trains long enough to be killed
        Path file = sweep(tmp, """
                seeds: [1]
                variants:
                  - {name: ok}
                  - name: greedy
                    set: {data.per_class: 1000}
                  - name: long
                    set: {training.epochs: 150}
                """);
        Path out = tmp.resolve("out");
        CompletableFuture<Result> running = CompletableFuture.supplyAsync(
                () -> floe("sweep", file.toString(), "--out", out.toString(), "--workers", "2", "--no-progress"));
        Path latest = out.resolve("runs").resolve("long-s1").resolve("checkpoints").resolve("LATEST");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(latest) && System.nanoTime() < deadline && !running.isDone()) {
            Thread.sleep(20);
        }
        List<ProcessHandle> workers = ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("long-s1")).orElse(false))
                .toList();
        assertEquals(1, workers.size(), "the worker of long-s1 is running: " + (running.isDone() ? running.get() : ""));
        workers.get(0).destroyForcibly(); // SIGKILL, as the out-of-memory killer sends

        Result first = running.get(120, TimeUnit.SECONDS);
        assertEquals(1, first.code(), first.out() + first.err());
        assertTrue(first.err().startsWith("floe: 2 of 3 runs failed"), first.err());
        Map<String, JsonNode> runs = runsById(out);
        assertEquals("finished", runs.get("ok-s1").get("status").asText());
        assertEquals("failed", runs.get("greedy-s1").get("status").asText());
        String greedy = runs.get("greedy-s1").get("error").asText();
        assertTrue(greedy.startsWith("exit 2") && greedy.contains("floe: ") && greedy.contains("per_class"), greedy);
        String killed = runs.get("long-s1").get("error").asText();
        assertTrue(killed.startsWith("exit 137: killed by signal 9 (SIGKILL), most likely by the operating system for"
                + " running out of memory"), killed);
        assertFalse(Files.exists(out.resolve("runs").resolve("long-s1").resolve("metrics.json")));

        Result second = floe("sweep", file.toString(), "--out", out.toString(), "--workers", "2", "--no-progress");

        assertEquals(1, second.code(), "greedy fails again: " + second.out() + second.err());
        runs = runsById(out);
        assertEquals("skipped", runs.get("ok-s1").get("status").asText());
        assertEquals("finished", runs.get("long-s1").get("status").asText(), runs.get("long-s1").toString());
        assertNull(runs.get("long-s1").get("error").textValue());
        assertTrue(Files.readString(out.resolve("logs").resolve("long-s1.out")).contains("resume  from the newest checkpoint"),
                "long-s1 continued from its checkpoint");
        JsonNode manifest = JSON.readTree(out.resolve("runs").resolve("long-s1").resolve("manifest.json").toFile());
        assertEquals(150, manifest.get("outcome").get("stages").get(0).get("epochs").asInt());
    }

    @Test
    void aFolderHoldingSomethingElseIsRefusedBeforeAnythingRuns(@TempDir Path tmp) throws Exception {
        Path file = sweep(tmp, "axes: {optimizer.lr: [0.01]}\n");
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("notes.txt"), "mine");

        Result r = floe("sweep", file.toString(), "--out", out.toString(), "--no-progress");

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: --out " + out + " is not empty") && r.err().contains("--force"), r.err());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of(out.resolve("notes.txt")), s.toList(), "nothing written");
        }
    }
}
