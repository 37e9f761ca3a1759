package dev.floe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.freeze.FreezeRule;
import dev.floe.optim.OptimizerSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing experiment YAML: the happy path, and the message for each kind of mistake. */
class ExperimentConfigTest {

    /** A complete config; line numbers below refer to this text. */
    static final String YAML = """
            seed: 7
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              test: {images: fashion-mnist/test-images-idx3-ubyte.gz, labels: fashion-mnist/test-labels-idx1-ubyte.gz}
              num_classes: 10
              classes: [5, 6, 7, 8, 9]
              per_class: 20
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, input: [1, 28, 28], widths: [8, 16, 32]}
                - {name: head, type: linear_head, features: 32, classes: 5}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/**"
              - train: "encoder/block2/**"
                lr_scale: 0.1
            optimizer: {type: adamw, lr: 0.002, weight_decay: 0.01}
            training:
              epochs: 3
              batch_size: 64
            """;

    static ExperimentConfig parse(String yaml) {
        return ExperimentConfig.parse(yaml.getBytes(StandardCharsets.UTF_8), "exp.yaml");
    }

    /** Parses {@link #YAML} with {@code from} replaced by {@code to} and returns the error. */
    static ConfigException error(String from, String to) {
        assertTrue(YAML.contains(from), "test bug: the config does not contain " + from);
        return assertThrows(ConfigException.class, () -> parse(YAML.replace(from, to)));
    }

    static void assertMentions(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message lacks \"" + part + "\": " + e.getMessage());
        }
    }

    @Test
    void parsesEverySectionAndFillsDefaults() {
        ExperimentConfig c = parse(YAML);

        assertEquals(7L, c.seed());
        ExperimentConfig.Data d = c.data();
        assertEquals("idx", d.format());
        assertEquals("fashion-mnist/train-images-idx3-ubyte.gz", d.train().images());
        assertEquals(List.of(5, 6, 7, 8, 9), d.classes());
        assertEquals(20, d.perClass());
        assertEquals(0.0, d.evalFraction());
        assertNull(d.limit());
        assertEquals(5, d.effectiveClasses());
        assertEquals(List.of("image"), List.copyOf(c.model().inputs().keySet()));
        assertEquals(new ComponentConfig.ConvEncoder("encoder", List.of(1L, 28L, 28L), List.of(8L, 16L, 32L)),
                c.model().components().get(0));
        assertEquals(new ComponentConfig.LinearHead("head", 32L, 5L, 0.0), c.model().components().get(1));
        assertEquals(new ExperimentConfig.Wire("encoder.features", "head.in"), c.model().wires().get(1));
        assertEquals(Map.of("logits", "head.logits"), c.model().outputs());
        assertEquals(List.of(), c.model().init());
        assertEquals(List.of(FreezeRule.freeze("encoder/**"), FreezeRule.train("encoder/block2/**", 0.1)),
                c.freezePolicy().rules());
        assertEquals(new OptimizerSpec.AdamW(0.002, 0.9, 0.999, 1e-8, 0.01), c.optimizer().toSpec());
        assertEquals(new ExperimentConfig.Training(3, 64, 1, 0.0, null, null), c.training());
    }

    @Test
    void theBundledExampleParses() {
        ExperimentConfig c = ExperimentConfig.load(Path.of("../examples/fashion-finetune.yaml"));
        assertEquals(3, c.policy().size());
        assertEquals(5, c.data().effectiveClasses());
    }

    @Test
    void resolvedJsonReadsBackAsTheSameConfig() {
        ExperimentConfig c = parse(YAML.replace("optimizer: {type: adamw, lr: 0.002, weight_decay: 0.01}",
                "optimizer: {type: sgd, lr: 0.05, momentum: 0.9}"));
        // JSON is YAML, so the loader reads the resolved form too
        assertEquals(c, parse(c.toJson()));
    }

    @Test
    void csvDataTakesAPathAndDefaultsTheLabelColumn() {
        ExperimentConfig c = parse(YAML.replaceAll("(?m)^  (train|test): \\{images.*$", "")
                .replace("format: idx", "format: csv\n  train: {path: iris.csv}")
                .replace("classes: [5, 6, 7, 8, 9]\n  per_class: 20", "eval_fraction: 0.25\n  limit: 100"));
        assertEquals("iris.csv", c.data().train().path());
        assertEquals("label", c.data().labelColumn());
        assertEquals(0.25, c.data().evalFraction());
        assertEquals(100, c.data().limit());
    }

    @Test
    void unknownKeyIsNamedWithItsSectionLineAndTheValidKeys() {
        ConfigException e = error("  batch_size: 64", "  batch_size: 64\n  epoch: 2");

        assertEquals("exp.yaml line 24, column 3: training: unknown key 'epoch'; valid keys are batch_size, class_weights, clip_grad_norm, epochs, gradient_accumulation, lr_schedule;"
                + " fix the spelling or remove the key", e.getMessage());
        assertEquals("training", e.where());
        assertEquals(24, e.line());
    }

    @Test
    void misspeltRequiredKeyIsReportedAsUnknownNotAsMissing() {
        ConfigException e = error("  batch_size: 64", "  batchsize: 64");

        assertMentions(e, "line 23", "training: unknown key 'batchsize'", "valid keys are batch_size, class_weights, clip_grad_norm, epochs, gradient_accumulation, lr_schedule");
    }

    @Test
    void unknownKeyInAComponentListsItsKeysIncludingType() {
        ConfigException e = error("features: 32,", "feature: 32,");

        assertMentions(e, "line 13", "model.components[1]: unknown key 'feature'",
                "valid keys are classes, dropout, features, name, type");
    }

    @Test
    void unknownTopLevelKey() {
        ConfigException e = error("seed: 7", "seed: 7\nepochs: 3");

        assertMentions(e, "line 2", "unknown key 'epochs' at the top level",
                "valid keys are checkpointing, data, layer_decay, layer_decay_by_component, model, optimizer, peft, policy, progressive, seed, stages, tasks, train_bn, training");
    }

    @Test
    void malformedYamlNamesFileLineAndColumn() {
        ConfigException e = error("    lr_scale: 0.1", "   lr_scale: 0.1");

        assertMentions(e, "exp.yaml line 19, column 4: malformed YAML", "check the indentation");
        assertEquals(19, e.line());
    }

    @Test
    void unclosedBraceIsMalformed() {
        ConfigException e = error("{logits: head.logits}", "{logits: head.logits");

        assertMentions(e, "exp.yaml line 16, column 7: malformed YAML", "flow mapping that starts at line 15");
    }

    @Test
    void unknownComponentTypeListsTheValidTypes() {
        ConfigException e = error("type: linear_head", "type: linearhead");

        assertMentions(e, "exp.yaml line 13", "model.components[1]: unknown component type 'linearhead'",
                "valid types are conv_encoder, linear_head, minilm, mlp, mlp_head, torchscript, transformer");
    }

    @Test
    void unknownOptimizerTypeListsTheValidTypes() {
        ConfigException e = error("type: adamw", "type: adam");

        assertMentions(e, "line 20", "optimizer: unknown optimizer type 'adam'; valid types are adamw, sgd");
    }

    @Test
    void unknownPolicyActionIsNamed() {
        ConfigException e = error("  - freeze: \"encoder/**\"", "  - unfreeze: \"encoder/**\"");

        assertMentions(e, "line 17", "policy[0]: unknown action 'unfreeze'", "exactly one of freeze or train");
    }

    @Test
    void policyEntryWithTwoActionsIsRefused() {
        ConfigException e = error("  - freeze: \"encoder/**\"", "  - {freeze: \"encoder/**\", train: head}");

        assertMentions(e, "policy[0]", "both freeze and train", "exactly one action");
    }

    @Test
    void lrScaleOnAFreezeRuleIsRefused() {
        ConfigException e = error("  - freeze: \"encoder/**\"", "  - {freeze: \"encoder/**\", lr_scale: 2}");

        assertMentions(e, "policy[0]: lr_scale is given on freeze rule 'encoder/**'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0.1", "-1e-3", "\"NaN\""})
    void learningRateMustBePositive(String lr) {
        ConfigException e = error("lr: 0.002", "lr: " + lr);

        assertMentions(e, "exp.yaml line 20, column 26: optimizer: lr must be a finite number > 0, found ");
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("epochs: 3", "epochs: 0", "training: epochs must be a positive integer, found 0"),
                Arguments.of("per_class: 20", "per_class: -1", "data: per_class must be a positive integer, found -1"),
                Arguments.of("widths: [8, 16, 32]", "widths: [8, 0, 32]",
                        "model.components[0]: widths must hold positive integers"),
                Arguments.of("lr_scale: 0.1", "lr_scale: 0", "policy[1]: lr_scale must be a finite number > 0"),
                Arguments.of("classes: [5, 6, 7, 8, 9]", "classes: [5, 6, 7, 8, 10]",
                        "data: classes [5, 6, 7, 8, 10] holds 10, outside [0, 10)"),
                Arguments.of("classes: [5, 6, 7, 8, 9]", "classes: [5, 5]", "data: classes [5, 5] lists 5 twice"),
                Arguments.of("format: idx", "format: parquet", "data: format must be idx, csv or text, found 'parquet'"),
                Arguments.of("per_class: 20", "per_class: 20\n  eval_fraction: 0.2",
                        "data: both test and eval_fraction are given"),
                Arguments.of("\"[batch, 1, 28, 28]\"", "\"batch, 1, 28, 28\"",
                        "model.inputs.image: tensor shape 'batch, 1, 28, 28' must be written in brackets"),
                Arguments.of("\"encoder/**\"", "\"encoder/[ab]\"", "path glob 'encoder/[ab]' contains '['"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void badValuesAreNamed(String from, String to, String message) {
        ConfigException e = error(from, to);
        assertMentions(e, message);
        assertTrue(e.line() > 0, "no line in " + e.getMessage());
    }

    @Test
    void everyMissingRequiredKeyIsNamedAtOnce() {
        ConfigException e = error("training:\n  epochs: 3\n  batch_size: 64\n", "training: {}\n");

        assertMentions(e, "line 21", "training: missing required key batch_size",
                "training: {epochs: 3, batch_size: 64}");
    }

    @Test
    void missingSectionsAreNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("seed: 1\n"));

        assertMentions(e, "missing required keys data, model, optimizer, training");
    }

    @Test
    void missingComponentTypeListsTheTypes() {
        ConfigException e = error("{name: head, type: linear_head,", "{name: head,");

        assertMentions(e, "model.components[1]: missing key 'type'; valid types are conv_encoder");
    }

    @Test
    void valueOfTheWrongTypeIsDescribed() {
        ConfigException e = error("epochs: 3", "epochs: three");

        assertMentions(e, "line 22", "training.epochs: expected an integer, found 'three'");
    }

    @Test
    void fractionalEpochsAreNotRoundedSilently() {
        assertMentions(error("epochs: 3", "epochs: 2.5"), "training.epochs: expected an integer, found '2.5'");
    }

    @Test
    void duplicateKeyIsRefused() {
        assertMentions(error("seed: 7", "seed: 7\nseed: 8"), "line 2", "key 'seed' appears twice");
    }

    @Test
    void emptyFileSaysWhatIsExpected() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("# nothing yet\n"));

        assertMentions(e, "exp.yaml: the config is empty", "data, layer_decay, layer_decay_by_component, model, optimizer, peft, policy, progressive, seed, stages, tasks, train_bn, training");
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ExperimentConfig.load(missing));

        assertMentions(e, missing.toString(), "no such file");
    }

    @Test
    void loadNamesTheFileInMessages(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, YAML.replace("epochs: 3", "epochs: 3\n  epoch: 1"));

        ConfigException e = assertThrows(ConfigException.class, () -> ExperimentConfig.load(file));
        assertEquals(file.toString(), e.source());
        assertMentions(e, file + " line 23");
    }
}
