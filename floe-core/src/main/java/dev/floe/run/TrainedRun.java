package dev.floe.run;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.data.Examples;
import dev.floe.data.TextReader;
import dev.floe.data.Unlabeled;
import dev.floe.graph.Dim;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.io.Json;
import dev.floe.io.ModelWeights;
import dev.floe.train.EvalResult;
import dev.floe.train.Evaluator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A finished {@code floe train} run opened for use: its model rebuilt from the manifest's config
 * (components, {@code init} files, {@code peft} modules) and loaded from the run's
 * {@code weights.safetensors}, with its class names and its config's data readers. A run that
 * merged LoRA at the end ({@code peft.merge}) saved merged weights; its LoRA modules are marked
 * merged before loading, so they add nothing on top. It owns the graph's native memory until
 * {@link #close()}.
 *
 * <p>Not thread-safe.
 */
public final class TrainedRun implements AutoCloseable {

    /** The run's trained weights, in the run folder. */
    public static final String WEIGHTS = "weights.safetensors";
    /** Text runs: the class names in label order, {@code {"labels": [...]}}. */
    public static final String LABELS = "labels.json";

    private final Path dir;
    private final RunManifest manifest;
    private final ExperimentConfig config;
    private final Path baseDir;
    private final Experiment experiment;
    private final List<String> labels;
    private final String output;

    private TrainedRun(Path dir, RunManifest manifest, ExperimentConfig config, Path baseDir, Experiment experiment,
            List<String> labels) {
        this.dir = dir;
        this.manifest = manifest;
        this.config = config;
        this.baseDir = baseDir;
        this.experiment = experiment;
        this.labels = labels;
        this.output = experiment.graph().outputs().keySet().iterator().next();
    }

    /**
     * Opens the run in folder {@code runDir}.
     *
     * @param runDir the run folder
     * @return the opened run, owning its graph until {@link #close()}
     * @throws IllegalArgumentException naming the folder when it has no manifest, a manifest of
     *     another format version, was not made from a config, has no weights file (the run did not
     *     finish) or weights of another format, or its config no longer builds (e.g. a file it
     *     names has moved), or the weights do not fit the rebuilt model
     */
    public static TrainedRun open(Path runDir) {
        RunManifest manifest = RunManifests.read(runDir);
        RunManifest.ConfigRecord c = manifest.recipe().config();
        if (c == null) {
            throw new IllegalArgumentException("run " + runDir + " was made by floe " + manifest.command()
                    + ", not from a config; give the folder of a floe train run");
        }
        Path weights = runDir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(runDir + " has no " + WEIGHTS + "; the run did not finish — give a"
                    + " finished run folder, or finish it with floe train --resume " + runDir);
        }
        ExperimentConfig config = ExperimentConfig.parse(c.text().getBytes(StandardCharsets.UTF_8), c.source());
        Path base = Path.of(c.baseDir());
        Experiment experiment;
        try {
            experiment = Experiment.build(config, base);
        } catch (ConfigException e) {
            throw e.withSource("the config of run " + runDir);
        }
        try {
            if (experiment.graph().outputs().size() != 1) {
                throw new IllegalArgumentException("run " + runDir + " has outputs " + experiment.graph().outputs()
                        .keySet() + "; a trained run has exactly one");
            }
            experiment.mergePeft();
            Map<String, String> meta;
            try {
                meta = ModelWeights.load(experiment.graph(), weights);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + weights + ": " + e.getMessage(), e);
            }
            String format = meta.get(ModelWeights.FORMAT_KEY);
            if (format != null && !ModelWeights.FORMAT.equals(format)) {
                throw new IllegalArgumentException(weights + " has format '" + format + "', expected '"
                        + ModelWeights.FORMAT + "'; it was written by another Floe version — use that version");
            }
            return new TrainedRun(runDir, manifest, config, base, experiment, labels(runDir, manifest, config));
        } catch (RuntimeException e) {
            experiment.close();
            throw e;
        }
    }

    /**
     * The class names from {@code labels.json}, else from the manifest's data records, else the kept
     * class numbers of a numeric run on {@code data.classes}; null for numeric classes 0..k-1.
     */
    private static List<String> labels(Path runDir, RunManifest manifest, ExperimentConfig config) {
        Path file = runDir.resolve(LABELS);
        if (Files.isRegularFile(file)) {
            try {
                List<String> names = new ArrayList<>();
                Json.mapper().readTree(file.toFile()).path("labels").forEach(n -> names.add(n.asText()));
                if (!names.isEmpty()) {
                    return List.copyOf(names);
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " is not a labels file (" + e.getMessage() + "); expected"
                        + " {\"labels\": [...]} as floe train writes it — restore it or delete it", e);
            }
        }
        for (RunManifest.DataRecord d : manifest.recipe().data()) {
            if (d.labels() != null) {
                return d.labels();
            }
        }
        return Experiment.classNames(config, null);
    }

    /**
     * The run folder.
     *
     * @return the run folder
     */
    public Path dir() {
        return dir;
    }

    /**
     * The run's manifest.
     *
     * @return the manifest
     */
    public RunManifest manifest() {
        return manifest;
    }

    /**
     * The config that made the run.
     *
     * @return the config
     */
    public ExperimentConfig config() {
        return config;
    }

    /**
     * The folder the config's relative paths start from.
     *
     * @return the base folder
     */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * The rebuilt graph with the trained weights (owned by this run until {@link #close()}).
     *
     * @return the graph; do not close it, close the run
     */
    public ModelGraph graph() {
        return experiment.graph();
    }

    /**
     * The graph output holding the logits.
     *
     * @return the output name
     */
    public String output() {
        return output;
    }

    /**
     * The class names, label {@code k} is {@code labels().get(k)}: text classes, or the original
     * numbers of the classes a numeric run kept ({@code data.classes}); null when the classes are
     * simply 0..k-1.
     *
     * @return the class names, or null
     */
    public List<String> labels() {
        return labels;
    }

    /**
     * Number of classes of the output.
     *
     * @return the number of classes
     */
    public int classes() {
        ModelGraph.Endpoint source = graph().outputs().get(output);
        return graph().component(source.component()).output(source.port()).spec().lastSize().orElse(-1L).intValue();
    }

    /**
     * The examples the run evaluated on (its test files or held-out part), read and selected as
     * training did.
     *
     * @return the evaluation examples
     */
    public Examples evaluationData() {
        ExperimentData data;
        try {
            data = ExperimentData.load(config, baseDir);
        } catch (ConfigException e) {
            throw e.withSource("the config of run " + dir);
        }
        if (data.eval() == null) {
            throw new IllegalArgumentException("run " + dir + " had no evaluation set (no data.test and no"
                    + " eval_fraction); give a file to evaluate on with --data FILE");
        }
        return data.eval();
    }

    /**
     * Reads {@code file} with the run config's reader (same options, class names and preprocessing).
     *
     * @param file the data file, in the run's data format
     * @param idxLabels IDX data: the labels file, or null (then the examples carry no labels)
     * @param needLabels whether the file must hold labels (evaluation) or may lack them (prediction)
     * @return the examples and whether they carry real labels
     * @throws IllegalArgumentException / {@link dev.floe.data.DataFormatException} naming the file when it
     *     cannot be read as the run's data, or its examples do not fit the model's input
     */
    public Input read(Path file, Path idxLabels, boolean needLabels) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("data file " + file + " does not exist or is not a file; give the path"
                    + " of a " + describeFormat() + " file");
        }
        ExperimentConfig.Data d = config.data();
        Path temp = null;
        try {
            Path read = file;
            Path labelsFile = idxLabels;
            boolean labelled = true;
            boolean jsonl = ExperimentConfig.Data.TEXT.equals(d.format()) && isJsonl(file);
            if (ExperimentConfig.Data.IDX.equals(d.format())) {
                if (idxLabels == null) {
                    if (needLabels) {
                        throw new IllegalArgumentException("IDX images " + file + " need their labels file to be"
                                + " evaluated; give it with --labels FILE");
                    }
                    temp = Files.createTempFile("floe-unlabeled", ".idx");
                    Unlabeled.idxLabels(file, temp, Integer.parseInt(placeholder()));
                    labelsFile = temp;
                    labelled = false;
                }
            } else if (jsonl) {
                if (!Unlabeled.jsonlHasField(file, d.labelColumn())) {
                    labelled = false;
                    temp = Files.createTempFile("floe-unlabeled", ".jsonl");
                    Unlabeled.jsonlWithLabel(file, temp, d.labelColumn(), placeholder());
                    read = temp;
                }
            } else if (!Unlabeled.csvHasColumn(file, d.labelColumn())) {
                labelled = false;
                temp = Files.createTempFile("floe-unlabeled", ".csv");
                Unlabeled.csvWithLabel(file, temp, d.labelColumn(), placeholder());
                read = temp;
            }
            if (!labelled && needLabels) {
                throw new IllegalArgumentException("data file " + file + " has no labels (no '" + d.labelColumn()
                        + "' " + (jsonl ? "field" : "column")
                        + ", which data.label_column of the run's config names); evaluation needs labels — add them,"
                        + " or use floe predict");
            }
            Examples examples = ExperimentData.readExamples(config, baseDir, read, labelsFile, labels,
                    file.getFileName().toString());
            checkFits(examples, file);
            return new Input(examples, labelled);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a temporary copy of " + file + ": " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    /**
     * Examples read from a file, and whether their labels are real (false: a placeholder label was
     * given to every example of a file without labels).
     */
    public record Input(Examples examples, boolean labelled) {}

    /** A label value the run's reader accepts: the first class name, or the first kept class index. */
    private String placeholder() {
        ExperimentConfig.Data d = config.data();
        if (ExperimentConfig.Data.TEXT.equals(d.format())) {
            return labels.get(0);
        }
        return d.classes() != null ? Integer.toString(d.classes().get(0)) : "0";
    }

    private static boolean isJsonl(Path file) {
        return TextReader.Format.fromName(file) == TextReader.Format.JSONL;
    }

    private String describeFormat() {
        String f = config.data().format();
        return ExperimentConfig.Data.IDX.equals(f) ? "IDX images" : ExperimentConfig.Data.TEXT.equals(f)
                ? "text (.jsonl or .csv)" : "CSV";
    }

    /** Numeric examples must have the feature shape of the model's input. */
    private void checkFits(Examples examples, Path file) {
        if (!(examples instanceof Examples.Numeric numeric)) {
            return;
        }
        Map.Entry<String, TensorSpec> input = graph().inputs().entrySet().iterator().next();
        long[] shape = numeric.data().featureShape();
        TensorSpec spec = input.getValue();
        boolean fits = spec.rank() == shape.length + 1;
        for (int i = 0; fits && i < shape.length; i++) {
            fits = !(spec.dims().get(i + 1) instanceof Dim.Fixed f) || f.size() == shape[i];
        }
        if (!fits) {
            throw new IllegalArgumentException("the examples of " + file + " have shape " + Arrays.toString(shape)
                    + " but the run's model takes input " + input.getKey() + " " + spec + "; give a file with the"
                    + " columns (or image size) the run was trained on");
        }
    }

    /**
     * Loss, accuracy and confusion matrix of the trained weights on {@code data}, in the batches the
     * run evaluated in: on the run's own evaluation data this equals the run's final evaluation bit
     * for bit. The confusion matrix carries the class names when the run has them.
     *
     * @param data the examples, read as {@link #read} reads them
     * @return loss, accuracy, per-class scores and confusion matrix
     */
    public EvalResult evaluate(Examples data) {
        int batch = Evaluator.batchSize(config.training().batchSize());
        EvalResult r = Evaluator.evaluate(graph(), data, output, batch);
        return r.withLabels(labels);
    }

    /** Releases the graph's native memory. */
    @Override
    public void close() {
        experiment.close();
    }
}
