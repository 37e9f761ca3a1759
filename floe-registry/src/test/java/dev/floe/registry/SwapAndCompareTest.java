package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.io.Fingerprint;
import dev.floe.run.Experiment;
import dev.floe.run.ExperimentResult;
import dev.floe.train.TrainingListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --swap} (a component replaced by a version before the graph is built) and
 * {@code registry compare} (one training per version swapped in) on both stores.
 */
class SwapAndCompareTest {

    /** A small encoder and head on 200 bundled Fashion-MNIST images, one epoch. */
    private static final String CONFIG = """
            seed: 7
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 200
              eval_fraction: 0.2
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [4]}
                - {name: head, type: linear_head, features: 4, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/**"
            optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
            training: {epochs: 1, batch_size: 32}
            """;
    private static final String ENCODER = "{name: encoder, type: conv_encoder, widths: [4]}";

    @TempDir
    Path tmp;

    private static ExperimentConfig config() {
        return ExperimentConfig.parse(CONFIG.getBytes(StandardCharsets.UTF_8), "compare.yaml");
    }

    private static String hash(Experiment e, String component) {
        return Fingerprint.weights(e.graph().component(component).parameters().values());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void aSwapTakesTheVersionsWeightsAndKeepsTheHeadsAndCompareTrainsAsTheSwapDoes(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        ComponentVersion v1;
        ComponentVersion v2;
        try (Registry registry = Registry.open(where)) {
            v1 = registry.initialise(TestRuns.yaml(ENCODER), 1, "enc", null);
            v2 = registry.initialise(TestRuns.yaml(ENCODER), 2, "enc", "prod");
            registry.initialise(TestRuns.yaml("{name: encoder, type: conv_encoder, widths: [2]}"), 1, "small", null);
        }
        assertNotEquals(v1.weightsHash(), v2.weightsHash());
        ExperimentConfig cfg = config();
        ExperimentData data = ExperimentData.load(cfg, tmp);

        ExperimentResult swappedResult;
        try (Experiment plain = Experiment.build(cfg, tmp);
                RegistrySource source = new RegistrySource(where);
                Experiment swapped = Experiment.build(cfg, tmp, source, Map.of("encoder", "enc@prod"))) {
            assertEquals(v2.weightsHash(), hash(swapped, "encoder"));
            assertEquals(hash(plain, "head"), hash(swapped, "head"), "the head starts as without the swap");
            Experiment.Sourced s = swapped.sourced().get(0);
            assertEquals("--swap encoder=enc@prod", s.key());
            assertEquals(2, s.resolved().version());
            assertEquals(v2.blobSha256(), s.resolved().weightsSha256());
            swapped.check(data);
            swappedResult = swapped.train(data, TrainingListener.NONE);
            assertEquals(v2.weightsHash(), hash(swapped, "encoder"), "the frozen encoder keeps the version's weights");
        }

        try (RegistrySource source = new RegistrySource(where)) {
            ConfigException bad = assertThrows(ConfigException.class,
                    () -> Experiment.build(cfg, tmp, source, Map.of("encoder", "small@1")));
            assertTrue(bad.getMessage().contains("--swap encoder=small@1")
                    && bad.getMessage().contains("output port features: expected [batch, 4], found [batch, 2]"),
                    bad.getMessage());
        }

        VersionComparison compared = VersionComparison.run(cfg, tmp, where, null, List.of("enc@1", "enc@prod"));
        assertEquals("encoder", compared.component());
        assertEquals(List.of(v1.ref(), v2.ref()), compared.runs().stream().map(r -> r.version().ref()).toList());
        ExperimentResult second = compared.runs().get(1).result();
        assertEquals(swappedResult.training().finalEval(), second.training().finalEval(),
                "compare trains exactly what the swap trains");
        assertNotEquals(compared.runs().get(0).result().training().finalEval(), second.training().finalEval());

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> VersionComparison.run(cfg, tmp, where, null, List.of("enc@1", "enc@9")));
        assertTrue(unknown.getMessage().contains("enc@9 does not exist"), unknown.getMessage());
    }
}
