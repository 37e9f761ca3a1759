package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** examples/progressive.yaml through floe plan and floe train, and kill -9 then --resume. */
class ProgressiveRunTest {

    private static final Path EXAMPLE = Path.of("..", "examples", "progressive.yaml");

    private record Run(int code, String out, String err) {}

    private static Run floe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The example (its encoder unchanged) with fewer epochs and labelled images, so the test stays quick. */
    private static Path smallConfig(Path dir) throws Exception {
        String yaml = Files.readString(EXAMPLE)
                .replace("epochs_per_stage: 4", "epochs_per_stage: 2")
                .replace("per_class: 20", "per_class: 12");
        Path file = dir.resolve("progressive.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void planExplainsEveryStage() {
        Run r = floe("plan", EXAMPLE.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("== stage 1/3: head"), r.out());
        assertTrue(r.out().contains("== stage 2/3: unfreeze-block2"), r.out());
        assertTrue(r.out().contains("== stage 3/3: unfreeze-block1"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("encoder/block1 ") && l.contains("train")), r.out());
        String cached = r.out().substring(0, r.out().indexOf("== stage 2/3"));
        assertTrue(cached.lines().anyMatch(l -> l.startsWith("encoder/block2 ") && l.contains(" yes ")),
                "the head stage serves the frozen encoder from the feature cache:\n" + cached);
    }

    @Test
    void trainPrintsTheStageTableAndRecordsItInMetrics(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Run r = floe("train", smallConfig(tmp).toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("stage                 epochs  best_metric"), r.out());
        for (String stage : List.of("head", "unfreeze-block2", "unfreeze-block1")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(stage + " ")), stage + " row in " + r.out());
        }
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        JsonNode stages = metrics.get("stages");
        assertEquals(3, stages.size());
        assertTrue(stages.get(0).get("trainable_params").asLong() < stages.get(1).get("trainable_params").asLong());
        assertTrue(stages.get(1).get("trainable_params").asLong() < stages.get(2).get("trainable_params").asLong());
        assertEquals(stages.get(0).get("epochs").asInt(), stages.get(0).get("eval_accuracy_per_epoch").size());
    }

    @Test
    void aRunKilledWithSigkillAndResumedEndsWithTheSameWeights(@TempDir Path tmp) throws Exception {
        Path config = smallConfig(tmp);
        Path whole = tmp.resolve("whole");
        assertEquals(0, floe("train", config.toString(), "--out", whole.toString(), "--no-progress").code());

        Path killed = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path") + java.io.File.pathSeparator + System.getProperty("jdk.module.path", "") /* tests run on the module path */,
                FloeMain.class.getName(), "train", config.toString(), "--out", killed.toString(), "--no-progress"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path latest = killed.resolve("checkpoints").resolve("LATEST");
        // wait until the run is inside stage 2 (2 epochs of 6 steps in stage 1, so step > 12), then kill -9
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.exists(latest)) {
                String name = Files.readString(latest).trim();
                if (Integer.parseInt(name.substring("ckpt-".length())) > 12) {
                    break;
                }
            }
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the child finished before it could be killed: " + Files.readString(tmp.resolve("child.log")));
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(!Files.exists(killed.resolve("weights.safetensors")), "the killed run must not have finished");

        Run resumed = floe("train", config.toString(), "--resume", killed.toString(), "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        Map<String, TensorData> a = Safetensors.read(whole.resolve("weights.safetensors")).tensors();
        Map<String, TensorData> b = Safetensors.read(killed.resolve("weights.safetensors")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toFloats(), b.get(k).toFloats(), k);
        }
        assertTrue(new File(killed.toFile(), "metrics.json").isFile());
    }

    @Test
    void resumingWithAnotherConfigIsRefused(@TempDir Path tmp) throws Exception {
        Path config = smallConfig(tmp);
        Path run = tmp.resolve("run");
        assertEquals(0, floe("train", config.toString(), "--out", run.toString(), "--no-progress").code());
        Files.delete(run.resolve("metrics.json")); // as if killed after its last checkpoint
        Path other = tmp.resolve("other.yaml");
        Files.writeString(other, Files.readString(config).replace("seed: 42", "seed: 43"));
        Run r = floe("train", other.toString(), "--resume", run.toString(), "--no-progress");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("made by a different run"), r.err());
    }
}
