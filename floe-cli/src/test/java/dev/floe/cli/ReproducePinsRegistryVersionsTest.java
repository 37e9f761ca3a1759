package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe reproduce} of a run whose encoder came from {@code registry:NAME@prod} uses the version
 * the run resolved, even after the tag has moved: same recipe, byte-identical weights.
 */
class ReproducePinsRegistryVersionsTest {

    private static final String CONFIG = """
            seed: %d
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 120
              eval_fraction: 0.25
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - %s
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - %s
            optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
            training: {epochs: 1, batch_size: 30}
            """;

    @Test
    void aMovedTagStillReproducesTheVersionTheRunUsed(@TempDir Path dir) throws Exception {
        Path registry = dir.resolve("registry");
        for (int seed : new int[] {5, 6}) {
            Path c = Files.writeString(dir.resolve("src" + seed + ".yaml"),
                    CONFIG.formatted(seed, "{name: encoder, type: conv_encoder, widths: [8]}", "train: \"**\""));
            Path run = dir.resolve("src" + seed);
            assertEquals(0, floe("train", c.toString(), "--out", run.toString(), "--no-progress").code());
            assertEquals(0, floe("registry", "publish", run.toString(), "--component", "encoder", "--name", "enc",
                    "--tag", "prod", "--registry", registry.toString()).code());
        }
        assertEquals(0, floe("registry", "tag", "enc@1", "prod", "--registry", registry.toString()).code());
        Path c = Files.writeString(dir.resolve("from.yaml"),
                CONFIG.formatted(7, "{name: encoder, from: \"registry:enc@prod\"}", "freeze: \"encoder/**\""));
        Path run = dir.resolve("run");
        Result trained = floe("train", c.toString(), "--out", run.toString(), "--no-progress", "--registry", registry.toString());
        assertEquals(0, trained.code(), trained.err());
        assertEquals(1, RunManifests.read(run).recipe().registry().get(0).version());

        assertEquals(0, floe("registry", "tag", "enc@2", "prod", "--registry", registry.toString()).code());
        Path again = dir.resolve("again");
        Result r = floe("reproduce", run.toString(), "--out", again.toString(), "--no-progress", "--registry",
                registry.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("reproduced:"), r.out());
        RunManifest a = RunManifests.read(run);
        RunManifest b = RunManifests.read(again);
        assertEquals(a.recipeSha256(), b.recipeSha256());
        assertEquals(1, b.recipe().registry().get(0).version(), "pinned to the version the run used, not prod's");
        assertArrayEquals(Files.readAllBytes(run.resolve(TrainCommand.WEIGHTS_FILE)),
                Files.readAllBytes(again.resolve(TrainCommand.WEIGHTS_FILE)));
    }
}
