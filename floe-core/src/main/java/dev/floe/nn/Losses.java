package dev.floe.nn;

import ai.djl.ndarray.NDArray;

/** Loss functions shared by training and profiling. */
public final class Losses {

    private Losses() {}

    /**
     * Mean over the batch of {@code -log softmax(logits)[label]}.
     *
     * @param logits (B, C) scores
     * @param labels (B) class indices in {@code [0, C)}
     * @return the mean loss, shape ()
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbs = logits.logSoftmax(1); // (B, C)
        NDArray picked = logProbs.mul(labels.oneHot((int) logits.getShape().get(1))).sum(new int[] {1}); // (B)
        return picked.mean().neg(); // ()
    }
}
