package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.run.Experiment;
import dev.floe.run.ExperimentResult;
import dev.floe.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tasks}: one shared body, a head per task, each task with its own data and loss weight. */
class TasksConfigTest {

    @TempDir
    Path base;

    static final String TASKS = """
            seed: 4
            tasks:
              - name: parity
                output: parity_logits
                data: {format: csv, train: {path: a.csv}, num_classes: 2, eval_fraction: 0.25}
              - name: size
                output: size_logits
                weight: 0.5
                data: {format: csv, train: {path: b.csv}, labels: [small, big]}
            model:
              inputs: {x: "[batch, 2]"}
              components:
                - {name: body, type: mlp, inputs: 2, hidden: [8], outputs: 4}
                - {name: parity_head, type: linear_head, features: 4, classes: 2}
                - {name: size_head, type: linear_head, features: 4, classes: 2}
              wires:
                - {from: x, to: body.in}
                - {from: body.out, to: parity_head.in}
                - {from: body.out, to: size_head.in}
              outputs: {parity_logits: parity_head.logits, size_logits: size_head.logits}
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 2, batch_size: 4}
            """;

    private void writeData() throws Exception {
        StringBuilder a = new StringBuilder("u,v,label\n");
        StringBuilder b = new StringBuilder("u,v,label\n");
        for (int i = 0; i < 16; i++) {
            a.append(i).append(',').append(i % 3).append(',').append(i % 2).append('\n');
            b.append(i).append(',').append(-i).append(',').append(i < 6 ? "small" : "big").append('\n');
        }
        Files.writeString(base.resolve("a.csv"), a.toString());
        Files.writeString(base.resolve("b.csv"), b.toString());
    }

    @Test
    void eachTaskReadsItsOwnDataAndTrainsItsOwnHead() throws Exception {
        writeData();
        ExperimentConfig c = parse(TASKS);
        ExperimentData data = ExperimentData.load(c, base);

        assertEquals(List.of("parity", "size"), data.tasks().stream().map(ExperimentData.TaskData::name).toList());
        assertEquals(12, data.train().size()); // the first task's, after eval_fraction
        assertEquals(List.of("small", "big"), data.tasks().get(1).data().labels());
        assertEquals(0.5, data.tasks().get(1).weight());
        assertTrue(data.files().containsKey("tasks[1].data.train.path"), data.files().toString());
        try (Experiment e = Experiment.build(c, base)) {
            float[] sizeHeadBefore = e.graph().parameters().get("size_head/fc/weight").array().toFloatArray();
            ExperimentResult r = e.train(data, TrainingListener.NONE);
            float[] sizeHeadAfter = e.graph().parameters().get("size_head/fc/weight").array().toFloatArray();

            assertEquals(2, r.training().epochs().size());
            assertTrue(!java.util.Arrays.equals(sizeHeadBefore, sizeHeadAfter), "the second task's head trained");
            assertEquals(3 * 2, r.training().steps()); // 12 examples of the first task, batch 4: 3 steps per epoch
        }
    }

    @Test
    void aTaskReadingAnOutputTheModelLacksListsTheOutputs() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse(TASKS.replace("output: size_logits", "output: sizes")));

        assertMentions(e, "tasks[1].output", "'sizes'", "[parity_logits, size_logits]");
    }

    @Test
    void dataAndTasksTogetherAreRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(TASKS.replace("tasks:",
                "data: {format: csv, train: {path: a.csv}, num_classes: 2}\ntasks:")));

        assertMentions(e, "both data and tasks are given");
    }

    @Test
    void aTasksDataErrorNamesTheTask() throws Exception {
        writeData();
        Files.delete(base.resolve("b.csv"));

        ConfigException e = assertThrows(ConfigException.class, () -> ExperimentData.locate(parse(TASKS), base));

        assertEquals("tasks[1].data.train.path", e.where());
        assertMentions(e, "'b.csv' not found");
    }

    @Test
    void aHeadWithTheWrongClassCountNamesTheTask() throws Exception {
        writeData();
        ExperimentConfig c = parse(TASKS.replace("labels: [small, big]", "labels: [small, big, huge]"));
        try (Experiment e = Experiment.build(c, base)) {
            ConfigException bad = assertThrows(ConfigException.class, () -> e.check(ExperimentData.load(c, base)));

            assertMentions(bad, "size_logits", "gives 2 classes", "tasks[1]", "has 3");
        }
    }
}
