package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe reproduce} reruns a run from its manifest alone and gets byte-identical weights (one
 * engine thread); a changed data file stops it before anything runs; {@code floe compare} names what
 * differs between two runs.
 */
class ReproduceCommandTest {

    /** Progressive unfreezing with early stopping on the stem-and-two-blocks encoder: every record a rerun must match. */
    private static final String PROGRESSIVE = ResumeCommandTest.PROGRESSIVE.replace("epochs_per_stage: 5", "epochs_per_stage: 2");

    /** Numbers in four columns with a label, separable by the sign of f0 + f1. */
    private static void writeCsv(Path file, long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder("f0,f1,f2,f3,label\n");
        for (int i = 0; i < 60; i++) {
            double[] f = {r.nextDouble(-1, 1), r.nextDouble(-1, 1), r.nextDouble(-1, 1), r.nextDouble(-1, 1)};
            sb.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,%.4f,%.4f,%d%n", f[0], f[1], f[2], f[3],
                    f[0] + f[1] > 0 ? 1 : 0));
        }
        Files.writeString(file, sb.toString());
    }

    private static String csvConfig(String lr) {
        return """
                seed: 5
                data:
                  format: csv
                  train: {path: numbers.csv}
                  num_classes: 2
                  eval_fraction: 0.25
                model:
                  inputs: {x: "[batch, 4]"}
                  components:
                    - {name: encoder, type: mlp, inputs: 4, hidden: [8], outputs: 8}
                    - {name: head, type: linear_head, features: 8, classes: 2}
                  wires: [{from: x, to: encoder.in}, {from: encoder.out, to: head.in}]
                  outputs: {logits: head.logits}
                policy:
                  - train: "encoder/**"
                    lr_scale: 0.5
                optimizer: {type: adamw, lr: LR}
                training: {epochs: 3, batch_size: 8}
                """.replace("LR", lr);
    }

    @Test
    void aProgressiveRunIsReproducedWithByteIdenticalWeights(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("progressive.yaml");
        Files.writeString(config, PROGRESSIVE);
        Path first = tmp.resolve("first");
        assertEquals(0, floe("train", config.toString(), "--out", first.toString(), "--no-progress").code());
        Files.delete(config); // the manifest alone must be enough

        Path again = tmp.resolve("again");
        Result r = floe("reproduce", first.toString(), "--out", again.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("reproduced: same config, plans, components"), r.out());
        assertTrue(r.out().contains("== results: same"), r.out());
        assertArrayEquals(Files.readAllBytes(first.resolve(TrainCommand.WEIGHTS_FILE)),
                Files.readAllBytes(again.resolve(TrainCommand.WEIGHTS_FILE)), "weights file bytes");
        RunManifest a = RunManifests.read(first);
        RunManifest b = RunManifests.read(again);
        assertEquals(a.id(), b.reproduces());
        assertNotEquals(a.id(), b.id());
        assertEquals(a.recipeSha256(), b.recipeSha256());
        assertEquals(a.outcome().weightsAfter(), b.outcome().weightsAfter());
        assertEquals(a.outcome().finalEval(), b.outcome().finalEval());
        assertEquals(3, a.recipe().stages().size(), "the manifest records every stage's plan");
        assertTrue(a.recipe().graph().components().stream().allMatch(c -> c.weightsBefore().startsWith("sha256:")));
        assertNotEquals(a.recipe().graph().components().get(1).weightsBefore(), a.outcome().weightsAfter().get("head"),
                "the head trained");
    }

    @Test
    void aRunThatStartsFromPretrainedWeightsIsReproducedAndAChangedInitFileIsNamed(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("numbers.csv");
        writeCsv(data, 1);
        Path config = tmp.resolve("pretrain.yaml");
        Files.writeString(config, csvConfig("0.01"));
        Path pretrained = tmp.resolve("pretrained");
        assertEquals(0, floe("train", config.toString(), "--out", pretrained.toString(), "--no-progress").code());

        Path finetune = tmp.resolve("finetune.yaml");
        Files.writeString(finetune, csvConfig("0.003").replace("  outputs: {logits: head.logits}\n",
                "  outputs: {logits: head.logits}\n  init: [{path: pretrained/weights.safetensors}]\n"));
        Path run = tmp.resolve("run");
        Result trained = floe("train", finetune.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, trained.code(), trained.err());
        RunManifest m = RunManifests.read(run);
        assertTrue(m.recipe().files().stream().anyMatch(f -> f.key().equals("model.init[0]")), "init file recorded");

        Result r = floe("reproduce", run.toString(), "--out", tmp.resolve("again").toString(), "--no-progress");
        assertEquals(0, r.code(), r.err() + r.out());
        assertArrayEquals(Files.readAllBytes(run.resolve(TrainCommand.WEIGHTS_FILE)),
                Files.readAllBytes(tmp.resolve("again").resolve(TrainCommand.WEIGHTS_FILE)));

        // retrain the init weights with another seed: the reproduction must refuse and name the file
        Files.writeString(config, csvConfig("0.01").replace("seed: 5", "seed: 6"));
        assertEquals(0, floe("train", config.toString(), "--out", pretrained.toString(), "--force", "--no-progress").code());
        Path refused = tmp.resolve("refused");
        Result changed = floe("reproduce", run.toString(), "--out", refused.toString(), "--no-progress");
        assertEquals(2, changed.code(), changed.out());
        assertTrue(changed.err().contains("model.init[0]") && changed.err().contains("weights.safetensors changed"),
                changed.err());
        assertFalse(Files.exists(refused), "nothing is written when a file changed");
    }

    @Test
    void aChangedDataFileIsAnErrorThatNamesItBeforeAnythingRuns(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("numbers.csv");
        writeCsv(data, 1);
        Path config = tmp.resolve("numbers.yaml");
        Files.writeString(config, csvConfig("0.01"));
        Path run = tmp.resolve("run");
        assertEquals(0, floe("train", config.toString(), "--out", run.toString(), "--no-progress").code());
        writeCsv(data, 2);
        Path again = tmp.resolve("again");
        Result r = floe("reproduce", run.toString(), "--out", again.toString(), "--no-progress");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("floe: data.train.path: " + data.toAbsolutePath().normalize() + " changed"), r.err());
        assertFalse(Files.exists(again));
    }

    @Test
    void aUsedOutputFolderIsRefusedBeforeAnythingIsPrinted(@TempDir Path tmp) throws Exception {
        writeCsv(tmp.resolve("numbers.csv"), 1);
        Path config = tmp.resolve("numbers.yaml");
        Files.writeString(config, csvConfig("0.01"));
        Path run = tmp.resolve("run");
        assertEquals(0, floe("train", config.toString(), "--out", run.toString(), "--no-progress").code());
        Path used = tmp.resolve("used");
        Files.createDirectories(used);
        Files.writeString(used.resolve("notes.txt"), "mine");

        Result r = floe("reproduce", run.toString(), "--out", used.toString(), "--no-progress");

        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals("floe: output folder " + used + " already holds a run; choose another --out or add --force to"
                + " overwrite it", r.err().strip());
        assertEquals("mine", Files.readString(used.resolve("notes.txt")));
    }

    @Test
    void compareNamesTheConfigKeysPlansAndResultsThatDiffer(@TempDir Path tmp) throws Exception {
        writeCsv(tmp.resolve("numbers.csv"), 1);
        Path slow = tmp.resolve("slow.yaml");
        Files.writeString(slow, csvConfig("0.001"));
        Path fast = tmp.resolve("fast.yaml");
        Files.writeString(fast, csvConfig("0.01"));
        assertEquals(0, floe("train", slow.toString(), "--out", tmp.resolve("a").toString(), "--no-progress").code());
        assertEquals(0, floe("train", fast.toString(), "--out", tmp.resolve("b").toString(), "--no-progress").code());
        Result r = floe("compare", tmp.resolve("a").toString(), tmp.resolve("b").toString());
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("== config: 1 difference"), out);
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("optimizer.lr") && l.contains("0.001") && l.contains("0.01")), out);
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("train.encoder/fc1/weight")
                && l.contains("lr 5.0E-4") && l.contains("lr 0.005")), out);
        assertTrue(out.contains("== data: same"), out);
        assertTrue(out.contains("== run: same"), out);
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("head.weights_after")), out);
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("head.weights_before")) == false,
                "same seed, same initial weights: " + out);
    }

    @Test
    void aKilledRunHasAManifestWithoutOutcome(@TempDir Path tmp) throws Exception {
        writeCsv(tmp.resolve("numbers.csv"), 1);
        Path config = tmp.resolve("numbers.yaml");
        Files.writeString(config, csvConfig("0.01"));
        Path run = tmp.resolve("run");
        assertEquals(0, floe("train", config.toString(), "--out", run.toString(), "--no-progress").code());
        RunManifest done = RunManifests.read(run);
        assertNotNull(done.outcome());
        assertEquals(done.outcome().steps(), 3 * 6, "3 epochs of 45 examples in batches of 8");
        Files.delete(run.resolve(TrainCommand.METRICS_FILE));
        RunManifest started = done.finished(null);
        RunManifests.write(run, started);
        Result resumed = floe("train", config.toString(), "--resume", run.toString(), "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        RunManifest after = RunManifests.read(run);
        assertEquals(done.id(), after.id(), "a resumed run keeps its id");
        assertNotNull(after.outcome());
        assertNull(started.outcome());
    }
}
