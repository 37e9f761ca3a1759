package dev.floe.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.config.ExperimentConfig;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.config.ExperimentData;
import dev.floe.explain.Attributions;
import dev.floe.text.TokenizedExamples;
import dev.floe.text.Tokenizer;
import dev.floe.io.Json;
import dev.floe.nn.ForwardContext;
import dev.floe.train.EvalResult;
import dev.floe.train.Evaluator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Predictions of a finished {@code floe train} run, as plain Java values: the model is rebuilt
 * from the run folder and loaded from its weights ({@link TrainedRun}), inputs are read with the
 * run config's readers (same columns, class names, tokenizer and {@code max_tokens}).
 *
 * <pre>{@code
 * try (Predictor p = Predictor.open(Path.of("runs/spam"))) {
 *     Predictor.Prediction first = p.predict(Path.of("new-mail.jsonl")).get(0);
 *     System.out.println(first.label() + " " + first.probability());
 * }
 * }</pre>
 *
 * <p>It owns the model's native memory until {@link #close()}; no native array reaches the
 * caller. Not thread-safe: use one predictor per thread.
 */
public final class Predictor implements AutoCloseable {

    private final TrainedRun run;
    private final List<String> classNames;
    private final int batchSize;

    private Predictor(TrainedRun run) {
        this.run = run;
        int classes = run.classes();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            names.add(run.labels() != null ? run.labels().get(k) : Integer.toString(k));
        }
        this.classNames = List.copyOf(names);
        this.batchSize = Evaluator.BATCH_SIZE;
    }

    /**
     * Opens a finished run folder.
     *
     * @param runDir the run folder
     * @return a predictor owning the run's graph until {@link #close()}
     * @throws IllegalArgumentException naming the folder when it is not a finished run of this
     *     Floe's format (see {@link TrainedRun#open})
     */
    public static Predictor open(Path runDir) {
        return new Predictor(TrainedRun.open(runDir));
    }

    /**
     * Opens a finished run folder whose config takes components {@code from: "registry:..."},
     * resolved in {@code registry} at the versions the run recorded ({@link TrainedRun#open(Path,
     * dev.floe.config.ComponentSource)}).
     *
     * @param runDir the run folder
     * @param registry where registry components are resolved, or null when the run used none
     * @return the predictor; the caller closes it
     * @throws IllegalArgumentException as {@link TrainedRun#open(Path, dev.floe.config.ComponentSource)}
     */
    public static Predictor open(Path runDir, dev.floe.config.ComponentSource registry) {
        return new Predictor(TrainedRun.open(runDir, registry));
    }

    /**
     * The class names in label order: the run's labels when it has them (text runs); for a numeric
     * run on some classes ({@code data.classes}) the original class numbers it kept; else
     * {@code "0"}, {@code "1"}, ...
     *
     * @return the class names, index = label
     */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Whether the classes have names other than 0..k-1 (text classes, or the kept classes of a
     * numeric run).
     *
     * @return true when {@link #classNames()} are not simply 0..k-1
     */
    public boolean namedClasses() {
        return run.labels() != null;
    }

    /**
     * One example's prediction.
     *
     * @param index the example's position in the input (0-based)
     * @param predicted the class with the highest logit (the first on a tie), as {@code floe eval} counts it
     * @param label its name ({@link #classNames()})
     * @param probabilities softmax of the logits, one per class in label order, summing to 1
     * @param trueLabel the example's label when the input had labels, else -1
     */
    public record Prediction(int index, int predicted, String label, List<Double> probabilities, int trueLabel) {
        /**
         * Copies the probabilities.
         *
         * @param index the example's position in the input (0-based)
         * @param predicted the predicted class index
         * @param label the predicted class's name
         * @param probabilities softmax of the logits, one per class in label order
         * @param trueLabel the example's label when the input had labels, else -1
         */
        public Prediction {
            probabilities = List.copyOf(probabilities);
        }

        /**
         * The probability of the predicted class.
         *
         * @return {@code probabilities().get(predicted())}
         */
        public double probability() {
            return probabilities.get(predicted);
        }
    }

    /**
     * Predicts every example of {@code file}, read as the run read its data: CSV for numeric runs,
     * JSON Lines or CSV for text runs, IDX images for IDX runs. Labels are optional: a file without
     * the label column (field) is read with none.
     *
     * @param file the examples to predict
     * @return one prediction per example, in file order
     * @throws IllegalArgumentException or {@link dev.floe.data.DataFormatException} naming the file
     *     when it cannot be read as the run's data
     */
    public List<Prediction> predict(Path file) {
        TrainedRun.Input in = run.read(file, null, false);
        return predict(in.examples(), in.labelled());
    }

    /**
     * As {@link #predict(Path)} for IDX images with their labels file (which may be null).
     *
     * @param images the IDX images file
     * @param labels the IDX labels file, or null
     * @return one prediction per image, in file order
     */
    public List<Prediction> predict(Path images, Path labels) {
        TrainedRun.Input in = run.read(images, labels, false);
        return predict(in.examples(), in.labelled());
    }

    /**
     * The class probabilities of every example of {@code file} ({@code [example][class]}, rows sum
     * to 1), read as {@link #predict(Path)} reads it.
     *
     * @param file the examples
     * @return a new array of probabilities per example and class
     */
    public double[][] probabilities(Path file) {
        List<Prediction> p = predict(file);
        double[][] out = new double[p.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.get(i).probabilities().stream().mapToDouble(Double::doubleValue).toArray();
        }
        return out;
    }

    /**
     * Predicts texts (text runs), tokenized as the run tokenized its data.
     *
     * @param texts the texts, in order
     * @return one prediction per text, in order
     * @throws IllegalStateException if the run is not a text run
     */
    public List<Prediction> predictTexts(List<String> texts) {
        ExperimentConfig.Data d = run.config().data();
        if (!ExperimentConfig.Data.TEXT.equals(d.format())) {
            throw new IllegalStateException("run " + run.dir() + " reads data of format " + d.format() + ", not text;"
                    + " predict its examples with predict(file) or predictFeatures(rows)");
        }
        Path temp = null;
        try {
            temp = Files.createTempFile("floe-texts", ".jsonl");
            var line = Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
            // every line carries the placeholder label, so the reader reads this file as it is
            String placeholder = run.placeholder();
            try (BufferedWriter w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                for (String t : texts) {
                    w.write(line.writeValueAsString(java.util.Map.of(d.textColumn(), t, d.labelColumn(), placeholder)));
                    w.write('\n');
                }
            }
            return predict(run.read(temp, null, false).examples(), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the texts to a temporary file: " + e.getMessage(), e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /**
     * Predicts numeric examples (numeric runs): each row holds one example's features, flattened in
     * the order of the model input's shape after the batch dimension.
     *
     * @param rows one feature row per example
     * @return one prediction per row, in order
     * @throws IllegalArgumentException if a row's length differs from the input's feature count
     */
    public List<Prediction> predictFeatures(float[][] rows) {
        var input = run.graph().inputs().entrySet().iterator().next();
        if (run.graph().inputs().size() != 1 || ExperimentConfig.Data.TEXT.equals(run.config().data().format())) {
            throw new IllegalStateException("run " + run.dir() + " is a text run; predict texts with predictTexts");
        }
        long[] shape = new long[input.getValue().rank() - 1];
        long features = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = input.getValue().dims().get(i + 1) instanceof dev.floe.graph.Dim.Fixed f ? f.size() : -1;
            features *= shape[i];
        }
        float[] flat = new float[Math.multiplyExact(rows.length, (int) features)];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != features) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " features but input "
                        + input.getKey() + " " + input.getValue() + " takes " + features);
            }
            System.arraycopy(rows[i], 0, flat, i * (int) features, (int) features);
        }
        Dataset data = Dataset.of("rows", shape, flat, new int[rows.length], classNames.size());
        return predict(Examples.of(data, input.getKey()), false);
    }

    /**
     * One input's contribution to a prediction: its integrated-gradients attribution to the logit of
     * the predicted class (see {@link #explain}).
     *
     * @param position where the input sits: the feature's index in the model input (numeric and
     *     image runs, row-major over the image), or the token's position in the tokenized text
     *     ({@code [CLS]} is 0)
     * @param input its name: the CSV column name (or {@code column N}, N the 0-based column index
     *     in the file, without a header), {@code row R col C} for an image pixel
     *     ({@code channel K row R col C} with several channels), or the token's word piece
     * @param value its contribution to the predicted class's logit; positive raises it, negative
     *     lowers it, and all inputs' values sum to the logit minus the logit at the baseline
     */
    public record Contribution(int position, String input, double value) {}

    /**
     * A prediction with its most contributing inputs.
     *
     * @param prediction the prediction, as {@link #predict(Path)} gives it
     * @param top the inputs with the largest absolute contribution to the predicted class, largest
     *     first (ties by position), at most the number asked for
     */
    public record Explanation(Prediction prediction, List<Contribution> top) {
        /**
         * Copies {@code top}.
         *
         * @param prediction the prediction
         * @param top the most contributing inputs, largest first
         */
        public Explanation {
            top = List.copyOf(top);
        }
    }

    /**
     * Predicts every example of {@code file} as {@link #predict(Path, Path)} does and explains each
     * prediction by integrated gradients (Sundararajan et al., 2017) towards the predicted class:
     * the contributions of an example's inputs sum to the predicted logit minus its value at a
     * baseline, up to the error of {@code steps} path points. The baseline is the all-zero input as
     * the model sees it: for numeric runs with {@code data.normalize} that is every feature at its
     * training mean ({@code standard}) or minimum ({@code minmax}), without normalisation every
     * feature 0 (a black image); for text runs every token replaced by the padding id, the attention
     * mask kept, with contributions taken at the encoder's embeddings and summed per token.
     *
     * @param file the examples, in the run's data format (labels optional)
     * @param idxLabels IDX runs: the labels file of the images, or null
     * @param top how many inputs to keep per example, ≥ 1
     * @param steps path points per example, ≥ 1 (more: sums closer to the logit change, slower)
     * @return one explanation per example, in file order
     * @throws IllegalArgumentException if {@code top} or {@code steps} is below 1, or as {@link #predict(Path)}
     */
    public List<Explanation> explain(Path file, Path idxLabels, int top, int steps) {
        if (top < 1) {
            throw new IllegalArgumentException("the number of top inputs must be at least 1, found " + top);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("integrated gradients need at least 1 step, found " + steps);
        }
        TrainedRun.Input in = run.read(file, idxLabels, false);
        List<Prediction> predictions = predict(in.examples(), in.labelled());
        List<Explanation> out = new ArrayList<>(predictions.size());
        if (in.examples() instanceof Examples.Numeric numeric) {
            Dataset data = numeric.data();
            List<String> names = inputNames(file, data.featureShape());
            float[][] rows = new float[data.size()][];
            int[] targets = new int[data.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = data.features(i);
                targets[i] = predictions.get(i).predicted();
            }
            List<Attributions.Attribution> a = Attributions.integratedGradients(run.graph(), run.output(), rows,
                    new float[data.featureCount()], targets, steps);
            for (int i = 0; i < rows.length; i++) {
                out.add(new Explanation(predictions.get(i), top(a.get(i).values(), names, top)));
            }
        } else if (in.examples() instanceof TokenizedExamples texts) {
            String encoder = run.graph().components().stream()
                    .filter(c -> c instanceof dev.floe.components.TransformerEncoder)
                    .map(dev.floe.graph.Component::name).findFirst().orElseThrow(() -> new IllegalStateException(
                            "run " + run.dir() + " reads text but has no transformer encoder to explain through"));
            try (Tokenizer tokenizer = ExperimentData.tokenizer(run.config(), run.baseDir())) {
                for (int i = 0; i < texts.size(); i++) {
                    long[] ids = texts.ids(i);
                    long[] mask = new long[ids.length];
                    java.util.Arrays.fill(mask, 1L);
                    Map<String, long[][]> inputs = new LinkedHashMap<>();
                    for (String name : run.graph().inputs().keySet()) {
                        inputs.put(name, new long[][] {name.equals(TokenizedExamples.INPUT_IDS) ? ids
                                : name.equals(TokenizedExamples.ATTENTION_MASK) ? mask : new long[ids.length]});
                    }
                    Map<String, long[][]> baseline = new LinkedHashMap<>(inputs);
                    baseline.put(TokenizedExamples.INPUT_IDS, new long[][] {new long[ids.length]}); // padding id 0
                    Attributions.SegmentAttribution ig = Attributions.integratedGradientsAt(run.graph(),
                            encoder + "/embeddings", run.output(), inputs, baseline, predictions.get(i).predicted(),
                            steps);
                    out.add(new Explanation(predictions.get(i), top(ownTokens(ig.perPosition(), ids.length),
                            tokenizer.pieces(ids), top)));
                }
            }
        } else {
            throw new IllegalStateException("run " + run.dir() + " reads examples of type "
                    + in.examples().getClass().getSimpleName() + ", which cannot be explained");
        }
        return out;
    }

    /**
     * The contributions of a text's own tokens: the embeddings of an encoder with prompt tuning hold
     * the virtual tokens first (the same in the input and the baseline, so they contribute nothing),
     * then the text's {@code tokens} tokens.
     */
    static float[] ownTokens(float[] perPosition, int tokens) {
        return perPosition.length <= tokens ? perPosition
                : java.util.Arrays.copyOfRange(perPosition, perPosition.length - tokens, perPosition.length);
    }

    /** Names of a numeric example's features: CSV column names, or image pixel positions. */
    private List<String> inputNames(Path file, long[] featureShape) {
        ExperimentConfig.Data d = run.config().data();
        int features = 1;
        for (long s : featureShape) {
            features *= (int) s;
        }
        if (ExperimentConfig.Data.IDX.equals(d.format())) {
            return pixelNames(featureShape);
        }
        List<String> names = run.featureColumns(file);
        if (names.size() != features) {
            throw new IllegalStateException("found " + names.size() + " feature columns " + names + " in " + file
                    + " but its examples have " + features + " features");
        }
        return names;
    }

    /** {@code row R col C} per pixel of a {@code (H, W)} or {@code (C, H, W)} feature shape, row-major. */
    static List<String> pixelNames(long[] shape) {
        int w = shape.length >= 1 ? (int) shape[shape.length - 1] : 1;
        int h = shape.length >= 2 ? (int) shape[shape.length - 2] : 1;
        int channels = 1;
        for (int i = 0; i < shape.length - 2; i++) {
            channels *= (int) shape[i];
        }
        List<String> names = new ArrayList<>(channels * h * w);
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < h; r++) {
                for (int col = 0; col < w; col++) {
                    names.add((channels > 1 ? "channel " + c + " " : "") + (shape.length >= 2 ? "row " + r + " " : "")
                            + "col " + col);
                }
            }
        }
        return names;
    }

    /** The {@code k} values largest in absolute value, largest first, ties by position. */
    static List<Contribution> top(float[] values, List<String> names, int k) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            int c = Float.compare(Math.abs(values[b]), Math.abs(values[a]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<Contribution> out = new ArrayList<>(Math.min(k, values.length));
        for (int i = 0; i < Math.min(k, values.length); i++) {
            int at = order[i];
            out.add(new Contribution(at, at < names.size() ? names.get(at) : Integer.toString(at), values[at]));
        }
        return out;
    }

    /**
     * Loss, accuracy, per-class scores and confusion matrix on labelled examples in {@code file}
     * (the same numbers as {@code floe eval RUN --data FILE}).
     *
     * @param file labelled examples in the run's data format
     * @return the evaluation
     * @throws IllegalArgumentException if the file has no labels
     */
    public EvalResult evaluate(Path file) {
        return run.evaluate(run.read(file, null, true).examples());
    }

    private List<Prediction> predict(Examples data, boolean labelled) {
        List<Prediction> out = new ArrayList<>(data.size());
        String output = run.output();
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = from + i;
            }
            float[] probs;
            long[] predicted;
            int classes;
            try (NDManager batch = run.graph().manager().newSubManager()) {
                NDArray logits = run.graph().forward(data.inputs(batch, idx), ForwardContext.INFERENCE, List.of(output))
                        .get(output); // (B, classes)
                classes = (int) logits.getShape().get(1);
                probs = logits.softmax(1).toFloatArray(); // (B * classes)
                // the class floe eval counts: argmax of the logits
                predicted = logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray(); // (B)
            }
            for (int i = 0; i < idx.length; i++) {
                List<Double> p = new ArrayList<>(classes);
                for (int k = 0; k < classes; k++) {
                    p.add((double) probs[i * classes + k]);
                }
                int best = (int) predicted[i];
                out.add(new Prediction(idx[i], best, classNames.get(best), p, labelled ? data.label(idx[i]) : -1));
            }
        }
        return out;
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file left behind is harmless
            }
        }
    }

    /** Releases the model's native memory. */
    @Override
    public void close() {
        run.close();
    }
}
