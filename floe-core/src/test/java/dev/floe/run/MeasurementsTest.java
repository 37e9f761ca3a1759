package dev.floe.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.io.Json;
import dev.floe.train.TrainingListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every run measures about its cost, on a tiny config. */
class MeasurementsTest {

    /** 200 images, a fifth held out; an encoder frozen but for its top block. */
    static final String TINY = """
            seed: 5
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 200
              eval_fraction: 0.2
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 10}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            policy:
              - freeze: "encoder/**"
              - train: "encoder/block1/**"
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 2, batch_size: 16}
            """;

    /** The same model with the whole encoder frozen, so only the head trains and its input is cached. */
    static final String HEAD_ONLY = TINY.replace("  - train: \"encoder/block1/**\"\n", "");

    @TempDir
    Path base;

    private ExperimentResult train(String yaml, Path sharedCache) {
        ExperimentConfig cfg = ExperimentConfig.parse(yaml.getBytes(StandardCharsets.UTF_8), "tiny.yaml");
        try (Experiment e = Experiment.build(cfg, base).sharedFeatureCache(sharedCache)) {
            return e.train(ExperimentData.load(cfg, base), TrainingListener.NONE);
        }
    }

    @Test
    void everyKeyIsRecordedWithSaneValues() throws Exception {
        ExperimentResult r = train(TINY, null);
        Map<String, Double> m = r.measurements();

        assertEquals(Measurements.KEYS, List.copyOf(m.keySet()));
        double trainable = m.get(Measurements.TRAINABLE_PARAMS);
        double total = m.get(Measurements.TOTAL_PARAMS);
        assertTrue(trainable > 0 && trainable < total, m.toString());
        assertEquals(r.trainableParams(), (long) trainable);
        assertEquals(4 * total, m.get(Measurements.PARAM_BYTES), "fp32: 4 bytes per parameter");
        assertEquals(4 * trainable, m.get(Measurements.GRAD_BYTES), "one fp32 gradient per trainable parameter");
        assertEquals(8 * trainable, m.get(Measurements.OPTIMIZER_STATE_BYTES), "AdamW: two fp32 moments");
        assertTrue(m.get(Measurements.EXAMPLES_PER_SECOND) > 0, m.toString());
        assertTrue(m.get(Measurements.ACTIVATION_BYTES) > 0, m.toString());
        for (String b : List.of("b1", "b32")) {
            double p50 = m.get("latency_" + b + "_p50_ms");
            double p95 = m.get("latency_" + b + "_p95_ms");
            assertTrue(p50 > 0 && p50 <= p95, b + ": " + m);
        }
        assertEquals(0.0, m.get(Measurements.CACHE_SECONDS_SAVED), "the encoder's top block trains: no prefix to cache");

        JsonNode json = Json.mapper().readTree(r.toJson(null));
        assertEquals(trainable, json.get("measurements").get(Measurements.TRAINABLE_PARAMS).asDouble());
    }

    @Test
    void activationsCountOnlyTheComponentsBackwardRunsThrough() {
        Map<String, Double> headOnly = train(HEAD_ONLY, null).measurements();
        // only the head is outside the frozen prefix: its logits, 10 fp32 values per example, 16 examples
        assertEquals(16 * 10 * 4.0, headOnly.get(Measurements.ACTIVATION_BYTES));
        Map<String, Double> topBlock = train(TINY, null).measurements();
        assertTrue(topBlock.get(Measurements.ACTIVATION_BYTES) > headOnly.get(Measurements.ACTIVATION_BYTES),
                "a training encoder block keeps its outputs too: " + topBlock);
    }

    @Test
    void aSharedCacheIsFilledOnceAndTheNextRunSavesThePrefixTimeOfEveryPass(@TempDir Path cache) throws Exception {
        double first = train(HEAD_ONLY, cache).measurements().get(Measurements.CACHE_SECONDS_SAVED);
        List<Path> entries;
        try (Stream<Path> s = Files.list(cache)) {
            entries = s.filter(Files::isDirectory).sorted().toList();
        }
        assertEquals(2, entries.size(), "one entry for the training data, one for the evaluation data: " + entries);

        String otherRate = HEAD_ONLY.replace("lr: 0.01", "lr: 0.02");
        double second = train(otherRate, cache).measurements().get(Measurements.CACHE_SECONDS_SAVED);
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(entries, s.filter(Files::isDirectory).sorted().toList(), "the second run computed nothing");
        }
        assertTrue(first >= 0, "the first run computed each entry once and read it every epoch after: " + first);
        // the second run also saves the one pass per data set the first run had to compute
        assertTrue(second > first, "first " + first + ", second " + second);
    }
}
