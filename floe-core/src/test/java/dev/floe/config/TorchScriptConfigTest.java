package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.freeze.FreezePlan.State;
import dev.floe.run.Experiment;
import dev.floe.train.TrainingListener;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code type: torchscript}: a saved TorchScript module's parameters train as Floe parameters. */
class TorchScriptConfigTest {

    @TempDir
    Path base;

    /** An 8 → 3 TorchScript MLP (see dev/floe/torchscript/make_model.py) under a new linear head. */
    static final String CONFIG = """
            data: {format: csv, train: {path: train.csv}, num_classes: 2}
            model:
              inputs: {x: "[batch, 8]"}
              components:
                - {name: ts, type: torchscript, file: mlp.pt, inputs: {x: "[batch, 8]"}, outputs: {y: "[batch, 3]"}}
                - {name: head, type: linear_head, features: 3, classes: 2}
              wires: [{from: x, to: ts.x}, {from: ts.y, to: head.in}]
              outputs: {logits: head.logits}
            POLICY
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 2, batch_size: 2}
            """;

    private ExperimentConfig setUp(String policy) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/dev/floe/torchscript/mlp_scripted.pt")) {
            Files.write(base.resolve("mlp.pt"), in.readAllBytes());
        }
        StringBuilder csv = new StringBuilder("a,b,c,d,e,f,g,h,label\n");
        for (int i = 0; i < 8; i++) {
            csv.append(String.join(",", java.util.Collections.nCopies(8, Integer.toString(i % 3)))).append(',')
                    .append(i % 2).append('\n');
        }
        Files.writeString(base.resolve("train.csv"), csv.toString());
        return parse(CONFIG.replace("POLICY", policy));
    }

    @Test
    void theModulesParametersTrainAndFreezeRulesSelectThem() throws Exception {
        ExperimentConfig c = setUp("policy: [{freeze: \"ts/**\"}, {train: \"ts/*2*\"}]");
        try (Experiment e = Experiment.build(c, base)) {
            String first = e.plan().entries().keySet().stream().filter(p -> p.startsWith("ts/")).findFirst().orElseThrow();
            String trained = e.plan().entries().entrySet().stream()
                    .filter(en -> en.getKey().startsWith("ts/") && en.getValue().state() == State.TRAIN)
                    .map(java.util.Map.Entry::getKey).findFirst().orElseThrow();
            assertEquals(State.FROZEN, e.plan().entries().get(first).state());
            float[] frozenBefore = e.graph().parameters().get(first).array().toFloatArray();
            float[] trainedBefore = e.graph().parameters().get(trained).array().toFloatArray();

            e.train(ExperimentData.load(c, base), TrainingListener.NONE);

            assertTrue(Arrays.equals(frozenBefore, e.graph().parameters().get(first).array().toFloatArray()));
            assertFalse(Arrays.equals(trainedBefore, e.graph().parameters().get(trained).array().toFloatArray()));
        }
    }

    @Test
    void aMissingFileIsNamedByItsKey() throws Exception {
        setUp("");
        ExperimentConfig c = parse(CONFIG.replace("POLICY", "").replace("file: mlp.pt", "file: nowhere.pt"));

        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertEquals("model.components[0].file", e.where());
        assertMentions(e, "nowhere.pt");
    }

    @Test
    void anOutputShapeTheModuleDoesNotGiveIsRefused() throws Exception {
        setUp("");
        ExperimentConfig c = parse(CONFIG.replace("POLICY", "").replace("outputs: {y: \"[batch, 3]\"}",
                "outputs: {y: \"[batch, 4]\"}").replace("features: 3", "features: 4"));

        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertTrue(e.where().startsWith("model.components[0]"), e.where());
        assertMentions(e, "[batch, 4]");
    }
}
