package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.registry.ComponentVersion;
import dev.floe.registry.Registry;
import dev.floe.registry.RegistryLocation;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Configs naming registry versions ({@code from: "registry:NAME@TAG"}): two trained encoders are
 * published, then configs resolve them by number and by a tag that is moved and rolled back.
 */
class RegistryCommandFromConfigTest {

    private static final String CONFIG = """
            seed: %d
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 200
              eval_fraction: 0.2
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - %s
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/**"
            optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
            training: {epochs: 1, batch_size: 32}
            """;
    private static final String OWN_ENCODER = "{name: encoder, type: conv_encoder, widths: [8]}";

    private record Result(int code, String out, String err) {}

    @TempDir
    static Path dir;

    static Path registry;
    static ComponentVersion v1;
    static ComponentVersion v2;

    @BeforeAll
    static void publishTwoTrainedEncoders() throws Exception {
        registry = dir.resolve("registry");
        for (int seed : new int[] {5, 6}) {
            Path run = dir.resolve("source" + seed);
            Path c = Files.writeString(dir.resolve("source" + seed + ".yaml"),
                    CONFIG.formatted(seed, OWN_ENCODER).replace("freeze: \"encoder/**\"", "train: \"**\""));
            Result trained = floe("train", c.toString(), "--out", run.toString(), "--no-progress");
            assertEquals(0, trained.code(), trained.err());
            Result published = floe("registry", "publish", run.toString(), "--component", "encoder", "--name",
                    "fmnist-encoder", "--tag", "prod", "--registry", registry.toString());
            assertEquals(0, published.code(), published.err());
        }
        // publishing v2 with --tag prod moved prod to 2; point it back at 1
        assertEquals(0, floe("registry", "tag", "fmnist-encoder@1", "prod", "--registry", registry.toString()).code());
        try (Registry r = Registry.open(RegistryLocation.folder(registry))) {
            v1 = r.resolve("fmnist-encoder@1");
            v2 = r.resolve("fmnist-encoder@2");
        }
        assertNotEquals(v1.weightsHash(), v2.weightsHash());
    }

    /** Trains a config whose encoder is {@code from}, and returns its manifest. */
    private static RunManifest trainFrom(String name, String from) throws Exception {
        Path c = Files.writeString(dir.resolve(name + ".yaml"),
                CONFIG.formatted(7, "{name: encoder, from: \"" + from + "\"}"));
        Path run = dir.resolve(name);
        Result r = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--registry", registry.toString());
        assertEquals(0, r.code(), r.err());
        return RunManifests.read(run);
    }

    private static String weightsBefore(RunManifest m, String component) {
        return m.recipe().graph().components().stream().filter(c -> c.name().equals(component)).findFirst()
                .orElseThrow().weightsBefore();
    }

    @Test
    void aTagResolvesToItsVersionWhenBuiltAndTheManifestRecordsTheExactVersion() throws Exception {
        RunManifest before = trainFrom("prod-before", "registry:fmnist-encoder@prod");
        assertEquals(v1.weightsHash(), weightsBefore(before, "encoder"));
        RunManifest.SourcedRecord rec = before.recipe().registry().get(0);
        assertEquals(new RunManifest.SourcedRecord("model.components[0].from", "encoder", "fmnist-encoder@prod",
                "fmnist-encoder", 1, v1.blobSha256(), v1.weightsHash()), rec);
        // the frozen encoder leaves training with the version's weights
        assertEquals(v1.weightsHash(), before.outcome().weightsAfter().get("encoder"));

        assertEquals(0, floe("registry", "tag", "fmnist-encoder@2", "prod", "--registry", registry.toString()).code());
        RunManifest moved = trainFrom("prod-moved", "registry:fmnist-encoder@prod");
        assertEquals(v2.weightsHash(), weightsBefore(moved, "encoder"));
        assertEquals(2, moved.recipe().registry().get(0).version());
        assertNotEquals(before.recipeSha256(), moved.recipeSha256());

        Result rolled = floe("registry", "rollback", "fmnist-encoder", "prod", "--registry", registry.toString());
        assertEquals(0, rolled.code(), rolled.err());
        RunManifest back = trainFrom("prod-back", "registry:fmnist-encoder@prod");
        assertEquals(v1.weightsHash(), weightsBefore(back, "encoder"));
        assertEquals(before.recipeSha256(), back.recipeSha256());
        assertEquals(weightsBefore(before, "head"), weightsBefore(back, "head"));

        // the run's resolved config keeps the entry as written, and publishing it records the version's config
        String resolved = Files.readString(dir.resolve("prod-back").resolve(TrainCommand.RESOLVED_FILE));
        assertTrue(resolved.contains("\"from\" : \"registry:fmnist-encoder@prod\"")
                || resolved.contains("\"from\":\"registry:fmnist-encoder@prod\""), resolved);
        assertFalse(resolved.contains("FromSource"), resolved);
        Result published = floe("registry", "publish", dir.resolve("prod-back").toString(), "--component", "encoder",
                "--name", "fmnist-encoder", "--registry", registry.toString());
        assertEquals(0, published.code(), published.err());
        try (Registry r = Registry.open(RegistryLocation.folder(registry))) {
            ComponentVersion v = r.resolve(published.out().strip());
            assertEquals(v1.config(), v.config());
            assertEquals(v1.ref(), v.ledger().parent());
        }
    }

    @Test
    void aVersionNumberResolvesToThatVersionAndPlanShowsTheFrozenEncoder() throws Exception {
        assertEquals(v2.weightsHash(), weightsBefore(trainFrom("pinned", "registry:fmnist-encoder@2"), "encoder"));
        Path c = Files.writeString(dir.resolve("plan.yaml"),
                CONFIG.formatted(7, "{name: encoder, from: \"registry:fmnist-encoder@1\"}"));
        Result plan = floe("plan", c.toString(), "--registry", registry.toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("encoder/"), plan.out());
    }

    @Test
    void aManifestWithoutRegistryComponentsHasNoRegistryList() throws Exception {
        Path c = Files.writeString(dir.resolve("own.yaml"), CONFIG.formatted(7, OWN_ENCODER));
        Path run = dir.resolve("own");
        // no --registry and a registry location that does not exist: a config without from: never opens it
        Result r = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--registry",
                dir.resolve("absent").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(null, RunManifests.read(run).recipe().registry());
        assertFalse(Files.exists(dir.resolve("absent")));
        assertFalse(Files.readString(run.resolve(RunManifests.FILE)).contains("\"registry\""));
    }

    @Test
    void unresolvableReferencesAreOneLineNamingTheKeyTheRefAndWhatExists() throws Exception {
        assertError("registry:fmnist-encoder@nope", registry, "model.components[0].from", "fmnist-encoder@nope",
                "prod → ");
        assertError("registry:fmnist-encoder@9", registry, "model.components[0].from", "fmnist-encoder@9", "versions of fmnist-encoder are [1, 2");
        assertError("registry:other@1", registry, "model.components[0].from", "other@1", "fmnist-encoder");
        Path absent = dir.resolve("no-registry");
        assertError("registry:fmnist-encoder@1", absent, "model.components[0].from", absent.toString(), "does not exist");
        assertFalse(Files.exists(absent));
        assertError("store:fmnist-encoder@1", registry, "model.components[0].from", "store", "registry:");
    }

    @Test
    void aSwapReplacesTheEncoderAndKeepsTheHeadsWeights() throws Exception {
        Path c = Files.writeString(dir.resolve("swap.yaml"), CONFIG.formatted(7, OWN_ENCODER));
        Result plain = floe("train", c.toString(), "--out", dir.resolve("unswapped").toString(), "--no-progress");
        assertEquals(0, plain.code(), plain.err());
        Path run = dir.resolve("swapped");
        Result swapped = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--swap",
                "encoder=fmnist-encoder@2", "--registry", registry.toString());
        assertEquals(0, swapped.code(), swapped.err());
        assertTrue(swapped.out().contains("swap    encoder ← fmnist-encoder@2 (weights " + v2.weightsHash() + ")"),
                swapped.out());
        RunManifest before = RunManifests.read(dir.resolve("unswapped"));
        RunManifest after = RunManifests.read(run);
        assertEquals(v2.weightsHash(), weightsBefore(after, "encoder"));
        assertNotEquals(weightsBefore(before, "encoder"), weightsBefore(after, "encoder"));
        assertEquals(weightsBefore(before, "head"), weightsBefore(after, "head"));
        assertEquals(new RunManifest.SourcedRecord("--swap encoder=fmnist-encoder@2", "encoder", "fmnist-encoder@2",
                "fmnist-encoder", 2, v2.blobSha256(), v2.weightsHash()), after.recipe().registry().get(0));
        // the plan is resolved for the swapped graph: its frozen encoder keeps the version's weights
        assertEquals(v2.weightsHash(), after.outcome().weightsAfter().get("encoder"));
        assertTrue(Files.readString(run.resolve("plan.txt")).contains("encoder/"));

        // reproduce applies the run's swap again
        Result again = floe("reproduce", run.toString(), "--out", dir.resolve("swapped-again").toString(),
                "--registry", registry.toString());
        assertEquals(0, again.code(), again.out() + again.err());
        assertEquals(after.recipeSha256(), RunManifests.read(dir.resolve("swapped-again")).recipeSha256());
    }

    @Test
    void aSwapWithOtherPortsOrAnUnknownComponentIsOneLine() throws Exception {
        Result init = floe("registry", "init", "--name", "small-encoder", "--component-config",
                "{name: encoder, type: conv_encoder, widths: [4]}", "--seed", "1", "--registry", registry.toString());
        assertEquals(0, init.code(), init.err());
        Path c = Files.writeString(dir.resolve("swap-bad.yaml"), CONFIG.formatted(7, OWN_ENCODER));
        for (String[] swap : new String[][] {
                {"encoder=small-encoder@1", "--swap encoder=small-encoder@1", "output port features: expected [batch, 8],"
                        + " found [batch, 4]"},
                {"decoder=fmnist-encoder@1", "--swap decoder=fmnist-encoder@1", "no component named 'decoder'"},
                {"encoder=fmnist-encoder@7", "--swap encoder=fmnist-encoder@7", "versions of fmnist-encoder are [1, 2"}}) {
            Path run = dir.resolve("swap-bad");
            Result r = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--swap", swap[0],
                    "--registry", registry.toString());
            assertEquals(2, r.code(), r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(swap[1]) && r.err().contains(swap[2]), r.err());
            assertFalse(Files.exists(run));
            Result plan = floe("plan", c.toString(), "--swap", swap[0], "--registry", registry.toString());
            assertEquals(new Result(2, "", r.err()), plan, "floe plan refuses the swap as floe train does");
        }
    }

    @Test
    void planWithASwapPrintsThePlanOfTheSwappedGraphAsAFromEntryGivesIt() throws Exception {
        Path own = Files.writeString(dir.resolve("plan-swap.yaml"), CONFIG.formatted(7, OWN_ENCODER));
        Path from = Files.writeString(dir.resolve("plan-from.yaml"),
                CONFIG.formatted(7, "{name: encoder, from: \"registry:fmnist-encoder@2\"}"));
        Result swapped = floe("plan", own.toString(), "--swap", "encoder=fmnist-encoder@2", "--registry",
                registry.toString());
        assertEquals(0, swapped.code(), swapped.err());
        String swapLine = "swap    encoder ← fmnist-encoder@2 (weights " + v2.weightsHash() + ")\n";
        assertTrue(swapped.out().startsWith(swapLine), swapped.out());
        Result named = floe("plan", from.toString(), "--registry", registry.toString());
        assertEquals(0, named.code(), named.err());
        assertEquals(named.out(), swapped.out().substring(swapLine.length()).replace(own.toString(), from.toString()));
        assertTrue(named.out().contains("encoder/"), named.out());
    }

    @Test
    void compareTrainsOncePerVersionWithTheSameResultsAsASwap() throws Exception {
        Path c = Files.writeString(dir.resolve("compare.yaml"), CONFIG.formatted(7, OWN_ENCODER));
        Result compared = floe("registry", "compare", "fmnist-encoder@1", "fmnist-encoder@2", "--config", c.toString(),
                "--registry", registry.toString());
        assertEquals(0, compared.code(), compared.err());
        List<String> accuracy = new ArrayList<>();
        for (int v = 1; v <= 2; v++) {
            Path run = dir.resolve("compare-swap" + v);
            Result r = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--swap",
                    "encoder=fmnist-encoder@" + v, "--registry", registry.toString());
            assertEquals(0, r.code(), r.err());
            accuracy.add(String.format(java.util.Locale.ROOT, "%.4f", RunManifests.read(run).outcome().finalEval().accuracy()));
        }
        String line = compared.out().lines().filter(l -> l.startsWith("eval accuracy")).findFirst().orElseThrow();
        assertEquals(List.of("eval", "accuracy", accuracy.get(0), accuracy.get(1)), Arrays.asList(line.trim().split("\\s+")),
                compared.out());
        assertTrue(compared.out().lines().anyMatch(l -> l.matches("version\\s+fmnist-encoder@1\\s+fmnist-encoder@2")),
                compared.out());
        Result bad = floe("registry", "compare", "fmnist-encoder@1", "small-missing@1", "--config", c.toString(),
                "--registry", registry.toString());
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    private static void assertError(String from, Path reg, String... mentions) throws Exception {
        Path c = Files.writeString(dir.resolve("bad.yaml"), CONFIG.formatted(7, "{name: encoder, from: \"" + from + "\"}"));
        Path run = dir.resolve("bad-run");
        Result r = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--registry", reg.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("floe: "), r.err());
        for (String m : mentions) {
            assertTrue(r.err().contains(m), "lacks " + m + ": " + r.err());
        }
        assertFalse(Files.exists(run), "a run folder was made for a failed build");
    }

    private static Result floe(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = FloeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(Arrays.asList(args));
        int code = cl.execute(all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }
}
