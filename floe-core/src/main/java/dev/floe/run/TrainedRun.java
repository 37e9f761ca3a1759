package dev.floe.run;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.config.Normalization;
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
    /** Runs with {@code data.normalize}: the shift and scale per feature fitted on the training split. */
    public static final String NORMALIZATION = "normalization.json";

    private final Path dir;
    private final RunManifest manifest;
    private final ExperimentConfig config;
    private final Path baseDir;
    private final Experiment experiment;
    private final List<String> labels;
    private final Normalization normalization;
    private final String output;

    private TrainedRun(Path dir, RunManifest manifest, ExperimentConfig config, Path baseDir, Experiment experiment,
            List<String> labels, Normalization normalization) {
        this.dir = dir;
        this.manifest = manifest;
        this.config = config;
        this.baseDir = baseDir;
        this.experiment = experiment;
        this.labels = labels;
        this.normalization = normalization;
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
        return open(runDir, null);
    }

    /**
     * Opens the run in folder {@code runDir}, resolving the components its config takes
     * {@code from: "registry:..."} (and those its {@code --swap} options replaced) in
     * {@code registry}: each at the exact version the run recorded in its manifest, whose weights
     * blob must still have the SHA-256 recorded then.
     *
     * @param runDir the run folder
     * @param registry where registry components are resolved, or null when the run used none
     * @return the opened run; the caller closes it
     * @throws IllegalArgumentException as {@link #open(Path)}, and naming the component, version and
     *     both SHA-256 values when the registry's version holds other weights than the run used
     * @throws ConfigException naming the config key when a registry component cannot be resolved
     *     (no registry given, a version that does not exist, a damaged blob)
     */
    public static TrainedRun open(Path runDir, dev.floe.config.ComponentSource registry) {
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
            Map<String, String> swaps = new java.util.LinkedHashMap<>();
            if (manifest.recipe().registry() != null) {
                for (RunManifest.SourcedRecord r : manifest.recipe().registry()) {
                    if (r.key().startsWith("--swap ")) {
                        swaps.put(r.component(), r.ref()); // the run's --swap options, as given then
                    }
                }
            }
            experiment = Experiment.build(config, base, Reproduction.pin(manifest, registry), swaps);
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
            return new TrainedRun(runDir, manifest, config, base, experiment, labels(runDir, manifest, config),
                    normalization(runDir, config));
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
     * The normalisation in {@code normalization.json}, or null when the run has none.
     *
     * @throws IllegalArgumentException when the config normalises but the file is missing, or the
     *     file is not a normalisation file (a value that is not a number, arrays of different lengths)
     */
    private static Normalization normalization(Path runDir, ExperimentConfig config) {
        Path file = runDir.resolve(NORMALIZATION);
        if (!Files.isRegularFile(file)) {
            if (config.data().normalize() != null) {
                throw new IllegalArgumentException("run " + runDir + " normalizes its data (data.normalize: "
                        + config.data().normalize() + ") but has no " + NORMALIZATION + "; restore it from a copy of"
                        + " the run, or train again");
            }
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode root = Json.mapper().readTree(file.toFile());
            return new Normalization(root.path("method").asText(), floats(root, "shift"), floats(root, "scale"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a normalisation file (" + e.getMessage() + "); expected"
                    + " {\"method\", \"shift\", \"scale\"} with one number per feature, as floe train writes it —"
                    + " restore it from a copy of the run", e);
        }
    }

    private static float[] floats(com.fasterxml.jackson.databind.JsonNode root, String key) {
        com.fasterxml.jackson.databind.JsonNode array = root.path(key);
        if (!array.isArray() || array.isEmpty()) {
            throw new IllegalArgumentException(key + " must be a non-empty array of numbers");
        }
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            if (!array.get(i).isNumber()) {
                throw new IllegalArgumentException(key + "[" + i + "] is " + array.get(i) + ", not a number");
            }
            v[i] = (float) array.get(i).asDouble();
        }
        return v;
    }

    /**
     * The normalisation the run fitted on its training split ({@code data.normalize}), which
     * {@link #read} applies to every file it reads; null when the run has none.
     *
     * @return the normalisation, or null
     */
    public Normalization normalization() {
        return normalization;
    }

    /**
     * The run folder: the directory that holds the run's manifest and {@code weights.safetensors}.
     *
     * @return the folder given to {@link #open(Path)}, as given
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
            if (ExperimentConfig.Data.TEXT.equals(d.format())) {
                requireTextColumn(file, jsonl);
            }
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
            } else {
                CsvLayout layout = csvLayout(file);
                if (!layout.labelled()) {
                    labelled = false;
                    temp = Files.createTempFile("floe-unlabeled", ".csv");
                    Unlabeled.csvWithLabel(file, temp, layout.delimiter(), layout.named(),
                            d.labelIndex() != null ? d.labelIndex() : -1, d.labelColumn(), placeholder());
                    read = temp;
                }
            }
            if (!labelled && needLabels) {
                String where = ExperimentConfig.Data.IDX.equals(d.format()) ? "" : jsonl ? " (no '" + d.labelColumn()
                        + "' field, which data.label_column of the run's config names)" : d.labelIndex() != null
                        ? " (it has one column fewer than the run's data, which holds its label at data.label_index "
                                + d.labelIndex() + ")"
                        : " (no '" + d.labelColumn() + "' column, which data.label_column of the run's config names)";
                throw new IllegalArgumentException("data file " + file + " has no labels" + where + "; evaluation"
                        + " needs labels — add them, or use floe predict");
            }
            Examples examples;
            try {
                examples = ExperimentData.readExamples(config, baseDir, read, labelsFile, labels,
                        file.getFileName().toString(), normalization);
            } catch (IllegalArgumentException e) {
                throw temp == null ? e : namingTheGivenFile(e, temp, file);
            }
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
     * Checks a text file given to a finished run on its own records (see {@link Unlabeled#checkTextFile}),
     * before a label is added to an unlabelled file: the errors then show the file's own columns, and
     * the fix for a missing text column is to rename the file's column, since the run's config is fixed.
     */
    private void requireTextColumn(Path file, boolean jsonl) {
        String column = config.data().textColumn();
        Unlabeled.checkTextFile(file, jsonl ? TextReader.Format.JSONL : TextReader.Format.CSV, column,
                ", the text " + (jsonl ? "field" : "column") + " run " + dir.getFileName() + " was trained with"
                        + " (data.text_column of its config); rename the " + (jsonl ? "field" : "column")
                        + " that holds the text to '" + column + "'");
    }

    /**
     * {@code e} as the user should see it: a problem found in the labelled temporary copy of an
     * unlabelled file names the file the user gave instead.
     */
    private static IllegalArgumentException namingTheGivenFile(IllegalArgumentException e, Path temp, Path file) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof dev.floe.data.DataFormatException d && temp.equals(d.file())) {
            String prefix = temp + ": ";
            String detail = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
            return new dev.floe.data.DataFormatException(file, detail, e);
        }
        if (message.contains(temp.toString())) {
            return new IllegalArgumentException(message.replace(temp.toString(), file.toString()), e);
        }
        return e;
    }

    /**
     * How a CSV file to read lays out, judged from its first record with the run's {@code data}
     * options: the delimiter, whether the first record is a header, and whether the file has the
     * label column (by name when the label is found by name in a header, else by the number of
     * columns: one more than the run's feature and dropped columns).
     */
    private record CsvLayout(char delimiter, boolean named, List<String> first, boolean labelled) {}

    private CsvLayout csvLayout(Path file) {
        ExperimentConfig.Data d = config.data();
        boolean text = ExperimentConfig.Data.TEXT.equals(d.format());
        // text CSV is read with commas and a header, whatever the numeric CSV options say
        char delimiter = !text && d.delimiter() != null ? d.delimiter().charAt(0) : ',';
        List<String> first = Unlabeled.csvFirstRecord(file, delimiter);
        boolean named = text || switch (d.header()) {
            case "auto" -> !Unlabeled.looksLikeData(first);
            case "false" -> false;
            default -> true;
        };
        boolean labelled;
        if (named && (text || d.labelIndex() == null)) {
            labelled = first.contains(d.labelColumn());
        } else {
            int dropped = d.dropColumns() == null ? 0 : d.dropColumns().size();
            labelled = first.size() != featureCount() + dropped;
        }
        return new CsvLayout(delimiter, named, first, labelled);
    }

    /** Number of features of the model's one numeric input, or -1 when it has no fixed size. */
    private int featureCount() {
        TensorSpec spec = graph().inputs().values().iterator().next();
        int n = 1;
        for (int i = 1; i < spec.rank(); i++) {
            if (!(spec.dims().get(i) instanceof Dim.Fixed f)) {
                return -1;
            }
            n *= (int) f.size();
        }
        return n;
    }

    /**
     * The names of the feature columns of a numeric CSV file read with the run's config, in the
     * order of the model input's features: the header's names without the label and the dropped
     * columns, or {@code column N} (N the 0-based column index in the file) without a header.
     *
     * @param file a CSV file of the run's layout, with or without the label column
     * @return one name per feature column
     * @throws IllegalStateException if the run does not read numeric CSV data
     */
    public List<String> featureColumns(Path file) {
        ExperimentConfig.Data d = config.data();
        if (!ExperimentConfig.Data.CSV.equals(d.format())) {
            throw new IllegalStateException("run " + dir + " reads data of format " + d.format() + ", not csv");
        }
        CsvLayout layout = csvLayout(file);
        int labelAt = !layout.labelled() ? -1 : d.labelIndex() != null ? d.labelIndex()
                : layout.first().indexOf(d.labelColumn());
        List<String> names = new ArrayList<>();
        for (int col = 0; col < layout.first().size(); col++) {
            String cell = layout.first().get(col);
            boolean dropped = layout.named() && d.dropColumns() != null && d.dropColumns().contains(cell);
            if (col != labelAt && !dropped) {
                names.add(layout.named() ? cell : "column " + col);
            }
        }
        return names;
    }

    /**
     * Examples read from a file, and whether their labels are real (false: a placeholder label was
     * given to every example of a file without labels).
     */
    public record Input(Examples examples, boolean labelled) {}

    /**
     * A label value the run's reader accepts: the first class name (text data, or {@code data.labels}),
     * or the first kept class index.
     */
    String placeholder() {
        ExperimentConfig.Data d = config.data();
        if (ExperimentConfig.Data.TEXT.equals(d.format())) {
            return labels.get(0);
        }
        if (d.labels() != null && !d.labels().isEmpty()) {
            return d.labels().get(0); // data.labels: the file's label values are these
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
        int batch = Evaluator.BATCH_SIZE;
        EvalResult r = Evaluator.evaluate(graph(), data, output, batch);
        return r.withLabels(labels);
    }

    /** Releases the graph's native memory. */
    @Override
    public void close() {
        experiment.close();
    }
}
