package dev.floe.train;

import java.util.List;

/**
 * Per-class factors of the training loss, for imbalanced data: with weights {@code w}, a batch's
 * loss is {@code Σ_i w[y_i] · CE_i / Σ_i w[y_i]} (the weighted mean, as PyTorch's
 * {@code CrossEntropyLoss(weight=...)}), so mistakes on a class with a larger weight cost more.
 * Evaluation loss stays the plain mean.
 */
public sealed interface ClassWeights {

    /**
     * Weights that make every class count as much in total: {@code n / (classes · n_k)}.
     *
     * @return the balanced weighting
     */
    static ClassWeights balanced() {
        return new Balanced();
    }

    /**
     * The given weights, one per class in label order.
     *
     * @param weights one positive weight per class
     * @return the fixed weighting
     * @throws IllegalArgumentException if empty or a weight is not a finite positive number
     */
    static ClassWeights of(List<Double> weights) {
        return new Fixed(weights);
    }

    /**
     * The weight of every class.
     *
     * @return a new array with one weight per class
     * @param classCounts training examples per class, one entry per class of the output
     * @throws IllegalArgumentException if fixed weights are not one per class
     */
    double[] resolve(int[] classCounts);

    /**
     * {@code n / (classes · n_k)} for each class {@code k} with {@code n_k} training examples (the
     * scikit-learn "balanced" rule); a class without training examples gets 1, which changes nothing
     * since no training example carries it.
     */
    record Balanced() implements ClassWeights {
        @Override
        public double[] resolve(int[] classCounts) {
            long n = 0;
            for (int c : classCounts) {
                n += c;
            }
            double[] w = new double[classCounts.length];
            for (int k = 0; k < w.length; k++) {
                w[k] = classCounts[k] == 0 ? 1.0 : (double) n / ((double) classCounts.length * classCounts[k]);
            }
            return w;
        }
    }

    /**
     * Weights given one per class, in label order; each finite and positive.
     *
     * @param weights the weights, one per class of the output
     */
    record Fixed(List<Double> weights) implements ClassWeights {
        /**
         * Checks that there is at least one weight and every weight is finite and positive; copies
         * them.
         *
         * @param weights the weights, one per class of the output
         * @throws IllegalArgumentException naming the first bad weight
         */
        public Fixed {
            if (weights == null || weights.isEmpty()) {
                throw new IllegalArgumentException("class weights are empty; give one positive weight per class");
            }
            for (int k = 0; k < weights.size(); k++) {
                Double w = weights.get(k);
                if (w == null || !(w > 0) || w.isInfinite()) {
                    throw new IllegalArgumentException("class weight " + k + " is " + w
                            + "; every class weight must be a finite number > 0");
                }
            }
            weights = List.copyOf(weights);
        }

        @Override
        public double[] resolve(int[] classCounts) {
            if (weights.size() != classCounts.length) {
                throw new IllegalArgumentException(weights.size() + " class weights " + weights + " for "
                        + classCounts.length + " classes; give one weight per class");
            }
            return weights.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }
}
