package dev.floe.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An immutable, in-memory classification data set: {@code size()} examples, each a block of
 * {@code featureCount()} floats with the declared {@link #featureShape()} (for example
 * {@code {1, 28, 28}} for a grayscale image or {@code {d}} for a CSV row), and one integer label in
 * {@code [0, numClasses)}.
 *
 * <p>Features are stored row-major as one array of shape {@code (size, featureCount)}. Accessors
 * return copies, so a {@code Dataset} can be shared freely between threads. Every derived data set
 * ({@link #subset}, {@link #filterClasses}, {@link #takePerClass}, {@link #split}) records how it
 * was made in its {@link #name()}. Equality is identity; compare contents with
 * {@link #fingerprint()}.
 *
 * <p>All seeded operations use {@link java.util.Random}, whose algorithm is fixed by the Java
 * specification, so the same seed selects the same examples on every JVM and run.
 */
public final class Dataset {

    /** Prefix hashed before the content, so a change of the fingerprint layout changes every hash. */
    private static final byte[] FINGERPRINT_TAG = "floe.data.Dataset/v1".getBytes(StandardCharsets.US_ASCII);
    private static final int HASH_CHUNK_BYTES = 1 << 16;

    private final String name;
    private final long[] featureShape;
    private final int featureCount;
    private final float[] features; // (size, featureCount) row-major
    private final int[] labels; // (size)
    private final int numClasses;
    private String fingerprint; // computed on first use; racy but idempotent

    private Dataset(String name, long[] featureShape, float[] features, int[] labels, int numClasses) {
        this.name = Objects.requireNonNull(name, "name");
        this.featureShape = Objects.requireNonNull(featureShape, "featureShape");
        this.features = Objects.requireNonNull(features, "features");
        this.labels = Objects.requireNonNull(labels, "labels");
        this.numClasses = numClasses;
        if (name.isBlank()) {
            throw new IllegalArgumentException(
                    "dataset name is blank; give a source description such as the file it was read from");
        }
        this.featureCount = checkedFeatureCount(featureShape);
        if (numClasses < 1) {
            throw new IllegalArgumentException(
                    "dataset " + name + ": numClasses is " + numClasses + "; expected at least 1");
        }
        if ((long) labels.length * featureCount != features.length) {
            throw new IllegalArgumentException("dataset " + name + ": features has " + features.length
                    + " floats but " + labels.length + " labels x " + featureCount + " features per example "
                    + Arrays.toString(featureShape) + " need " + (long) labels.length * featureCount
                    + "; pass features row-major as (size, featureCount), one row per label");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("dataset " + name + ": label of example " + i + " is "
                        + labels[i] + " but must be in [0, " + numClasses + "); fix the label or raise numClasses");
            }
        }
    }

    /**
     * Creates a data set from copies of the given arrays.
     *
     * @return a new data set holding copies of the arrays
     * @param name where the data came from, e.g. a file path; not blank
     * @param featureShape shape of one example; every dimension positive
     * @param features row-major {@code (labels.length, product(featureShape))} values
     * @param labels one class index per example, each in {@code [0, numClasses)}
     * @param numClasses number of classes, at least 1
     * @throws IllegalArgumentException if the lengths disagree or a label is out of range
     */
    public static Dataset of(String name, long[] featureShape, float[] features, int[] labels, int numClasses) {
        return new Dataset(name, featureShape.clone(), features.clone(), labels.clone(), numClasses);
    }

    /** As {@link #of} but takes ownership of the arrays; callers must not touch them afterwards. */
    static Dataset wrap(String name, long[] featureShape, float[] features, int[] labels, int numClasses) {
        return new Dataset(name, featureShape, features, labels, numClasses);
    }

    private static int checkedFeatureCount(long[] shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("featureShape is empty; expected at least one dimension,"
                    + " e.g. {d} for a vector or {1, 28, 28} for an image");
        }
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 1) {
                throw new IllegalArgumentException("featureShape[" + d + "] is " + shape[d] + " in "
                        + Arrays.toString(shape) + "; every dimension must be at least 1");
            }
            count *= shape[d];
            if (count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("featureShape " + Arrays.toString(shape)
                        + " has more than " + Integer.MAX_VALUE + " features per example; reshape or crop the input");
            }
        }
        return (int) count;
    }

    /**
     * Where the data came from and how it was derived.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Number of examples.
     *
     * @return the number of examples
     */
    public int size() {
        return labels.length;
    }

    /**
     * Number of floats per example: the product of {@link #featureShape()}.
     *
     * @return the number of floats per example
     */
    public int featureCount() {
        return featureCount;
    }

    /**
     * Shape of one example, without the batch dimension (a copy).
     *
     * @return a new copy of the shape
     */
    public long[] featureShape() {
        return featureShape.clone();
    }

    /**
     * Number of classes; every label is in {@code [0, numClasses)}.
     *
     * @return the number of classes
     */
    public int numClasses() {
        return numClasses;
    }

    /**
     * Label of example {@code index}.
     *
     * @param index the example, in {@code [0, size)}
     * @return its class index
     */
    public int label(int index) {
        return labels[checkIndex(index)];
    }

    /**
     * All labels, {@code (size)} (a copy).
     *
     * @return a new array of the labels
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * All features, row-major {@code (size, featureCount)} (a copy).
     *
     * @return a new array of all features
     */
    public float[] features() {
        return features.clone();
    }

    /**
     * Features of example {@code index}, {@code (featureCount)} (a copy).
     *
     * @param index the example, in {@code [0, size)}
     * @return a new array of its features
     */
    public float[] features(int index) {
        int from = checkIndex(index) * featureCount;
        return Arrays.copyOfRange(features, from, from + featureCount);
    }

    /**
     * Features of the given examples in the given order, row-major
     * {@code (indices.length, featureCount)}.
     *
     * @param indices example indices, each in {@code [0, size)}; may repeat
     * @return a new array of their features
     */
    public float[] gatherFeatures(int[] indices) {
        float[] batch = new float[Math.multiplyExact(indices.length, featureCount)];
        gatherFeatures(indices, java.nio.FloatBuffer.wrap(batch));
        return batch;
    }

    /**
     * Writes the features of the given examples, in the given order, into {@code into} from its
     * position on ({@code indices.length × featureCount} values), advancing its position.
     *
     * @param indices example indices, each in {@code [0, size)}; may repeat
     * @param into where the values go; needs that much room
     * @throws IndexOutOfBoundsException if an index is outside the data set
     * @throws java.nio.BufferOverflowException if {@code into} has too little room
     */
    public void gatherFeatures(int[] indices, java.nio.FloatBuffer into) {
        for (int index : indices) {
            into.put(features, checkIndex(index) * featureCount, featureCount);
        }
    }

    /**
     * Labels of the given examples in the given order, {@code (indices.length)}.
     *
     * @param indices example indices, each in {@code [0, size)}; may repeat
     * @return a new array of their labels
     */
    public int[] gatherLabels(int[] indices) {
        int[] batch = new int[indices.length];
        for (int row = 0; row < indices.length; row++) {
            batch[row] = labels[checkIndex(indices[row])];
        }
        return batch;
    }

    /**
     * Number of examples of each class, {@code (numClasses)}.
     *
     * @return a new array of counts by class index
     */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * The examples at {@code indices}, in that order; an index may repeat (e.g. for bootstrapping).
     * Labels and {@code numClasses} are unchanged.
     *
     * @param indices example indices; may repeat
     * @return a new data set of those examples
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size)}
     */
    public Dataset subset(int[] indices) {
        return subset(indices, name + " [subset of " + indices.length + "]");
    }

    private Dataset subset(int[] indices, String newName) {
        return wrap(newName, featureShape, gatherFeatures(indices), gatherLabels(indices), numClasses);
    }

    /**
     * Keeps only examples of the given classes, in their original order, and relabels class
     * {@code classes[k]} as {@code k}; the result has {@code classes.length} classes.
     *
     * @param classes the classes to keep, in their new order
     * @return a new data set with {@code classes.length} classes
     * @throws IllegalArgumentException if {@code classes} is empty, repeats a class or names one
     *     outside {@code [0, numClasses)}
     */
    public Dataset filterClasses(int... classes) {
        if (classes.length == 0) {
            throw new IllegalArgumentException("filterClasses on " + name
                    + ": no classes given; list the classes to keep, e.g. filterClasses(0, 1)");
        }
        int[] newLabel = new int[numClasses];
        Arrays.fill(newLabel, -1);
        for (int k = 0; k < classes.length; k++) {
            int c = classes[k];
            if (c < 0 || c >= numClasses) {
                throw new IllegalArgumentException("filterClasses on " + name + ": class " + c + " in "
                        + Arrays.toString(classes) + " is outside [0, " + numClasses + "); list existing classes only");
            }
            if (newLabel[c] != -1) {
                throw new IllegalArgumentException("filterClasses on " + name + ": class " + c
                        + " appears twice in " + Arrays.toString(classes) + "; list each class once");
            }
            newLabel[c] = k;
        }
        int[] kept = new int[size()];
        int count = 0;
        for (int i = 0; i < labels.length; i++) {
            if (newLabel[labels[i]] != -1) {
                kept[count++] = i;
            }
        }
        kept = Arrays.copyOf(kept, count);
        int[] relabeled = gatherLabels(kept);
        for (int i = 0; i < relabeled.length; i++) {
            relabeled[i] = newLabel[relabeled[i]];
        }
        return wrap(name + " [classes " + Arrays.toString(classes) + " as 0.." + (classes.length - 1) + "]",
                featureShape, gatherFeatures(kept), relabeled, classes.length);
    }

    /**
     * Exactly {@code perClass} examples of every class: walks {@link #shuffledIndices(long)
     * shuffledIndices(seed)} and keeps the first {@code perClass} of each class. The result keeps
     * the original relative order of the chosen examples.
     *
     * @param perClass examples to keep of each class, at least 1
     * @param seed the shuffle seed
     * @return a new data set of {@code perClass * numClasses()} examples
     * @throws IllegalArgumentException if {@code perClass < 1} or some class has fewer examples
     */
    public Dataset takePerClass(int perClass, long seed) {
        if (perClass < 1) {
            throw new IllegalArgumentException("takePerClass on " + name + ": perClass is " + perClass
                    + "; expected at least 1");
        }
        int[] counts = classCounts();
        int smallest = 0;
        for (int c = 1; c < numClasses; c++) {
            smallest = counts[c] < counts[smallest] ? c : smallest;
        }
        if (counts[smallest] < perClass) {
            throw new IllegalArgumentException("takePerClass on " + name + ": asked for " + perClass
                    + " examples per class but class " + smallest + " has only " + counts[smallest]
                    + "; lower perClass to at most " + counts[smallest] + " or drop the class with filterClasses");
        }
        int[] taken = new int[numClasses];
        int[] chosen = new int[perClass * numClasses];
        int count = 0;
        for (int i : shuffledIndices(seed)) {
            if (taken[labels[i]] < perClass) {
                taken[labels[i]]++;
                chosen[count++] = i;
            }
        }
        Arrays.sort(chosen);
        return subset(chosen, name + " [" + perClass + " per class, seed " + seed + "]");
    }

    /** Two disjoint parts of a data set that together hold all of its examples. */
    public record Split(Dataset first, Dataset second) {
        /**
         * Checks that neither part is null.
         *
         * @param first the first part
         * @param second the second part
         */
        public Split {
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(second, "second");
        }
    }

    /**
     * Splits at random: {@code first} gets {@code round(fraction * size)} examples drawn by
     * {@link #shuffledIndices(long) shuffledIndices(seed)}, {@code second} the rest. Both keep the
     * original relative order. Not stratified: class proportions may differ between the parts.
     *
     * @param seed the shuffle seed
     * @return the two parts
     * @param fraction share of examples in {@code first}, strictly between 0 and 1
     * @throws IllegalArgumentException if {@code fraction} is not in {@code (0, 1)}
     */
    public Split split(double fraction, long seed) {
        int[][] parts = Shuffles.split(name, size(), fraction, seed);
        String how = " [split " + fraction + ", seed " + seed + ", ";
        return new Split(subset(parts[0], name + how + "first]"), subset(parts[1], name + how + "second]"));
    }

    /**
     * A permutation of {@code 0..size-1}: Fisher-Yates driven by {@code new Random(seed)}, so the
     * same seed and size give the same order on every run.
     *
     * @param seed the shuffle seed
     * @return a new permutation array
     */
    public int[] shuffledIndices(long seed) {
        return Shuffles.permutation(size(), seed);
    }

    /**
     * Lower-case hex SHA-256 of the content, hashed big-endian in this order: the ASCII tag
     * {@code floe.data.Dataset/v1}, the rank (int) and dimensions (longs) of the feature shape,
     * numClasses (int), size (int), every feature value (IEEE 754 float bits) and every label
     * (int). The name is not hashed. Stable across runs and JVMs; changes if any value changes.
     *
     * @return 64 lower-case hex digits
     */
    public String fingerprint() {
        if (fingerprint == null) {
            fingerprint = computeFingerprint();
        }
        return fingerprint;
    }

    private String computeFingerprint() {
        MessageDigest sha = dev.floe.io.Hashing.sha256();
        ByteBuffer buffer = ByteBuffer.allocate(HASH_CHUNK_BYTES); // big-endian
        buffer.put(FINGERPRINT_TAG).putInt(featureShape.length);
        for (long dim : featureShape) {
            buffer.putLong(dim);
        }
        buffer.putInt(numClasses).putInt(size());
        for (float value : features) {
            if (buffer.remaining() < Float.BYTES) {
                drain(buffer, sha);
            }
            buffer.putFloat(value);
        }
        for (int label : labels) {
            if (buffer.remaining() < Integer.BYTES) {
                drain(buffer, sha);
            }
            buffer.putInt(label);
        }
        drain(buffer, sha);
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void drain(ByteBuffer buffer, MessageDigest sha) {
        buffer.flip();
        sha.update(buffer);
        buffer.clear();
    }

    private int checkIndex(int index) {
        if (index < 0 || index >= labels.length) {
            throw new IndexOutOfBoundsException("example index " + index + " is outside [0, " + labels.length
                    + ") of dataset " + name);
        }
        return index;
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", size=" + size() + ", featureShape=" + Arrays.toString(featureShape)
                + ", numClasses=" + numClasses + "]";
    }
}
