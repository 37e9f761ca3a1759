package dev.floe.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import java.util.Map;

/**
 * Labelled examples as the trainer consumes them: for any set of example indices, the graph inputs
 * by name and the labels. {@link #of(Dataset, String)} adapts a numeric {@link Dataset}; text and
 * other inputs (token ids with masks) implement this directly.
 */
public interface Examples {

    /**
     * How the examples were made, for records.
     *
     * @return the name
     */
    String name();

    /**
     * Number of examples.
     *
     * @return the number of examples
     */
    int size();

    /**
     * Number of classes; labels are in {@code [0, numClasses)}.
     *
     * @return the number of classes
     */
    int numClasses();

    /**
     * Label of example {@code i}.
     *
     * @param i the example, in {@code [0, size)}
     * @return its class index
     */
    int label(int i);

    /**
     * A content hash, stable across runs (feature caches key on it).
     *
     * @return the hash, as lower-case hex
     */
    String fingerprint();

    /**
     * The graph inputs for the given examples, in that order, created in {@code manager} (which the
     * caller closes after the batch).
     *
     * @param manager the manager the arrays are created in
     * @param indices example indices in batch order
     * @return the arrays by graph input name, batch dimension first
     */
    Map<String, NDArray> inputs(NDManager manager, int[] indices);

    /**
     * A seeded permutation of {@code 0..size-1}, the same one every data set type gives for the same
     * seed and size ({@link Dataset#shuffledIndices}, {@link TextDataset#shuffledIndices}).
     *
     * @param seed the shuffle seed
     * @return a new permutation array
     */
    default int[] shuffledIndices(long seed) {
        return Shuffles.permutation(size(), seed);
    }

    /**
     * Labels of the given examples as an int64 array {@code (B)}.
     *
     * @param manager the manager the array is created in
     * @param indices example indices in batch order
     * @return an int64 array of the labels
     */
    default NDArray labels(NDManager manager, int[] indices) {
        return FloeEngine.ownedLongs(manager, new Shape(indices.length), y -> {
            for (int index : indices) {
                y.put(label(index));
            }
        });
    }

    /**
     * Number of examples of each class, {@code (numClasses)}.
     *
     * @return a new array of counts by class index
     */
    default int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int i = 0; i < size(); i++) {
            counts[label(i)]++;
        }
        return counts;
    }

    /**
     * A numeric data set feeding graph input {@code input} with {@code (B, ...featureShape)}
     * floats.
     *
     * @param data the numeric data set
     * @param input the graph input name
     * @return a view over {@code data}; nothing is copied
     */
    static Examples of(Dataset data, String input) {
        return new Numeric(data, input);
    }

    /**
     * A numeric {@link Dataset} feeding one graph input with {@code (B, ...featureShape)} floats.
     *
     * @param data the examples
     * @param input the graph input they feed
     */
    record Numeric(Dataset data, String input) implements Examples {
        /**
         * Checks that neither field is null.
         *
         * @param data the examples
         * @param input the graph input they feed
         */
        public Numeric {
            java.util.Objects.requireNonNull(data, "data");
            java.util.Objects.requireNonNull(input, "input");
        }

        @Override
        public String name() {
            return data.name();
        }

        @Override
        public int size() {
            return data.size();
        }

        @Override
        public int numClasses() {
            return data.numClasses();
        }

        @Override
        public int label(int i) {
            return data.label(i);
        }

        @Override
        public String fingerprint() {
            return data.fingerprint();
        }

        @Override
        public int[] shuffledIndices(long seed) {
            return data.shuffledIndices(seed);
        }

        @Override
        public int[] classCounts() {
            return data.classCounts();
        }

        @Override
        public Map<String, NDArray> inputs(NDManager manager, int[] indices) {
            long[] one = data.featureShape();
            long[] shape = new long[one.length + 1];
            shape[0] = indices.length;
            System.arraycopy(one, 0, shape, 1, one.length);
            return Map.of(input, FloeEngine.ownedFloats(manager, new Shape(shape), b -> data.gatherFeatures(indices, b)));
        }
    }
}
