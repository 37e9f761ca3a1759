package dev.floe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.floe.data.Examples;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import java.util.List;

/**
 * Scores a graph's classification output on labelled examples in inference mode: mean
 * cross-entropy, accuracy and the confusion matrix. The trainer's evaluations and
 * {@code floe eval} both go through here, so the same weights, data and batch size give
 * bit-identical numbers.
 */
public final class Evaluator {

    /**
     * Examples per evaluation batch, whatever the training batch size. Measured on one engine thread
     * (median of 5 timed {@link #evaluate} calls on 1024 synthetic images and 256 synthetic token sequences): the demo's conv
     * encoder took 0.66, 0.67 and 0.74 ms per example at batch 16, 64 and 256; MiniLM with a head at
     * 128 tokens 110, 103 and 147 ms (a loaded machine). 64 was within 5% of the fastest in both,
     * while the largest batches were slower per example (their activations outgrow the caches).
     */
    public static final int BATCH_SIZE = 64;

    private Evaluator() {}

    /**
     * Evaluates {@code graph} on {@code data} read at output {@code out}.
     *
     * @param graph the graph, run in inference mode; not changed
     * @param data labelled examples
     * @param out the graph output holding the logits
     * @return loss, accuracy and confusion matrix
     * @param batchSize examples per forward pass; use {@link #BATCH_SIZE} to get the numbers a
     *     training run reported
     * @throws IllegalArgumentException if {@code data} is empty or a label is outside the output's classes
     */
    public static EvalResult evaluate(ModelGraph graph, Examples data, String out, int batchSize) {
        return evaluate(data, batchSize, (batch, idx) ->
                graph.forward(data.inputs(batch, idx), ForwardContext.INFERENCE, List.of(out)).get(out), graph);
    }

    /** Logits {@code (B, classes)} of the examples {@code idx}, made in {@code batch}. */
    interface BatchLogits {
        NDArray logits(NDManager batch, int[] idx);
    }

    static EvalResult evaluate(Examples data, int batchSize, BatchLogits forward, ModelGraph graph) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("data set " + data.name() + " holds no examples to evaluate");
        }
        double lossSum = 0;
        long correct = 0;
        long[][] counts = null;
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = (int) Math.min(data.size(), (long) from + batchSize);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = from + i;
            }
            try (NDManager batch = graph.manager().newSubManager()) {
                NDArray y = data.labels(batch, idx); // (B)
                NDArray logits = forward.logits(batch, idx); // (B, classes)
                int classes = (int) logits.getShape().get(1);
                if (counts == null) {
                    counts = new long[classes][classes];
                }
                for (int i : idx) {
                    // checked before the loss, which would fail in native code on such a label
                    if (data.label(i) >= classes) {
                        throw new IllegalArgumentException("example " + i + " of " + data.name() + " has label "
                                + data.label(i) + " but the output has " + classes + " classes (labels 0 to "
                                + (classes - 1) + "); give the head at least " + (data.label(i) + 1) + " classes"
                                + " (data.num_classes and the head's classes in a config), keep only the model's"
                                + " classes (data.classes), or fix the label");
                    }
                }
                lossSum += Trainer.crossEntropy(logits, y).getFloat() * idx.length;
                long[] predicted = logits.argMax(1).toType(DataType.INT64, false).toLongArray(); // (B)
                for (int i = 0; i < idx.length; i++) {
                    int truth = data.label(idx[i]);
                    counts[truth][(int) predicted[i]]++;
                    correct += truth == predicted[i] ? 1 : 0;
                }
            }
        }
        return new EvalResult(lossSum / data.size(), (double) correct / data.size(), data.size(),
                new ConfusionMatrix(counts, null));
    }
}
