package dev.floe.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to rerun a run and to tell two runs apart, written as {@code manifest.json} into
 * the run folder by every command that trains or evaluates.
 *
 * <p>The {@link Recipe} is what made the run: exact config, graph, freeze plans, data and init files,
 * seed and engine threads. Its SHA-256 ({@link #recipeSha256}) is the same for two runs made the same
 * way, so checkpoints carry it and {@code floe reproduce} checks against it. The {@link Outcome} is
 * what the run gave; it is null while the run is in progress or was killed.
 *
 * @param format layout version, {@value RunManifests#FORMAT}
 * @param id this run's identifier ({@code run-<utc time>-<random>}); different for every run
 * @param command the command that wrote it ({@code train}, {@code reproduce}, {@code demo}, ...)
 * @param startedAt ISO-8601 instant training started
 * @param recipe what made the run
 * @param recipeSha256 hex SHA-256 of the recipe's canonical JSON
 * @param versions floe, djl, pytorch, java, os, arch, cpu, cpu_flags
 * @param reproduces the id of the run this one reproduces, or null
 * @param outcome what the run gave, or null while it runs
 */
public record RunManifest(
        String format,
        String id,
        String command,
        String startedAt,
        Recipe recipe,
        String recipeSha256,
        Map<String, String> versions,
        String reproduces,
        Outcome outcome) {

    /**
     * This manifest with its outcome set.
     *
     * @param result the outcome
     * @return a new manifest with {@code outcome} set
     */
    public RunManifest finished(Outcome result) {
        return new RunManifest(format, id, command, startedAt, recipe, recipeSha256, versions, reproduces, result);
    }

    /**
     * What made the run.
     *
     * @param config the exact config and its resolved form, or null for runs not made from a config
     * @param graph the model's components and wiring, with each component's weights hash before
     *     training, or null for runs that train several models (demos, benchmarks)
     * @param stages per stage its budget and its freeze plan, grouped
     * @param data the data sets with their content fingerprints
     * @param files the files the run read: data files and weights loaded before training (by config key)
     * @param seed the run's seed
     * @param engineThreads libtorch intra-op and inter-op threads ({@code num_threads}, {@code num_interop_threads})
     * @param settings the settings of a run not made from a config (a demo's or a benchmark's), or null
     * @param registry the registry versions its components came from ({@code from: "registry:..."}
     *     entries and {@code --swap}s), or null when none did: then left out of manifest.json and of the recipe hash, so
     *     older recipes keep their hashes
     */
    public record Recipe(
            ConfigRecord config,
            GraphRecord graph,
            List<StageRecord> stages,
            List<DataRecord> data,
            List<FileRecord> files,
            long seed,
            Map<String, String> engineThreads,
            JsonNode settings,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            List<SourcedRecord> registry) {

        /**
         * A recipe none of whose components came from a registry.
         *
         * @param config the exact config and its resolved form, or null for runs not made from a
         *     config
         * @param graph the model's components and wiring, with each component's weights hash before
         *     training, or null for runs that train several models (demos, benchmarks)
         * @param stages per stage its budget and its freeze plan, grouped
         * @param data the data sets with their content fingerprints
         * @param files the files the run read: data files and weights loaded before training (by
         *     config key)
         * @param seed the run's seed
         * @param engineThreads libtorch intra-op and inter-op threads ({@code num_threads},
         *     {@code num_interop_threads})
         * @param settings the settings of a run not made from a config (a demo's or a benchmark's),
         *     or null
         */
        public Recipe(ConfigRecord config, GraphRecord graph, List<StageRecord> stages, List<DataRecord> data,
                List<FileRecord> files, long seed, Map<String, String> engineThreads, JsonNode settings) {
            this(config, graph, stages, data, files, seed, engineThreads, settings, null);
        }
    }

    /**
     * A component whose type, sizes and weights came from a registry version.
     *
     * @param key where it was named: the config key ({@code model.components[0].from}) or the swap
     *     ({@code --swap encoder=fmnist-encoder@4})
     * @param component its name in the graph
     * @param ref the reference as written, e.g. {@code fmnist-encoder@prod}
     * @param name the version's registry name
     * @param version the exact version number resolved
     * @param weightsSha256 hex SHA-256 of the version's weights blob
     * @param weightsHash {@code sha256:<hex>} content hash of the version's parameters
     */
    public record SourcedRecord(String key, String component, String ref, String name, int version,
            String weightsSha256, String weightsHash) {}

    /**
     * A config as it was used.
     *
     * @param source the path it was read from
     * @param baseDir absolute folder its relative paths were resolved against
     * @param text the exact bytes, as UTF-8 text
     * @param sha256 hex SHA-256 of the bytes
     * @param resolved the config with every default filled in
     */
    public record ConfigRecord(String source, String baseDir, String text, String sha256, JsonNode resolved) {}

    /**
     * The graph.
     *
     * @param inputs graph input name to tensor spec
     * @param outputs graph output name to its {@code component.port}
     * @param wires {@code from -> to} endpoints
     * @param components in declaration order
     */
    public record GraphRecord(
            Map<String, String> inputs, Map<String, String> outputs, List<String> wires, List<ComponentRecord> components) {}

    /**
     * One component.
     *
     * @param name its name in the graph
     * @param type its Java type's simple name
     * @param role encoder, adapter, head, ...
     * @param inputs port name to tensor spec
     * @param outputs port name to tensor spec
     * @param layerOrder declared layer order (bottom first), empty when it declares none
     * @param params scalar parameters (buffers included)
     * @param weightsBefore {@code sha256:<hex>} of its parameters when training started
     */
    public record ComponentRecord(
            String name,
            String type,
            String role,
            Map<String, String> inputs,
            Map<String, String> outputs,
            List<String> layerOrder,
            long params,
            String weightsBefore) {}

    /**
     * One stage and its freeze plan.
     *
     * @param name the stage's name
     * @param epochs epoch budget
     * @param maxSteps optimizer step cap, 0 for none
     * @param lrSchedule the stage's learning-rate schedule
     * @param earlyStopping its early stopping, or null
     * @param trainableParams scalar parameters that train
     * @param groups parameters grouped by state, deciding rule, learning rate and weight decay
     */
    public record StageRecord(
            String name,
            int epochs,
            long maxSteps,
            String lrSchedule,
            String earlyStopping,
            long trainableParams,
            List<PlanGroup> groups) {}

    /**
     * Parameters that share a state, deciding rule, learning rate and weight decay in one stage.
     *
     * @param state train, freeze, lora, adapter or buffer
     * @param rule the rule that decided it ({@code "default"} when none matched)
     * @param lr effective learning rate, 0 when it does not train
     * @param weightDecay effective weight decay, 0 when it does not train
     * @param params scalar parameters in the group
     * @param paths parameter paths
     */
    public record PlanGroup(String state, String rule, double lr, double weightDecay, long params, List<String> paths) {}

    /**
     * A data set used by the run.
     *
     * @param role {@code train} or {@code eval}
     * @param name how it was read and derived
     * @param examples number of examples
     * @param classes number of classes
     * @param fingerprint content fingerprint of the examples
     * @param labels text data: the class names, label {@code k} is {@code labels.get(k)}; null
     *     (absent in the file) for numeric data
     * @param task multi-task runs: the name of the task ({@code tasks[i].name}) whose data this is;
     *     null (absent) for single-task runs
     * @param path multi-task runs: the absolute path of the file the examples were read from (for
     *     IDX, the images file; for a held-out evaluation part, the training file); null (absent)
     *     for single-task runs, whose files are listed by config key in {@code files}
     */
    public record DataRecord(String role, String name, int examples, int classes, String fingerprint,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            List<String> labels,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            String task,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            String path) {

        /**
         * A record of numeric data (no class names).
         *
         * @param role {@code train} or {@code eval}
         * @param name how it was read and derived
         * @param examples number of examples
         * @param classes number of classes
         * @param fingerprint content fingerprint of the examples
         */
        public DataRecord(String role, String name, int examples, int classes, String fingerprint) {
            this(role, name, examples, classes, fingerprint, null);
        }

        /**
         * A record of a single-task run's data.
         *
         * @param role {@code train} or {@code eval}
         * @param name how it was read and derived
         * @param examples number of examples
         * @param classes number of classes
         * @param fingerprint content fingerprint of the examples
         * @param labels the class names of text data, else null
         */
        public DataRecord(String role, String name, int examples, int classes, String fingerprint, List<String> labels) {
            this(role, name, examples, classes, fingerprint, labels, null, null);
        }

        /**
         * The data set's key in comparisons: its role, after its task's name in multi-task runs
         * ({@code train}, {@code eval}, {@code task sentiment train}).
         *
         * @return the key
         */
        public String key() {
            return task == null ? role : "task " + task + " " + role;
        }
    }

    /**
     * A file the run read.
     *
     * @param key the config key that named it ({@code data.train.images}, {@code model.init[0]})
     * @param path absolute path it was read from
     * @param sha256 hex SHA-256 of its bytes
     * @param bytes its size
     */
    public record FileRecord(String key, String path, String sha256, long bytes) {}

    /**
     * What the run gave.
     *
     * @param finishedAt ISO-8601 instant the run ended
     * @param weightsAfter component name to {@code sha256:<hex>} of its trained parameters
     * @param weightsFileSha256 hex SHA-256 of the run's weights file, or null when it wrote none
     * @param stages the stage table
     * @param finalEval evaluation of the final weights, or null without an evaluation set
     * @param steps optimizer steps over the run
     * @param trainSeconds training time over the run (all stages, before and after a resume)
     * @param wallSeconds wall time of the process that finished the run, start to end
     * @param peakRssMb peak resident memory of that process in MiB
     * @param optimizerStateBytes optimizer state held at the end
     * @param metrics further named results (for example a demo's accuracies)
     */
    public record Outcome(
            String finishedAt,
            Map<String, String> weightsAfter,
            String weightsFileSha256,
            List<StageOutcome> stages,
            FinalEval finalEval,
            long steps,
            double trainSeconds,
            double wallSeconds,
            double peakRssMb,
            long optimizerStateBytes,
            Map<String, Double> metrics) {}

    /**
     * One row of the stage table.
     *
     * @param name stage name
     * @param epochs epochs run
     * @param bestMetric best value of the watched metric, or null
     * @param bestEpoch epoch of the best value (1-based), 0 for none
     * @param stoppedEarly whether early stopping ended it
     * @param restoredBest whether the best epoch's weights were put back
     * @param steps optimizer steps
     * @param seconds training time
     * @param evalAccuracyPerEpoch evaluation accuracy of every epoch (null entries without eval data)
     * @param trainLossPerEpoch mean training loss of every epoch
     */
    public record StageOutcome(
            String name,
            int epochs,
            Double bestMetric,
            int bestEpoch,
            boolean stoppedEarly,
            boolean restoredBest,
            long steps,
            double seconds,
            List<Double> evalAccuracyPerEpoch,
            List<Double> trainLossPerEpoch) {}

    /**
     * Evaluation of the final weights.
     *
     * @param loss mean cross-entropy
     * @param accuracy share of correct predictions
     * @param examples examples evaluated
     * @param f1Macro unweighted mean of the per-class F1 over the classes that occur; null in
     *     manifests written before it was recorded
     * @param perClass precision, recall, F1 and support of each class in label order; null likewise
     * @param confusion row = true class, column = predicted class; null likewise
     * @param labels class names in label order, null for numeric classes
     */
    public record FinalEval(double loss, double accuracy, int examples,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            Double f1Macro,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            List<ClassScore> perClass,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            List<List<Long>> confusion,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            List<String> labels) {

        /**
         * Loss, accuracy and count only (as manifests before per-class scores).
         *
         * @param loss mean cross-entropy
         * @param accuracy share of correct predictions
         * @param examples examples evaluated
         */
        public FinalEval(double loss, double accuracy, int examples) {
            this(loss, accuracy, examples, null, null, null, null);
        }

        /**
         * The record of an evaluation (with its confusion matrix and scores when it has them).
         *
         * @param r the evaluation result
         * @return the record of {@code r}
         */
        public static FinalEval of(dev.floe.train.EvalResult r) {
            dev.floe.train.ConfusionMatrix m = r.confusion();
            if (m == null) {
                return new FinalEval(r.loss(), r.accuracy(), r.examples());
            }
            List<ClassScore> scores = m.perClass().stream()
                    .map(c -> new ClassScore(c.name(), finite(c.precision()), finite(c.recall()), finite(c.f1()),
                            c.support()))
                    .toList();
            List<List<Long>> rows = new java.util.ArrayList<>();
            for (long[] row : m.counts()) {
                rows.add(java.util.Arrays.stream(row).boxed().toList());
            }
            return new FinalEval(r.loss(), r.accuracy(), r.examples(), finite(m.macroF1()), scores, rows, m.labels());
        }

        private static Double finite(double v) {
            return Double.isFinite(v) ? v : null;
        }
    }

    /**
     * One class's scores in a {@link FinalEval}.
     *
     * @param name class name, or its index as text
     * @param precision null when the class neither occurs nor is predicted
     * @param recall null likewise
     * @param f1 null likewise
     * @param support examples of the class
     */
    public record ClassScore(String name, Double precision, Double recall, Double f1, long support) {}
}
