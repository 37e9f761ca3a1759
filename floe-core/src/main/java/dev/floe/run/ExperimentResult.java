package dev.floe.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.data.Dataset;
import dev.floe.io.Json;
import dev.floe.train.EpochMetrics;
import dev.floe.train.EvalResult;
import dev.floe.train.StageResult;
import dev.floe.train.TaskMetrics;
import dev.floe.train.TrainResult;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an experiment run measured, with the provenance captured when training started.
 *
 * @param training per-epoch metrics, steps, training time and the final evaluation (null without eval data)
 * @param trainableParams scalar parameters that trained
 * @param frozenParams scalar parameters frozen (buffers excluded)
 * @param bufferParams BatchNorm running statistics
 * @param totalParams everything
 * @param optimizer optimizer name ({@code adamw}, {@code sgd})
 * @param optimizerStateBytes optimizer state held after training, measured
 * @param train the training data
 * @param eval the evaluation data, or null
 * @param seed the config's seed
 * @param versions floe, djl, pytorch, java, os, arch
 * @param startedAt when training started
 * @param measurements {@link Measurements} of the trained graph by key (empty when not measured)
 */
public record ExperimentResult(
        TrainResult training,
        long trainableParams,
        long frozenParams,
        long bufferParams,
        long totalParams,
        String optimizer,
        long optimizerStateBytes,
        DataSummary train,
        DataSummary eval,
        long seed,
        Map<String, String> versions,
        Instant startedAt,
        Map<String, Double> measurements) {

    /** Version of the {@link #toJson} layout, written as its {@code format} field. */
    public static final String FORMAT = "floe-metrics/1";

    /**
     * Copies the version and measurement maps (a null measurement map becomes empty).
     *
     * @param training per-epoch metrics, steps, training time and the final evaluation (null
     *     without eval data)
     * @param trainableParams scalar parameters that trained
     * @param frozenParams scalar parameters frozen (buffers excluded)
     * @param bufferParams BatchNorm running statistics
     * @param totalParams everything
     * @param optimizer optimizer name ({@code adamw}, {@code sgd})
     * @param optimizerStateBytes optimizer state held after training, measured
     * @param train the training data
     * @param eval the evaluation data, or null
     * @param seed the config's seed
     * @param versions floe, djl, pytorch, java, os, arch
     * @param startedAt when training started
     * @param measurements {@link Measurements} of the trained graph by key (empty when not
     *     measured)
     */
    public ExperimentResult {
        versions = Collections.unmodifiableMap(new LinkedHashMap<>(versions));
        measurements = Collections.unmodifiableMap(new LinkedHashMap<>(measurements == null ? Map.of() : measurements));
    }

    /**
     * A data set as recorded with a run.
     *
     * @param name how it was read and derived
     * @param examples number of examples
     * @param classes number of classes
     * @param fingerprint {@link Dataset#fingerprint()}: SHA-256 of the content
     */
    public record DataSummary(String name, int examples, int classes, String fingerprint) {
        /**
         * Summarises a data set (hashes its content).
         *
         * @param data the data set
         * @return its name, size, class count and fingerprint
         */
        public static DataSummary of(Dataset data) {
            return new DataSummary(data.name(), data.size(), data.numClasses(), data.fingerprint());
        }

        /**
         * Summarises examples of any kind (hashes their content).
         *
         * @param data the examples
         * @return their name, size, class count and fingerprint
         */
        public static DataSummary of(dev.floe.data.Examples data) {
            return new DataSummary(data.name(), data.size(), data.numClasses(), data.fingerprint());
        }
    }

    /**
     * The run as JSON ({@code metrics.json}): format, config hash, seed, start time, per-epoch
     * metrics (train loss and accuracy, eval loss and accuracy or null, seconds, examples per
     * second), final evaluation, steps, parameter counts, optimizer state bytes, data fingerprints,
     * versions and the {@link Measurements}.
     *
     * @return the {@code metrics.json} text
     * @param configSha256 hex SHA-256 of the config file's bytes, or null
     */
    public String toJson(String configSha256) {
        ObjectMapper json = Json.mapper();
        ObjectNode root = json.createObjectNode();
        root.put("format", FORMAT);
        root.put("config_sha256", configSha256);
        root.put("seed", seed);
        root.put("started_at", startedAt.toString());
        ArrayNode epochs = root.putArray("epochs");
        for (EpochMetrics m : training.epochs()) {
            ObjectNode e = epochs.addObject();
            e.put("epoch", m.epoch());
            e.put("train_loss", m.trainLoss());
            e.put("train_accuracy", m.trainAccuracy());
            putFinite(e, "eval_loss", m.evalLoss());
            putFinite(e, "eval_accuracy", m.evalAccuracy());
            e.put("seconds", m.seconds());
            e.put("examples_per_second", m.examplesPerSecond());
            if (m.tasks().size() > 1) {
                ArrayNode tasks = e.putArray("tasks");
                for (TaskMetrics t : m.tasks()) {
                    ObjectNode tn = tasks.addObject();
                    tn.put("task", t.task());
                    tn.put("train_loss", t.trainLoss());
                    tn.put("train_accuracy", t.trainAccuracy());
                    putFinite(tn, "eval_loss", t.evalLoss());
                    putFinite(tn, "eval_accuracy", t.evalAccuracy());
                }
            }
        }
        ArrayNode stages = root.putArray("stages");
        for (StageResult st : training.stages()) {
            ObjectNode n = stages.addObject();
            n.put("name", st.name());
            n.put("epochs", st.epochs().size());
            ArrayNode metric = n.putArray("eval_accuracy_per_epoch");
            st.epochs().forEach(m -> {
                if (Double.isFinite(m.evalAccuracy())) {
                    metric.add(m.evalAccuracy());
                } else {
                    metric.addNull();
                }
            });
            ArrayNode loss = n.putArray("train_loss_per_epoch");
            st.epochs().forEach(m -> loss.add(m.trainLoss()));
            putFinite(n, "best_metric", st.bestMetric());
            n.put("best_epoch", st.bestEpoch());
            n.put("stopped_early", st.stoppedEarly());
            n.put("restored_best", st.restoredBest());
            n.put("seconds", st.seconds());
            n.put("trainable_params", st.trainableParams());
            n.put("steps", st.steps());
        }
        EvalResult fin = training.finalEval();
        if (fin == null) {
            root.putNull("final_eval");
        } else {
            ObjectNode f = root.putObject("final_eval");
            f.put("loss", fin.loss());
            f.put("accuracy", fin.accuracy());
            f.put("examples", fin.examples());
            putScores(f, fin);
        }
        root.put("steps", training.steps());
        root.put("train_seconds", training.trainSeconds());
        ObjectNode params = root.putObject("params");
        params.put("trainable", trainableParams);
        params.put("frozen", frozenParams);
        params.put("buffers", bufferParams);
        params.put("total", totalParams);
        ObjectNode opt = root.putObject("optimizer");
        opt.put("type", optimizer);
        opt.put("state_bytes", optimizerStateBytes);
        ObjectNode data = root.putObject("data");
        putData(data, "train", train);
        putData(data, "eval", eval);
        ObjectNode v = root.putObject("versions");
        versions.forEach(v::put);
        ObjectNode measured = root.putObject("measurements");
        measurements.forEach(measured::put);
        try {
            return json.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write metrics as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * {@code f1_macro}, {@code per_class} (name, precision, recall, f1, support), {@code confusion}
     * (row = true class) and {@code labels} (when named) of an evaluation with a confusion matrix.
     *
     * @param f the JSON object the fields are added to
     * @param r an evaluation result with a confusion matrix
     */
    public static void putScores(ObjectNode f, EvalResult r) {
        dev.floe.train.ConfusionMatrix m = r.confusion();
        if (m == null) {
            return;
        }
        putFinite(f, "f1_macro", m.macroF1());
        ArrayNode per = f.putArray("per_class");
        for (dev.floe.train.ConfusionMatrix.ClassMetrics c : m.perClass()) {
            ObjectNode n = per.addObject();
            n.put("class", c.name());
            putFinite(n, "precision", c.precision());
            putFinite(n, "recall", c.recall());
            putFinite(n, "f1", c.f1());
            n.put("support", c.support());
        }
        ArrayNode rows = f.putArray("confusion");
        for (long[] row : m.counts()) {
            ArrayNode r2 = rows.addArray();
            for (long c : row) {
                r2.add(c);
            }
        }
        if (m.labels() != null) {
            ArrayNode labels = f.putArray("labels");
            m.labels().forEach(labels::add);
        }
    }

    private static void putFinite(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.putNull(key);
        }
    }

    private static void putData(ObjectNode parent, String key, DataSummary d) {
        if (d == null) {
            parent.putNull(key);
            return;
        }
        ObjectNode n = parent.putObject(key);
        n.put("name", d.name());
        n.put("examples", d.examples());
        n.put("classes", d.classes());
        n.put("fingerprint", d.fingerprint());
    }
}
