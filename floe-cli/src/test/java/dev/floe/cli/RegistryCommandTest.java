package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.io.Fingerprint;
import dev.floe.registry.ComponentVersion;
import dev.floe.registry.LoadedComponent;
import dev.floe.registry.Registry;
import dev.floe.registry.RegistryLocation;
import dev.floe.run.RunManifests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code floe registry} on real runs of {@code floe train}: the second run starts from the first
 * one's published encoder ({@code model.init} pointing at its blob), so the registry finds the parent.
 */
class RegistryCommandTest {

    private static final String CONFIG = """
            seed: 5
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 200
              eval_fraction: 0.2
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [8]}
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            %s
            policy:
              - train: "encoder/**"
                lr_scale: 0.5
            optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
            training: {epochs: 1, batch_size: 32}
            """;

    private record Result(int code, String out, String err) {}

    @TempDir
    static Path dir;

    static Path registry;
    static Path run1;
    static Path run2;
    static Result published1;
    static Result published2;

    @BeforeAll
    static void trainPublishTrainFromItPublish() throws Exception {
        registry = dir.resolve("registry");
        run1 = dir.resolve("run1");
        Path c1 = Files.writeString(dir.resolve("first.yaml"), CONFIG.formatted(""));
        assertEquals(0, floe("train", c1.toString(), "--out", run1.toString(), "--no-progress").code());
        published1 = floe("registry", "publish", run1.toString(), "--component", "encoder", "--name", "fmnist-encoder",
                "--tag", "candidate", "--registry", registry.toString());
        Path blob;
        try (Registry r = Registry.open(RegistryLocation.folder(registry))) {
            blob = r.blobPath(r.resolve("fmnist-encoder@1"));
        }
        run2 = dir.resolve("run2");
        Path c2 = Files.writeString(dir.resolve("second.yaml"), CONFIG.formatted(
                "  init: [{path: \"" + blob + "\", prefix: \"encoder/\"}]"));
        assertEquals(0, floe("train", c2.toString(), "--out", run2.toString(), "--no-progress").code());
        published2 = floe("registry", "publish", run2.toString(), "--component", "encoder", "--name", "fmnist-encoder",
                "--registry", registry.toString());
    }

    @Test
    void publishPrintsTheNewVersionAndFindsTheParentByWeights() throws Exception {
        assertEquals(new Result(0, "fmnist-encoder@1\n", ""), published1);
        assertEquals(new Result(0, "fmnist-encoder@2\n", ""), published2);
        Result json = reg("show", "fmnist-encoder@2", "--json");
        assertEquals(0, json.code(), json.err());
        JsonNode v = new ObjectMapper().readTree(json.out());
        assertEquals("fmnist-encoder@1", v.path("ledger").path("parent").asText());
        assertEquals(RunManifests.read(run2).id(), v.path("ledger").path("origin").path("run_id").asText());
        assertEquals(RunManifests.read(run2).outcome().weightsAfter().get("encoder"), v.path("weights_hash").asText());
    }

    @Test
    void loadGivesTheTrainedEncoderWithTheHashItsRunRecorded() {
        try (Registry r = Registry.open(RegistryLocation.folder(registry));
                LoadedComponent enc = r.load("fmnist-encoder@2")) {
            String recorded = RunManifests.read(run2).outcome().weightsAfter().get("encoder");
            assertEquals(recorded, Fingerprint.weights(enc.component().parameters().values()));
        }
    }

    @Test
    void listShowLineageAndDiffDescribeTheVersions() {
        Result list = reg("list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("fmnist-encoder") && l.contains("candidate → 1")),
                list.out());
        Result versions = reg("list", "fmnist-encoder");
        assertTrue(versions.out().contains("tag candidate of fmnist-encoder:"), versions.out());

        Result show = reg("show", "fmnist-encoder@candidate");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().startsWith("version    fmnist-encoder@1  (tags: candidate)\n"), show.out());
        assertTrue(show.out().lines().anyMatch(l -> l.trim().startsWith("encoder/stem/conv/weight")
                && l.contains("train") && l.contains("encoder/**")), show.out());
        assertTrue(show.out().contains("origin     run " + RunManifests.read(run1).id()), show.out());

        Result lineage = reg("lineage", "fmnist-encoder@2");
        assertEquals(0, lineage.code(), lineage.err());
        List<String> lines = lineage.out().lines().toList();
        assertTrue(lines.get(0).startsWith("fmnist-encoder@2  run "), lineage.out());
        assertTrue(lines.get(1).startsWith("  from fmnist-encoder@1: "), lineage.out());
        assertTrue(lineage.out().contains("\nfmnist-encoder@1  run "), lineage.out());
        assertTrue(lineage.out().endsWith("  root: its weights did not come from a version in this registry\n"),
                lineage.out());

        Result diff = reg("diff", "fmnist-encoder@1", "fmnist-encoder@2");
        assertEquals(0, diff.code(), diff.err());
        assertTrue(diff.out().contains("ports: same"), diff.out());
        assertTrue(diff.out().contains("origin.run_id: "), diff.out());
        assertTrue(diff.out().lines().anyMatch(l -> l.startsWith("  stem/conv/weight")), diff.out());
    }

    @Test
    void tagAndRollbackMoveThePointerAndKeepItsHistory() {
        Path own = dir.resolve("tags-registry");
        assertEquals(0, floe("registry", "publish", run1.toString(), "--component", "head", "--name", "head",
                "--registry", own.toString()).code());
        assertEquals(0, floe("registry", "publish", run2.toString(), "--component", "head", "--name", "head",
                "--registry", own.toString()).code());
        assertTrue(floe("registry", "tag", "head@1", "prod", "--registry", own.toString()).out()
                .startsWith("head@prod → 1 (new tag, set by "));
        assertTrue(floe("registry", "tag", "head@2", "prod", "--registry", own.toString()).out()
                .startsWith("head@prod → 2 (was 1, set by "));
        Result back = floe("registry", "rollback", "head", "prod", "--registry", own.toString());
        assertEquals(0, back.code(), back.err());
        assertTrue(back.out().startsWith("head@prod → 1 (was 2, rollback by "), back.out());
        Result history = floe("registry", "list", "head", "--registry", own.toString());
        assertEquals(3, history.out().lines().filter(l -> l.matches("\\s+\\d+\\s+(set|rollback).*")).count(),
                history.out());
    }

    @Test
    void badInputIsOneLineOnStderrWithExitCode2() {
        Result name = reg("publish", run1.toString(), "--component", "encoder", "--name", "../escape");
        assertEquals(2, name.code());
        assertEquals("", name.out());
        assertTrue(name.err().startsWith("floe: component name '../escape' is not allowed: it contains a path separator"),
                name.err());
        assertEquals(1, name.err().lines().count(), name.err());

        Result missing = reg("show", "fmnist-encoder@9");
        assertEquals(2, missing.code());
        assertEquals("floe: fmnist-encoder@9 does not exist; versions of fmnist-encoder are [1, 2], tags candidate → 1\n",
                missing.err());

        Result component = reg("publish", run1.toString(), "--component", "decoder", "--name", "x");
        assertEquals(2, component.code());
        assertTrue(component.err().contains("has no component 'decoder'; its components are [encoder, head]"),
                component.err());
    }

    @Test
    void verifyFindsACorruptedBlobAndExportImportMovesVersions() throws Exception {
        Path copy = dir.resolve("copy");
        Path bundle = dir.resolve("bundle");
        java.util.Map<String, Integer> tags;
        try (Registry r = Registry.open(RegistryLocation.folder(registry))) {
            tags = r.tags("fmnist-encoder"); // candidate → 1 at least; other tests may have set more
        }
        List<String> bundled = new ArrayList<>();
        tags.forEach((t, v) -> bundled.add("fmnist-encoder@" + t + " → " + v));
        Result export = reg("export", "fmnist-encoder@2", "--out", bundle.toString());
        assertEquals(0, export.code(), export.err());
        assertEquals("exported fmnist-encoder@1, fmnist-encoder@2 and tags " + String.join(", ", bundled) + " to " + bundle
                + "\n", export.out());
        Result imported = floe("registry", "import-bundle", bundle.toString(), "--registry", copy.toString());
        StringBuilder lines = new StringBuilder("fmnist-encoder@1 imported\nfmnist-encoder@2 imported\n");
        bundled.forEach(t -> lines.append(t).append(" imported\n"));
        assertEquals(lines.toString(), imported.out());
        assertEquals(reg("list", "fmnist-encoder").out(), floe("registry", "list", "fmnist-encoder", "--registry",
                copy.toString()).out(), "the copy lists the same versions, tags and tag histories");
        int candidate = tags.get("candidate");
        assertEquals(0, floe("registry", "tag", "fmnist-encoder@" + (3 - candidate), "candidate", "--registry",
                copy.toString()).code());
        Result conflict = floe("registry", "import-bundle", bundle.toString(), "--registry", copy.toString());
        assertEquals(2, conflict.code());
        assertTrue(conflict.err().startsWith("floe: cannot import " + bundle + ": tag fmnist-encoder@candidate points to"
                + " fmnist-encoder@" + (3 - candidate) + " here but to fmnist-encoder@" + candidate + " in the bundle"),
                conflict.err());
        Result noTags = floe("registry", "import-bundle", bundle.toString(), "--no-tags", "--registry", copy.toString());
        assertEquals("fmnist-encoder@1 already here, unchanged\nfmnist-encoder@2 already here, unchanged\n", noTags.out());
        assertEquals(reg("show", "fmnist-encoder@2", "--json").out(),
                floe("registry", "show", "fmnist-encoder@2", "--json", "--registry", copy.toString()).out());

        assertEquals(0, floe("registry", "verify", "--registry", copy.toString()).code());
        ComponentVersion v;
        Path blob;
        try (Registry r = Registry.open(RegistryLocation.folder(copy))) {
            v = r.resolve("fmnist-encoder@2");
            blob = r.blobPath(v);
        }
        try (FileChannel ch = FileChannel.open(blob, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {42}), ch.size() - 1);
        }
        Result verify = floe("registry", "verify", "--registry", copy.toString());
        assertEquals(1, verify.code());
        assertTrue(verify.out().contains("corrupted " + blob + "  used by fmnist-encoder@2"), verify.out());
        Result show = floe("registry", "diff", "fmnist-encoder@1", "fmnist-encoder@2", "--registry", copy.toString());
        assertEquals(2, show.code());
        assertTrue(show.err().startsWith("floe: fmnist-encoder@2 cannot be loaded: its weight blob " + blob
                + " is corrupted"), show.err());
    }

    @Test
    void importTakesTheComponentFromAnExperimentConfigAndRefusesFilesItCannotRead() throws Exception {
        Path own = dir.resolve("import-registry");
        Path weights = run1.resolve(TrainCommand.WEIGHTS_FILE);
        Result imported = floe("registry", "import", weights.toString(), "--name", "imported", "--config",
                dir.resolve("first.yaml").toString(), "--component", "encoder", "--registry", own.toString());
        assertEquals(new Result(0, "imported@1\n", ""), imported);
        Result show = floe("registry", "show", "imported@1", "--registry", own.toString());
        assertTrue(show.out().contains("origin     imported from " + weights), show.out());
        assertTrue(show.out().contains("weights    " + RunManifests.read(run1).outcome().weightsAfter().get("encoder")),
                show.out());

        Result seeded = floe("registry", "init", "--name", "fresh", "--component-config",
                "{name: encoder, type: conv_encoder, widths: [8]}", "--seed", "11", "--registry", own.toString());
        assertEquals(new Result(0, "fresh@1\n", ""), seeded);

        Path onnx = Files.writeString(dir.resolve("model.onnx"), "not really");
        Result broken = floe("registry", "import", onnx.toString(), "--name", "x", "--component-config",
                "{name: encoder, type: conv_encoder}", "--registry", own.toString());
        assertEquals(2, broken.code());
        assertTrue(broken.err().startsWith("floe: cannot import " + onnx + ": ONNX file " + onnx + ": at byte "),
                broken.err());
        Path keras = Files.writeString(dir.resolve("model.h5"), "not really");
        Path untouched = dir.resolve("untouched-registry");
        Result other = floe("registry", "import", keras.toString(), "--name", "x", "--component-config",
                "{name: encoder, type: conv_encoder}", "--registry", untouched.toString());
        assertEquals(2, other.code());
        assertTrue(other.err().startsWith("floe: cannot import " + keras + ": give a .safetensors, .onnx or .pt"),
                other.err());
        assertFalse(Files.exists(untouched), "the registry is not made for a file it cannot import");
        Result renamed = floe("registry", "import", weights.toString(), "--name", "x", "--config",
                dir.resolve("first.yaml").toString(), "--component", "encoder", "--prefix", "", "--rename",
                "head/=encoder/", "--registry", own.toString());
        assertEquals(2, renamed.code());
        assertTrue(renamed.err().contains("renaming head/=encoder/") && renamed.err().contains("nothing was stored"),
                renamed.err());
        Result noEntry = floe("registry", "import", weights.toString(), "--name", "x", "--config",
                dir.resolve("first.yaml").toString(), "--component", "decoder", "--registry", own.toString());
        assertEquals(2, noEntry.code());
        assertTrue(noEntry.err().contains("has no model.components entry named 'decoder'; its components are"
                + " [encoder, head]"), noEntry.err());
    }

    @Test
    void gcDeletesAnOldBlobNoVersionUsesAndKeepsTheOthers() throws Exception {
        Path own = dir.resolve("gc-registry");
        assertEquals(0, floe("registry", "init", "--name", "kept", "--component-config",
                "{name: encoder, type: conv_encoder, widths: [4]}", "--seed", "3", "--registry", own.toString()).code());
        Path used;
        try (Registry r = Registry.open(RegistryLocation.folder(own))) {
            used = r.blobPath(r.resolve("kept@1"));
        }
        String orphan = "ab".repeat(32);
        Path stray = Files.createDirectories(own.resolve("blobs/ab")).resolve(orphan + ".safetensors");
        Files.copy(used, stray);
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(3)));
        Files.setLastModifiedTime(stray, old);
        Files.setLastModifiedTime(used, old);
        Result dry = floe("registry", "gc", "--dry-run", "--registry", own.toString());
        assertEquals(new Result(0, "would delete 1 unreferenced blob(s), " + String.format(java.util.Locale.ROOT, "%,d",
                Files.size(stray)) + " bytes, and 0 temporary file(s) older than 60 minutes\n  blob " + orphan + "\n", ""),
                dry);
        assertTrue(Files.exists(stray));
        Result gc = floe("registry", "gc", "--registry", own.toString());
        assertTrue(gc.out().startsWith("deleted 1 unreferenced blob(s)"), gc.out());
        assertFalse(Files.exists(stray));
        assertTrue(Files.exists(used));
        Result negative = floe("registry", "gc", "--older-than", "-5", "--registry", own.toString());
        assertEquals(2, negative.code());
        assertTrue(negative.err().startsWith("floe: --older-than -5 is negative"), negative.err());
    }

    @Test
    void anUnreachableDatabaseIsNamedWithoutThePasswordFromPgpassword() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path") + java.io.File.pathSeparator + System.getProperty("jdk.module.path", "") /* tests run on the module path */, FloeMain.class.getName(), "registry", "list",
                "--registry", "jdbc:postgresql://127.0.0.1:" + port + "/models?user=floe", "--blobs",
                dir.resolve("pg-blobs").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", "correct-horse-battery");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.startsWith("floe: cannot connect to the registry database models at 127.0.0.1:" + port),
                output);
        assertFalse(output.contains("correct-horse-battery"), output);
    }

    private static Result reg(String... args) {
        List<String> all = new ArrayList<>(List.of("registry"));
        all.addAll(List.of(args));
        all.add("--registry");
        all.add(registry.toString());
        return floe(all.toArray(String[]::new));
    }

    private static Result floe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
