package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest of a multi-task run lists the data sets of every task (task, role, name, path,
 * fingerprint), and {@code floe reproduce} checks them all.
 */
class MultiTaskManifestTest {

    static final String CONFIG = """
            seed: 11
            tasks:
              - name: first
                output: first_logits
                data:
                  format: csv
                  train: {path: a.csv}
                  num_classes: 3
                  eval_fraction: 0.25
              - name: second
                output: second_logits
                weight: 0.5
                data:
                  format: csv
                  train: {path: b.csv}
                  test: {path: b-test.csv}
                  num_classes: 3
            model:
              inputs: {x: "[batch, 4]"}
              components:
                - {name: encoder, type: mlp, inputs: 4, hidden: [8], outputs: 8}
                - {name: first_head, type: linear_head, features: 8, classes: 3}
                - {name: second_head, type: linear_head, features: 8, classes: 3}
              wires:
                - {from: x, to: encoder.in}
                - {from: encoder.out, to: first_head.in}
                - {from: encoder.out, to: second_head.in}
              outputs: {first_logits: first_head.logits, second_logits: second_head.logits}
            optimizer: {type: adamw, lr: 0.02}
            training: {epochs: 2, batch_size: 8}
            """;

    @Test
    void everyTasksDataSetsAreRecordedAndReproduceChecksThem(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.csv"), EvalPredictCommandTest.csv(48, 1, true));
        Files.writeString(dir.resolve("b.csv"), EvalPredictCommandTest.csv(36, 2, true));
        Files.writeString(dir.resolve("b-test.csv"), EvalPredictCommandTest.csv(12, 3, true));
        Path config = Files.writeString(dir.resolve("mt.yaml"), CONFIG);
        Path run = dir.resolve("run");
        Result trained = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, trained.code(), trained.err());

        List<RunManifest.DataRecord> data = RunManifests.read(run).recipe().data();

        assertEquals(List.of("task first train", "task first eval", "task second train", "task second eval"),
                data.stream().map(RunManifest.DataRecord::key).toList());
        Path a = dir.resolve("a.csv").toAbsolutePath().normalize();
        Path b = dir.resolve("b.csv").toAbsolutePath().normalize();
        Path bTest = dir.resolve("b-test.csv").toAbsolutePath().normalize();
        assertEquals(List.of(a.toString(), a.toString(), b.toString(), bTest.toString()),
                data.stream().map(RunManifest.DataRecord::path).toList());
        assertEquals(List.of(36, 12, 36, 12), data.stream().map(RunManifest.DataRecord::examples).toList());
        assertEquals(4, data.stream().map(RunManifest.DataRecord::fingerprint).distinct().count());
        assertTrue(data.get(3).name().contains("b-test.csv"), data.get(3).name());

        Result again = floe("reproduce", run.toString(), "--out", dir.resolve("again").toString(), "--no-progress");
        assertEquals(0, again.code(), again.err() + again.out());
        assertEquals(data, RunManifests.read(dir.resolve("again")).recipe().data());
        assertNotEquals(data.get(0).fingerprint(), data.get(2).fingerprint());
    }
}
