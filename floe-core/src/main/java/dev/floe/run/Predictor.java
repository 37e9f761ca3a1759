package dev.floe.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.config.ExperimentConfig;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
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
import java.util.List;

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
        this.batchSize = Evaluator.batchSize(run.config().training().batchSize());
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
            try (BufferedWriter w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                for (String t : texts) {
                    w.write(line.writeValueAsString(java.util.Map.of(d.textColumn(), t)));
                    w.write('\n');
                }
            }
            return predict(temp);
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
