package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.YAML;
import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.error;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.run.Experiment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistakes found by fuzzing configs through {@code floe train}, one test each: every one is refused
 * with a message that names the YAML key (or both keys of a mismatch) in the config's words, never
 * Jackson's or Java's.
 */
class ConfigMistakesTest {

    @TempDir
    Path base;

    private ConfigException buildError(String from, String to) {
        assertTrue(YAML.contains(from), "test bug: the config does not contain " + from);
        ExperimentConfig c = parse(YAML.replace(from, to));
        return assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());
    }

    private static void assertNoJava(ConfigException e) {
        for (String java : new String[] {"Duplicate field", "Numeric value (", "Malformed numeric", "out of range of",
                "LinkedHashMap", "(Boolean)", "(Integer)", "Boolean", "field glob", "unfreeze_layers"}) {
            assertFalse(e.getMessage().contains(java), () -> "'" + java + "' in: " + e.getMessage());
        }
    }

    @Test
    void aSizeAboveWhatAParameterCanHoldIsRefusedAtItsKey() {
        ConfigException e = error("widths: [8, 16, 32]", "widths: [8, 1099511627776, 32]");

        assertEquals("model.components[0]", e.where());
        assertMentions(e, "widths holds 1099511627776 (entry 1), more than 2147483639, the most values one parameter"
                + " can hold; lower it");
        assertTrue(e.line() > 0);
    }

    @Test
    void parametersTooLargeToMakeAreRefusedNamingTheComponent() {
        // fits the size limit, but the weight (2^30 x 32 values) does not fit one parameter
        ConfigException e = buildError("features: 32, classes: 5", "features: 32, classes: 1073741824");

        assertEquals("model.components[1]", e.where());
        assertMentions(e, "parameter head/fc/weight would have shape (1073741824, 32), 34359738368 values",
                "one parameter holds at most 2147483639 values");
    }

    @Test
    void anIntegerTooLargeForItsKeyNamesTheKeyAndTheLimit() {
        assertMentions(error("epochs: 3", "epochs: 1099511627776"),
                "training.epochs: expected an integer at most 2147483647, found 1099511627776");
        assertMentions(error("widths: [8, 16, 32]", "widths: [8, 99999999999999999999, 32]"),
                "model.components[0].widths[1]: expected an integer at most 9223372036854775807, found 99999999999999999999");
    }

    @Test
    void yamlNanAndInfinityAreNamedAtTheirKey() {
        ConfigException lr = error("lr: 0.002", "lr: .nan");
        ConfigException schedule = error("batch_size: 64", "batch_size: 64\n  lr_schedule: {type: warmup_cosine, min_factor: .inf}");

        assertMentions(lr, "line 20", "optimizer.lr: expected a finite number, found .nan");
        assertMentions(schedule, "training.lr_schedule.min_factor: expected a finite number, found .inf");
        assertNoJava(lr);
        assertNoJava(schedule);
    }

    @Test
    void aValueNestedPastTheReadersLimitIsNamedAtItsKey() {
        String deep = "1";
        for (int i = 0; i < 1500; i++) {
            deep = "{deep: " + deep + "}";
        }
        ConfigException e = error("batch_size: 64", "batch_size: 64\n  lr_schedule: " + deep);

        assertMentions(e, "training.lr_schedule", "the YAML nests deeper than a config can (the limit is ");
        assertFalse(e.getMessage().contains("StreamReadConstraints"), e.getMessage());
    }

    @Test
    void aNumberLongerThanTheReadersLimitIsNamedAtItsKey() {
        ConfigException e = error("lr: 0.002", "lr: 0." + "1".repeat(1200));

        assertMentions(e, "optimizer.lr: a number written with 1202 characters is longer than a config can hold");
        assertFalse(e.getMessage().contains("StreamReadConstraints"), e.getMessage());
    }

    @Test
    void aKeyWrittenTwiceInANestedMapNamesTheMapAndTheSecondLine() {
        ConfigException optimizer = error("lr: 0.002,", "lr: 0.002, lr: 0.1,");
        ConfigException schedule = error("batch_size: 64",
                "batch_size: 64\n  lr_schedule: {type: slanted_triangular, ratio: 8, ratio: 16}");

        assertEquals("optimizer", optimizer.where());
        assertMentions(optimizer, "line 20", "optimizer: key 'lr' appears twice; keep one of them");
        assertMentions(schedule, "training.lr_schedule: key 'ratio' appears twice");
        assertNoJava(optimizer);
    }

    @Test
    void aBooleanKeyOfAnotherTypeAsksForTrueOrFalse() {
        ConfigException e = error("seed: 7", "seed: 7\ntrain_bn: [1]");

        assertMentions(e, "train_bn: expected true or false, found a list");
    }

    @Test
    void scheduleErrorsNameTheScheduleKeyWithoutJavaTypes() {
        ConfigException noType = error("batch_size: 64", "batch_size: 64\n  lr_schedule: {warmup_steps: 10}");
        ConfigException mapValue = error("batch_size: 64",
                "batch_size: 64\n  lr_schedule: {type: warmup_cosine, warmup_steps: {deep: 1}}");

        assertEquals("training.lr_schedule", noType.where());
        assertMentions(noType, "schedule has no type");
        assertMentions(mapValue, "training.lr_schedule: warmup_cosine schedule: warmup_steps must be a whole number"
                + " of steps, found a map");
        assertNoJava(mapValue);
    }

    @Test
    void aGlobThatDoesNotCompileIsNamedAtItsKey() {
        ConfigException e = error("- train: \"encoder/block2/**\"", "- train: \"encoder/{block2\"");

        assertEquals("policy[1].train", e.where());
        assertMentions(e, "path glob 'encoder/{block2' has an unclosed '{'");
        assertNoJava(e);
    }

    @Test
    void aStageRuleThatMatchesNothingNamesTheStageAndTheRuleKey() {
        ConfigException e = buildError("training:\n  epochs: 3\n", "stages:\n"
                + "  - {name: head, epochs: 1}\n"
                + "  - {name: top, epochs: 1, policy: [{train: \"encoder/block9/**\"}]}\n"
                + "training:\n");

        assertEquals("stages[1]", e.where());
        assertMentions(e, "rule #3 'train encoder/block9/**' matches no parameter",
                "fix the glob at stages[1].policy[0].train");
    }

    @Test
    void aTopLevelRuleThatMatchesNothingIsNamedAsPolicyUnderProgressive() {
        ExperimentConfig c = parse(YAML
                .replace("training:\n  epochs: 3\n", "progressive: {component: encoder, epochs_per_stage: 1}\ntraining:\n")
                .replace("freeze: \"encoder/**\"", "freeze: \"encoder/nope/**\""));

        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());

        assertEquals("policy", e.where());
        assertMentions(e, "rule #1 'freeze encoder/nope/**' matches no parameter", "fix the glob at policy[0].freeze");
        assertFalse(e.getMessage().contains("stage"), e.getMessage());
    }

    @Test
    void layerDecayForAComponentThatDoesNotExistIsNamed() {
        ConfigException missing = buildError("seed: 7", "seed: 7\nlayer_decay_by_component: {encodr: 0.5}");
        ConfigException range = error("seed: 7", "seed: 7\nlayer_decay_by_component: {encoder: 1.5}");

        assertEquals("layer_decay_by_component.encodr", missing.where());
        assertMentions(missing, "no component named 'encodr'; components are [encoder, head]");
        assertEquals("layer_decay_by_component.encoder", range.where());
        assertMentions(range, "must be in (0, 1], found 1.5");
    }

    @Test
    void anEmptyPolicyEntryNamesItsIndex() {
        ConfigException e = error("    lr_scale: 0.1\n", "    lr_scale: 0.1\n  -\n");

        assertEquals("policy[2]", e.where());
        assertMentions(e, "policy entry 2 is empty");
    }

    @Test
    void idxFilesNameTheMissingKey() {
        ConfigException e = error("labels: fashion-mnist/train-labels-idx1-ubyte.gz}", "lables: x}");

        // the misspelt key is the real mistake; without it, the missing one is named
        assertMentions(e, "unknown key 'lables'");
        ConfigException missing = error(", labels: fashion-mnist/train-labels-idx1-ubyte.gz}", "}");
        assertEquals("data.train", missing.where());
        assertMentions(missing, "train needs images and labels for format idx but lacks labels");
    }

    @Test
    void wireAndOutputEndsThatDoNotExistAreNamedAtTheirKey() {
        ConfigException from = buildError("{from: image, to: encoder.in}", "{from: imag, to: encoder.in}");
        ConfigException to = buildError("to: head.in}", "to: head.inn}");
        ConfigException output = buildError("{logits: head.logits}", "{logits: head.logit}");

        assertEquals("model.wires[0].from", from.where());
        assertMentions(from, "'imag' is not a graph input (model.inputs declares [image])");
        assertEquals("model.wires[1].to", to.where());
        assertMentions(to, "component head has no input port 'inn'; its inputs are [in]");
        assertEquals("model.outputs.logits", output.where());
        assertMentions(output, "component head has no output port 'logit'; its outputs are [logits]");
    }

    @Test
    void anInputShapeMismatchNamesTheInputAndTheComponentKey() {
        ConfigException e = buildError("input: [1, 28, 28]", "input: [1, 1099511627, 28]");

        assertEquals("model.wires[0]", e.where());
        assertMentions(e, "port image is [batch, 1, 28, 28] but encoder.in expects [batch, 1, 1099511627, 28]",
                "image is set by model.inputs.image and encoder.in by model.components[0].input");
    }

    @Test
    void progressiveLayersAndComponentAreCheckedByKey() {
        String progressive = "progressive: {component: encoder, layers: 5, epochs_per_stage: 1}\ntraining:\n";
        ConfigException layers = buildError("training:\n  epochs: 3\n", progressive);
        ConfigException component = buildError("training:\n  epochs: 3\n", progressive.replace("encoder", "encodr"));

        assertEquals("progressive.layers", layers.where());
        assertMentions(layers, "layers is 5 but component encoder has 3 layers [stem, block1, block2]; choose 1 to 3");
        assertNoJava(layers);
        assertEquals("progressive.component", component.where());
        assertMentions(component, "no component named 'encodr'");
    }

    @Test
    void anInputWithoutAShapeIsNamedByKey() {
        ConfigException e = error("inputs: {image: \"[batch, 1, 28, 28]\"}", "inputs: {image: null}");

        assertEquals("model.inputs.image", e.where());
        assertMentions(e, "input image has no shape");
    }
}
