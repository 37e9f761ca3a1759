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
        // gathering the label's entry gives the same bits as summing logProbs·oneHot over the row, in fewer calls
        NDArray picked = logProbs.gather(labels.reshape(-1, 1), 1); // (B, 1)
        return picked.mean().neg(); // ()
    }
}
