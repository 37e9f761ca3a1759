package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes a user makes with {@code floe registry}: publishing a run twice, a mistyped registry path. */
class RegistryMistakesTest {

    @TempDir
    static Path dir;

    static Path run;

    /** A tiny CSV run: an MLP body and a linear head, one epoch. */
    @BeforeAll
    static void train() throws Exception {
        Random rnd = new Random(3);
        StringBuilder csv = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 40; i++) {
            int label = i % 2;
            csv.append(String.format(Locale.ROOT, "%.3f,%.3f,%d%n", label + rnd.nextGaussian() * 0.3,
                    rnd.nextGaussian(), label));
        }
        Files.writeString(dir.resolve("train.csv"), csv);
        Path config = Files.writeString(dir.resolve("tiny.yaml"), """
                seed: 1
                data: {format: csv, train: {path: train.csv}, num_classes: 2, eval_fraction: 0.25}
                model:
                  inputs: {x: "[batch, 2]"}
                  components:
                    - {name: body, type: mlp, inputs: 2, hidden: [4], outputs: 4}
                    - {name: head, type: linear_head, features: 4, classes: 2}
                  wires: [{from: x, to: body.in}, {from: body.out, to: head.in}]
                  outputs: {logits: head.logits}
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 10}
                """);
        run = dir.resolve("run");
        PlanCommandTest.Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void publishingTheSameRunTwiceRecordsOneVersionAndMovesTheTag() {
        String reg = dir.resolve("reg-twice").toString();
        PlanCommandTest.Result first = floe("registry", "publish", run.toString(), "--component", "body", "--name",
                "body", "--registry", reg);
        assertEquals(0, first.code(), first.err());
        assertEquals("body@1\n", first.out());
        PlanCommandTest.Result again = floe("registry", "publish", run.toString(), "--component", "body", "--name",
                "body", "--tag", "prod", "--registry", reg);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().startsWith("body@1 (already published from run "), again.out());
        assertTrue(again.out().contains("no new version, tag prod points at it"), again.out());

        PlanCommandTest.Result list = floe("registry", "list", "body", "--registry", reg);
        assertEquals(0, list.code(), list.err());
        assertFalse(list.out().lines().anyMatch(l -> l.startsWith("2 ")), "no second version: " + list.out());
        PlanCommandTest.Result prod = floe("registry", "show", "body@prod", "--registry", reg);
        assertTrue(prod.out().startsWith("version    body@1  (tags: prod)"), prod.out());

        // the same weights under another name, or another component, are still new versions
        PlanCommandTest.Result other = floe("registry", "publish", run.toString(), "--component", "body", "--name",
                "body-copy", "--registry", reg);
        assertEquals("body-copy@1\n", other.out());
        PlanCommandTest.Result head = floe("registry", "publish", run.toString(), "--component", "head", "--name",
                "body", "--registry", reg);
        assertEquals("body@2\n", head.out());
    }

    @Test
    void readingCommandsRefuseARegistryFolderThatDoesNotExistAndCreateNothing() {
        Path missing = dir.resolve("no-such").resolve("registry");
        for (String[] args : new String[][] {{"list"}, {"show", "body@1"}, {"lineage", "body@1"}, {"verify"},
                {"tag", "body@1", "prod"}, {"rollback", "body", "prod"}, {"gc", "--dry-run"}}) {
            String[] all = new String[args.length + 3];
            all[0] = "registry";
            System.arraycopy(args, 0, all, 1, args.length);
            all[all.length - 2] = "--registry";
            all[all.length - 1] = missing.toString();
            PlanCommandTest.Result r = floe(all);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().startsWith("floe: registry " + missing + " does not exist, so floe registry " + args[0]
                    + " has nothing to read; check --registry or FLOE_REGISTRY"), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        assertFalse(Files.exists(dir.resolve("no-such")), "nothing was created");
    }

    @Test
    void aFailedPublishImportOrInitIntoANewRegistryPathLeavesNoRegistryThere() {
        Path fresh = dir.resolve("fresh").resolve("registry");
        PlanCommandTest.Result missingRun = floe("registry", "publish", dir.resolve("no-run").toString(), "--component",
                "body", "--name", "body", "--registry", fresh.toString());
        assertEquals(2, missingRun.code(), missingRun.err());
        PlanCommandTest.Result typo = floe("registry", "publish", run.toString(), "--component", "bdy", "--name",
                "body", "--registry", fresh.toString());
        assertEquals(2, typo.code(), typo.err());
        assertTrue(typo.err().startsWith("floe: run " + run + " has no component 'bdy'"), typo.err());
        PlanCommandTest.Result init = floe("registry", "init", "--name", "x", "--component-config",
                "{name: body, type: mlpp}", "--seed", "1", "--registry", fresh.toString());
        assertEquals(2, init.code(), init.err());
        PlanCommandTest.Result bundle = floe("registry", "import-bundle", dir.resolve("no-bundle").toString(),
                "--registry", fresh.toString());
        assertEquals(2, bundle.code(), bundle.err());
        assertFalse(Files.exists(dir.resolve("fresh")), "no registry was created for the failed commands");

        PlanCommandTest.Result ok = floe("registry", "publish", run.toString(), "--component", "body", "--name", "body",
                "--registry", fresh.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.isRegularFile(fresh.resolve("registry.db")), "a publish that succeeds creates it");
    }

    @Test
    void aFolderWithoutARegistryDatabaseIsNotTakenForAnEmptyRegistry() throws Exception {
        PlanCommandTest.Result r = floe("registry", "list", "--registry", run.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("floe: registry " + run + " is not a registry: it has no registry.db"), r.err());
        assertFalse(Files.exists(run.resolve("registry.db")), "the run folder was left alone");
    }
}
