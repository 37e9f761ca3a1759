package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code floe plan}, run in-process on the bundled example. */
class PlanCommandTest {

    /** Tests run in floe-cli/. */
    static final Path EXAMPLE = Path.of("../examples/fashion-finetune.yaml");

    /** Exit code and what a command printed. */
    record Result(int code, String out, String err) {}

    /** Runs {@code floe args...} in this JVM, capturing its output. */
    static Result floe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** The example with {@code from} replaced by {@code to}, written to {@code dir}. */
    static Path exampleWith(Path dir, String from, String to) throws Exception {
        String text = Files.readString(EXAMPLE);
        assertTrue(text.contains(from), "test bug: the example does not contain " + from);
        Path file = dir.resolve("changed.yaml");
        Files.writeString(file, text.replace(from, to));
        return file;
    }

    @Test
    void printsOneLinePerDeclaredLayerWithStateRuleLrBytesAndCache() {
        Result r = floe("plan", EXAMPLE.toString());

        assertEquals(0, r.code(), r.err());
        java.util.List<String> rows = r.out().lines().filter(l -> l.startsWith("encoder/") || l.startsWith("head/")).toList();
        assertEquals(java.util.List.of("encoder/stem", "encoder/block1", "encoder/block2", "head/fc"),
                rows.stream().map(l -> l.split("\\s+")[0]).toList(), r.out());
        assertTrue(r.out().startsWith("layer "), r.out());
        String stem = rows.get(0);
        assertTrue(stem.contains("frozen") && stem.contains("#1 freeze encoder/**") && stem.contains(" no "), stem);
        String top = rows.get(2);
        // 58,112 params (384 of them BatchNorm statistics) × 4 B; the 57,728 that train at 0.005 × 0.1 cost AdamW 8 B each
        assertTrue(top.contains("train") && top.contains(" 0.0005 ") && top.contains("#2 train encoder/block2/**"), top);
        assertTrue(top.contains("232,448") && top.contains("461,824"), top);
        assertTrue(r.out().contains("trainable "), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("encoder/stem/conv/weight")), "no per-tensor rows by default");
    }

    @Test
    void paramsPrintsWhichParametersTrainAndWhichAreFrozen() {
        Result r = floe("plan", EXAMPLE.toString(), "--params");

        assertEquals(0, r.code(), r.err());
        String stem = r.out().lines().filter(l -> l.startsWith("encoder/stem/conv/weight ")).findFirst().orElseThrow(
                () -> new AssertionError("no row for encoder/stem/conv/weight in\n" + r.out()));
        assertTrue(stem.contains("frozen") && stem.contains("#1 freeze encoder/**"), stem);
        String top = r.out().lines().filter(l -> l.startsWith("encoder/block2/conv1/weight ")).findFirst().orElseThrow();
        assertTrue(top.contains("train") && top.contains("0.1000"), top);
        assertTrue(r.out().contains("trainable "), r.out());
    }

    @Test
    void showsPerLayerWhetherItIsCheckpointedAndTheActivationBytesItKeeps(@TempDir Path dir) throws Exception {
        Result plain = floe("plan", EXAMPLE.toString());
        Path config = exampleWith(dir, "optimizer:", "checkpointing: [\"encoder/block*\"]\noptimizer:");
        Result r = floe("plan", config.toString());

        assertEquals(0, r.code(), r.err());
        assertTrue(plain.out().contains("(checkpointing: none)"), plain.out());
        assertTrue(r.out().contains("(checkpointing: encoder/block*)"), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("  segment ")), "no separate activation table:\n" + r.out());
        String header = r.out().lines().filter(l -> l.startsWith("layer ")).findFirst().orElseThrow();
        assertEquals(List.of("checkpointed", "act_B", "act_kept_B"), List.of(header.trim().split("\\s+")).subList(7, 10), header);
        String[] block = cells(r.out(), "encoder/block1");
        assertEquals("yes", block[7], String.join(" ", block));
        long without = Long.parseLong(block[8].replace(",", ""));
        long with = Long.parseLong(block[9].replace(",", ""));
        assertTrue(with < without / 2, "a checkpointed block keeps only its output: " + String.join(" ", block));
        String[] plainBlock = cells(plain.out(), "encoder/block1");
        assertEquals(List.of("no", block[8], block[8]), List.of(plainBlock).subList(7, 10), "unchanged without checkpointing");
        assertEquals("no", cells(r.out(), "encoder/stem")[7]);

        Result json = floe("plan", config.toString(), "--json", "-");
        assertEquals(0, json.code(), json.err());
        com.fasterxml.jackson.databind.JsonNode act = dev.floe.io.Json.mapper().readTree(json.out()).get("activations");
        assertEquals("[\"encoder/block*\"]", act.get("checkpointing").toString());
        long kept = 0;
        boolean sawBlock = false;
        for (com.fasterxml.jackson.databind.JsonNode seg : act.get("segments")) {
            if (seg.get("path").asText().equals("encoder/block1")) {
                sawBlock = true;
                assertTrue(seg.get("checkpointed").asBoolean(), seg.toString());
                assertEquals(without, seg.get("bytes").asLong());
                assertEquals(with, seg.get("kept_bytes").asLong());
            }
            kept += seg.get("path").asText().contains("/") ? 0 : seg.get("kept_bytes").asLong();
        }
        assertTrue(sawBlock, act.toString());
        assertEquals(act.get("total_kept_bytes").asLong(), kept, "components' kept bytes add up to the total");
    }

    /** The whitespace-separated cells of the per-layer table's row for {@code layer}. */
    private static String[] cells(String out, String layer) {
        return out.lines().filter(l -> l.startsWith(layer + " ")).findFirst().orElseThrow(
                () -> new AssertionError("no row for " + layer + " in\n" + out)).trim().split("\\s+");
    }

    @Test
    void ruleThatMatchesNothingExitsWith2AndNamesTheRule(@TempDir Path dir) throws Exception {
        Path config = exampleWith(dir, "encoder/block2/**", "encoder/block7/**");

        Result r = floe("plan", config.toString());

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: " + config + ": policy: rule #2 'train encoder/block7/** lr_scale=0.1'"
                + " matches no parameter"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void invalidConfigExitsWith2NamingFileAndLine(@TempDir Path dir) throws Exception {
        Path config = exampleWith(dir, "batch_size: 10", "batch_size: 10, epoch: 2");

        Result r = floe("plan", config.toString());

        assertEquals(2, r.code());
        assertTrue(r.err().contains(config + " line "), r.err());
        assertTrue(r.err().contains("training: unknown key 'epoch'; valid keys are batch_size, class_weights, clip_grad_norm, epochs, gradient_accumulation, lr_schedule"), r.err());
    }

    @Test
    void writesThePlanAsJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("plan.json");

        Result r = floe("plan", EXAMPLE.toString(), "--json", json.toString());

        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("encoder/stem ")), r.out());
        assertTrue(r.out().contains("wrote " + json));
        JsonNode plan = new ObjectMapper().readTree(json.toFile());
        assertEquals("adamw", plan.get("optimizer").asText());
        JsonNode stem = plan.get("parameters").get(0);
        assertEquals("encoder/stem/conv/weight", stem.get("path").asText());
        assertEquals("frozen", stem.get("state").asText());
        assertTrue(plan.get("totals").get("trainable_params").asLong() > 0);
    }

    @Test
    void jsonDashPrintsOnlyJson() throws Exception {
        Result r = floe("plan", EXAMPLE.toString(), "--json", "-");

        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals("encoder/stem/conv/weight", plan.get("parameters").get(0).get("path").asText());
    }

    @Test
    void listsTheDataFilesItFoundWithoutReadingThem() {
        Result r = floe("plan", EXAMPLE.toString());

        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("data files: found and readable (contents not read; floe train checks them)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  data.train.images ")
                && l.endsWith("train-images-idx3-ubyte.gz")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  data.test.labels ")), r.out());
    }

    @Test
    void missingDataFileExitsWith2NamingTheKeyAndPrintsNoPlan(@TempDir Path dir) throws Exception {
        Path config = exampleWith(dir, "fashion-mnist/test-labels-idx1-ubyte.gz", "fashion-mnist/no-such-labels.gz");

        Result r = floe("plan", config.toString());

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: " + config + ": data.test.labels: file 'fashion-mnist/no-such-labels.gz'"
                + " not found"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingConfigFileExitsWith2() {
        Result r = floe("plan", "no-such-config.yaml");

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: no-such-config.yaml: no such file"), r.err());
    }
}
