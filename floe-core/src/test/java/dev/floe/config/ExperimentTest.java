package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.YAML;
import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.data.FashionMnist;
import dev.floe.freeze.FreezePlan;
import dev.floe.io.ModelWeights;
import dev.floe.nn.Param;
import dev.floe.run.Experiment;
import dev.floe.run.ExperimentResult;
import dev.floe.train.TrainingListener;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** From config to graph, plan, data and a trained model. */
class ExperimentTest {

    /** A config folder with no data files in it, so data paths resolve against datasets/. */
    @TempDir
    Path base;

    /** Small and quick: the first 400 training images, a held-out fifth for evaluation, two epochs. */
    static final String TINY = YAML
            .replaceAll("(?m)^  test: .*\\n", "")
            .replace("  classes: [5, 6, 7, 8, 9]\n  per_class: 20\n", "  limit: 400\n  eval_fraction: 0.2\n")
            .replace("widths: [8, 16, 32]", "widths: [4, 8]")
            .replace("features: 32, classes: 5", "features: 8, classes: 10")
            .replace("encoder/block2/**", "encoder/block1/**")
            .replace("epochs: 3", "epochs: 2")
            .replace("batch_size: 64", "batch_size: 32");

    @Test
    void buildsTheGraphAndResolvesThePolicy() {
        try (Experiment e = Experiment.build(parse(YAML), base)) {
            FreezePlan plan = e.plan();
            assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/stem/conv/weight").state());
            assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/block1/conv1/weight").state());
            assertEquals(FreezePlan.State.TRAIN, plan.entry("encoder/block2/conv1/weight").state());
            assertEquals(0.1, plan.entry("encoder/block2/conv1/weight").lrScale());
            assertEquals(FreezePlan.State.TRAIN, plan.entry("head/fc/weight").state());
            assertEquals(7L, e.graph().seed());
            assertEquals("adamw", e.optimizer().name());
        }
    }

    @Test
    void ruleThatMatchesNothingIsNamed() {
        ExperimentConfig c = parse(YAML.replace("encoder/block2/**", "encoder/block9/**"));

        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base));
        assertEquals("policy", e.where());
        assertMentions(e, "rule #2 'train encoder/block9/** lr_scale=0.1' matches no parameter");
    }

    @Test
    void wiringErrorNamesTheWireAndTheKeysThatSetBothEnds() {
        ExperimentConfig c = parse(YAML.replace("features: 32, classes: 5", "features: 31, classes: 5"));

        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base));
        assertEquals("model.wires[1]", e.where());
        assertMentions(e, "port encoder.features is [batch, 32] but head.in expects [batch, 31]",
                "encoder.features is set by model.components[0].widths and head.in by model.components[1].features");
    }

    @Test
    void dataIsFilteredRelabelledAndCutPerClass() {
        ExperimentConfig c = parse(YAML.replace("per_class: 20", "per_class: 20\n  limit: 2000"));

        ExperimentData data = ExperimentData.load(c, base);

        assertEquals(100, data.train().size());
        assertArrayEquals(new int[] {20, 20, 20, 20, 20}, data.train().classCounts());
        // all bundled test images of classes 5..9, relabelled 0..4
        assertEquals(5, data.eval().numClasses());
        assertEquals(285 + 298 + 293 + 297 + 285, data.eval().size());
        Path datasets = FashionMnist.locateDatasets();
        assertEquals(datasets.resolve("fashion-mnist/train-images-idx3-ubyte.gz"), data.files().get("data.train.images"));
    }

    @Test
    void evalFractionHoldsOutPartOfTheTrainingSet() {
        ExperimentData data = ExperimentData.load(parse(TINY), base);

        assertEquals(80, data.eval().size());
        assertEquals(320, data.train().size());
        assertEquals(10, data.train().numClasses());
    }

    @Test
    void missingDataFileSaysWhereItLooked() {
        ExperimentConfig c = parse(YAML.replace("train-images-idx3-ubyte.gz", "train-images.gz"));

        ConfigException e = assertThrows(ConfigException.class, () -> ExperimentData.load(c, base));
        assertEquals("data.train.images", e.where());
        assertMentions(e, "file 'fashion-mnist/train-images.gz' not found; tried " + base.resolve("fashion-mnist"),
                "datasets folder");
    }

    @Test
    void tooFewExamplesForPerClassIsAConfigError() {
        ExperimentConfig c = parse(YAML.replace("per_class: 20", "per_class: 50\n  limit: 300"));

        ConfigException e = assertThrows(ConfigException.class, () -> ExperimentData.load(c, base));
        assertEquals("data.per_class", e.where());
        assertMentions(e, "lower per_class or raise limit");
    }

    @Test
    void headThatDoesNotMatchTheClassesIsRefusedBeforeTraining() {
        ExperimentConfig c = parse(TINY.replace("features: 8, classes: 10", "features: 8, classes: 5"));
        try (Experiment e = Experiment.build(c, base)) {
            ExperimentData data = ExperimentData.load(c, base);

            ConfigException bad = assertThrows(ConfigException.class, () -> e.check(data));
            assertMentions(bad, "gives 5 classes but the data has 10", "set the classes of component head to 10");
        }
    }

    @Test
    void initLoadsSavedWeightsUnderItsPrefix() throws Exception {
        ExperimentConfig first = parse(YAML);
        Map<String, float[]> saved = new LinkedHashMap<>();
        try (Experiment e = Experiment.build(first, base)) {
            ModelWeights.save(e.graph(), base.resolve("encoder.safetensors"), Map.of(), "encoder/");
            e.graph().parameters().forEach((path, p) -> saved.put(path, p.toFloatArray()));
        }
        ExperimentConfig second = parse(YAML.replace("seed: 7", "seed: 8").replace("  outputs: {logits: head.logits}",
                "  outputs: {logits: head.logits}\n  init: [{path: encoder.safetensors, prefix: \"encoder/\"}]"));

        try (Experiment e = Experiment.build(second, base)) {
            for (Param p : e.graph().parameters().values()) {
                boolean same = java.util.Arrays.equals(saved.get(p.path()), p.toFloatArray());
                if (p.path().startsWith("encoder/")) {
                    assertTrue(same, p.path() + " was not loaded");
                } else if (p.path().endsWith("weight")) {
                    assertFalse(same, p.path() + " should keep its own initialisation");
                }
            }
        }
    }

    @Test
    void missingInitFileIsNamed() {
        ExperimentConfig c = parse(YAML.replace("  outputs: {logits: head.logits}",
                "  outputs: {logits: head.logits}\n  init: [{path: nope.safetensors}]"));

        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base));
        assertEquals("model.init[0].path", e.where());
        assertMentions(e, "file 'nope.safetensors' not found");
    }

    @Test
    void trainingKeepsFrozenWeightsAndRecordsProvenance() throws Exception {
        ExperimentConfig c = parse(TINY);
        try (Experiment e = Experiment.build(c, base)) {
            ExperimentData data = ExperimentData.load(c, base);
            float[] stem = e.graph().parameters().get("encoder/stem/conv/weight").toFloatArray();
            float[] top = e.graph().parameters().get("encoder/block1/conv1/weight").toFloatArray();

            ExperimentResult r = e.train(data, TrainingListener.NONE);

            assertArrayEquals(stem, e.graph().parameters().get("encoder/stem/conv/weight").toFloatArray());
            assertFalse(java.util.Arrays.equals(top, e.graph().parameters().get("encoder/block1/conv1/weight")
                    .toFloatArray()));
            assertEquals(2, r.training().epochs().size());
            assertEquals(e.plan().trainableCount(), r.trainableParams());
            assertEquals(e.plan().trainableCount() * 8, r.optimizerStateBytes());
            assertEquals(data.train().fingerprint(), r.train().fingerprint());

            JsonNode json = new ObjectMapper().readTree(r.toJson("abc"));
            assertEquals(ExperimentResult.FORMAT, json.get("format").asText());
            assertEquals("abc", json.get("config_sha256").asText());
            assertEquals(7, json.get("seed").asLong());
            assertEquals(2, json.get("epochs").size());
            assertTrue(json.get("epochs").get(1).get("eval_accuracy").isNumber());
            assertEquals(80, json.get("final_eval").get("examples").asInt());
            assertEquals(r.totalParams(), json.get("params").get("total").asLong());
            assertEquals("0.36.0", json.get("versions").get("djl").asText());
            assertTrue(json.get("versions").has("java"));
        }
    }

    @Test
    void withoutEvaluationDataMetricsHoldNulls() throws Exception {
        ExperimentConfig c = parse(TINY.replace("  eval_fraction: 0.2\n", "").replace("epochs: 2", "epochs: 1"));
        try (Experiment e = Experiment.build(c, base)) {
            ExperimentResult r = e.train(ExperimentData.load(c, base), TrainingListener.NONE);

            assertNull(r.training().finalEval());
            JsonNode json = new ObjectMapper().readTree(r.toJson(null));
            assertTrue(json.get("final_eval").isNull());
            assertTrue(json.get("epochs").get(0).get("eval_loss").isNull());
            assertTrue(json.get("data").get("eval").isNull());
        }
    }
}
