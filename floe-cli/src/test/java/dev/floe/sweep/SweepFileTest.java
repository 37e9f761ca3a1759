package dev.floe.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
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

/** Reading a sweep file: expansion into variants and every mistake refused before anything runs. */
class SweepFileTest {

    /** A tiny base config; its data files are found in the datasets folder. */
    static final String BASE = """
            seed: 3
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 120
              eval_fraction: 0.25
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/**"
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 2, batch_size: 32}
            """;

    @TempDir
    Path dir;

    private Sweep load(String sweep) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), BASE);
        Path file = dir.resolve("sweep.yaml");
        Files.writeString(file, sweep);
        return Sweep.load(file, null);
    }

    private static List<String> names(Sweep s) {
        return s.variants().stream().map(Variant::name).toList();
    }

    @Test
    void aGridCrossesTheAxesFirstAxisSlowestNamingValuesByNameOrText() throws Exception {
        Sweep s = load("""
                base: base.yaml
                seeds: [1, 2]
                axes:
                  policy:
                    frozen: [{freeze: "encoder/**"}]
                    full: []
                  optimizer.lr: [0.001, 0.003]
                """);

        assertEquals(List.of("frozen-lr0.001", "frozen-lr0.003", "full-lr0.001", "full-lr0.003"), names(s));
        assertEquals(List.of(1L, 2L), s.seeds());
        Variant v = s.variants().get(3);
        assertEquals(Map.of("policy", "full", "optimizer.lr", "0.003"), v.axes());

        ExperimentConfig cfg = ExperimentConfig.parse(s.configBytes(v, 2), "variant");
        assertEquals(0.003, cfg.optimizer().toSpec().lr(), 1e-12);
        assertEquals(List.of(), cfg.policy(), "named value [] replaces the base policy");
        assertEquals(2L, cfg.seed());
        assertEquals(2, cfg.training().epochs(), "keys the variant does not set keep the base config's values");
        ExperimentConfig frozen = ExperimentConfig.parse(s.configBytes(s.variants().get(0), 1), "variant");
        assertEquals("encoder/**", frozen.policy().get(0).freeze());
    }

    @Test
    void anExplicitListSetsItsKeysAndSeedsDefaultToTheBaseConfigs() throws Exception {
        Sweep s = load("""
                base: base.yaml
                variants:
                  - {name: baseline}
                  - name: wide
                    set:
                      model.components[0].widths: [4, 16]
                      "model.components[1].features": 16     # in {...} flow style a key with [ ] needs quotes
                """);

        assertEquals(List.of("baseline", "wide"), names(s));
        assertEquals(List.of(3L), s.seeds());
        String yaml = new String(s.configBytes(s.variants().get(1), 3), StandardCharsets.UTF_8);
        ExperimentConfig cfg = ExperimentConfig.parse(yaml.getBytes(StandardCharsets.UTF_8), "variant");
        assertEquals(16L, ((dev.floe.config.ComponentConfig.LinearHead) cfg.model().components().get(1)).features());
        assertTrue(yaml.startsWith("# variant wide, seed 3 of sweep sweep.yaml (base base.yaml)"), yaml);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("unknown sweep key", "base: base.yaml\nseed: [1]\naxes: {optimizer.lr: [0.1]}\n",
                        List.of("sweep.yaml line 2", "unknown key 'seed'", "valid keys are axes, base, seeds, variants")),
                Arguments.of("axis path not in the schema", "base: base.yaml\naxes:\n  optimizer.lrate: [0.1]\n",
                        List.of("sweep.yaml line 3", "'optimizer.lrate' is not a config key",
                                "nearest valid keys: optimizer.lr")),
                Arguments.of("section not in the schema", "base: base.yaml\naxes:\n  trainig.epochs: [1]\n",
                        List.of("line 3", "the top level has no key 'trainig'", "nearest valid keys: training")),
                Arguments.of("list index past the base config's list",
                        "base: base.yaml\naxes:\n  model.components[2].widths: [[4]]\n",
                        List.of("line 3", "model.components has 2 entries in the base config")),
                Arguments.of("empty axis", "base: base.yaml\naxes:\n  optimizer.lr: []\n",
                        List.of("line 3", "axes.optimizer.lr", "the axis has no values")),
                Arguments.of("no axes at all", "base: base.yaml\naxes: {}\n", List.of("no axes are given")),
                Arguments.of("a value that makes an invalid config",
                        "base: base.yaml\naxes:\n  optimizer.lr:\n    - 0.1\n    - -2\n",
                        List.of("sweep.yaml line 5", "variant 'lr-2'", "optimizer.lr: -2", "makes an invalid config",
                                "lr must be a finite number > 0")),
                Arguments.of("a policy that matches nothing (checked as floe plan does)",
                        "base: base.yaml\naxes:\n  policy:\n    ok: []\n    typo: [{freeze: \"encodr/**\"}]\n",
                        List.of("line 5", "variant 'typo'", "matches no parameter")),
                Arguments.of("a value whose graph does not wire",
                        "base: base.yaml\nvariants:\n  - name: narrow\n    set:\n      model.components[0].widths: [4, 6]\n",
                        List.of("line 5", "variant 'narrow'", "model.wires[1]", "head.in expects [batch, 8]")),
                Arguments.of("two variants resolving to the same config",
                        "base: base.yaml\nvariants:\n  - {name: a, set: {optimizer.lr: 0.01}}\n  - {name: b}\n",
                        List.of("variants 'a' (optimizer.lr: 0.01) and 'b' (", "give the same config")),
                Arguments.of("two values named alike", "base: base.yaml\naxes:\n  optimizer.lr: [0.1, 0.10]\n",
                        List.of("line 3", "two values are named alike")),
                Arguments.of("invalid base config", "base: missing.yaml\naxes: {optimizer.lr: [0.1]}\n",
                        List.of("sweep.yaml line 1", "the base config is invalid", "missing.yaml")),
                Arguments.of("a variant name that cannot name a folder",
                        "base: base.yaml\nvariants:\n  - {name: a/b, set: {optimizer.lr: 0.02}}\n",
                        List.of("line 3", "may hold only letters, digits")),
                Arguments.of("axes and variants both", "base: base.yaml\naxes: {optimizer.lr: [0.1]}\nvariants: [{name: a}]\n",
                        List.of("line 3", "both axes and variants are given")),
                Arguments.of("seed as an axis besides seeds", "base: base.yaml\nseeds: [1]\naxes: {seed: [2]}\n",
                        List.of("line 3", "seed is set by the sweep's seeds list")),
                Arguments.of("empty seeds", "base: base.yaml\nseeds: []\naxes: {optimizer.lr: [0.1]}\n",
                        List.of("line 2", "seeds", "empty")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void mistakesAreRefusedNamingTheFileLineAndKey(String what, String sweep, List<String> expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(sweep));
        for (String part : expected) {
            assertTrue(e.getMessage().contains(part), what + ": expected '" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void anInvalidBaseConfigIsReportedWithItsOwnLine() throws Exception {
        Files.writeString(dir.resolve("bad.yaml"), BASE.replace("batch_size: 32", "batch_sise: 32"));
        Path file = dir.resolve("sweep.yaml");
        Files.writeString(file, "base: bad.yaml\naxes: {optimizer.lr: [0.1]}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Sweep.load(file, null));
        assertTrue(e.getMessage().contains("bad.yaml line 18") && e.getMessage().contains("unknown key 'batch_sise'"),
                e.getMessage());
    }
}
