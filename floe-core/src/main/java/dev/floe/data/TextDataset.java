package dev.floe.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable, in-memory text classification data set: {@code size()} texts, each with one
 * integer label in {@code [0, numClasses())} whose name is {@code classNames().get(label)}.
 *
 * <p>The text counterpart of {@link Dataset}: derived sets ({@link #subset}, {@link #split}) record
 * how they were made in their {@link #name()}, seeded operations use {@link java.util.Random} (fixed
 * by the Java specification) with the same Fisher–Yates shuffle as {@link Dataset#shuffledIndices},
 * and {@link #fingerprint()} identifies the content. Equality is identity.
 */
public final class TextDataset {

    private static final byte[] FINGERPRINT_TAG = "floe.data.TextDataset/v1".getBytes(StandardCharsets.US_ASCII);

    private final String name;
    private final List<String> texts;
    private final int[] labels;
    private final List<String> classNames;
    private String fingerprint; // computed on first use; racy but idempotent

    private TextDataset(String name, List<String> texts, int[] labels, List<String> classNames) {
        this.name = Objects.requireNonNull(name, "name");
        this.texts = List.copyOf(texts); // rejects null texts
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        if (name.isBlank()) {
            throw new IllegalArgumentException(
                    "text dataset name is blank; give a source description such as the file it was read from");
        }
        if (this.classNames.isEmpty()) {
            throw new IllegalArgumentException("text dataset " + name + " has no class names; give at least one");
        }
        Set<String> seen = new HashSet<>();
        for (String c : this.classNames) {
            if (!seen.add(c)) {
                throw new IllegalArgumentException(
                        "text dataset " + name + ": class name '" + c + "' appears twice in " + this.classNames);
            }
        }
        if (labels.length != this.texts.size()) {
            throw new IllegalArgumentException("text dataset " + name + ": " + this.texts.size() + " texts but "
                    + labels.length + " labels; give one label per text");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= this.classNames.size()) {
                throw new IllegalArgumentException("text dataset " + name + ": label of example " + i + " is "
                        + labels[i] + " but must be in [0, " + this.classNames.size() + ") for classes " + this.classNames);
            }
        }
    }

    /**
     * Creates a data set from copies of the given values.
     *
     * @return a new data set; the texts are copied
     * @param name where the data came from, e.g. a file path; not blank
     * @param texts one text per example; none null
     * @param labels one class index per text, each in {@code [0, classNames.size())}
     * @param classNames distinct class names, index = label
     * @throws IllegalArgumentException if the lengths disagree, a label is out of range or a class
     *     name repeats
     */
    public static TextDataset of(String name, List<String> texts, int[] labels, List<String> classNames) {
        return new TextDataset(name, texts, labels.clone(), classNames);
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
     * Number of classes.
     *
     * @return the number of classes
     */
    public int numClasses() {
        return classNames.size();
    }

    /**
     * Class names; label {@code k} means {@code classNames().get(k)}.
     *
     * @return the class names, unmodifiable
     */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * The text of example {@code index}.
     *
     * @param index the example, in {@code [0, size)}
     * @return its text
     */
    public String text(int index) {
        return texts.get(checkIndex(index));
    }

    /**
     * All texts, in order (unmodifiable).
     *
     * @return the texts
     */
    public List<String> texts() {
        return texts;
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
     * All labels (a copy).
     *
     * @return a new array of the labels
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * Number of examples of each class, {@code (numClasses)}.
     *
     * @return a new array of counts by class index
     */
    public int[] classCounts() {
        int[] counts = new int[classNames.size()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * The examples at {@code indices}, in that order (an index may repeat); class names unchanged.
     *
     * @param indices example indices; may repeat
     * @return a new data set of those examples
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size)}
     */
    public TextDataset subset(int[] indices) {
        return subset(indices, name + " [subset of " + indices.length + "]");
    }

    private TextDataset subset(int[] indices, String newName) {
        String[] t = new String[indices.length];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            t[i] = texts.get(checkIndex(indices[i]));
            l[i] = labels[indices[i]];
        }
        return new TextDataset(newName, Arrays.asList(t), l, classNames);
    }

    /** Two disjoint parts of a data set that together hold all of its examples. */
    public record Split(TextDataset first, TextDataset second) {
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
     * Splits at random as {@link Dataset#split}: {@code first} gets {@code round(fraction * size)}
     * examples drawn by {@link #shuffledIndices(long)}, {@code second} the rest, both in the
     * original order. Not stratified.
     *
     * @param fraction share of examples in {@code first}
     * @param seed the shuffle seed
     * @return the two parts
     * @throws IllegalArgumentException if {@code fraction} is not strictly between 0 and 1
     */
    public Split split(double fraction, long seed) {
        int[][] parts = Shuffles.split(name, size(), fraction, seed);
        String how = " [split " + fraction + ", seed " + seed + ", ";
        return new Split(subset(parts[0], name + how + "first]"), subset(parts[1], name + how + "second]"));
    }

    /**
     * A permutation of {@code 0..size-1}: Fisher–Yates driven by {@code new Random(seed)}.
     *
     * @param seed the shuffle seed
     * @return a new permutation array
     */
    public int[] shuffledIndices(long seed) {
        return Shuffles.permutation(size(), seed);
    }

    /**
     * Lower-case hex SHA-256 of the content: the ASCII tag {@code floe.data.TextDataset/v1}, the
     * number of classes (int) and each class name, the size (int), then per example its text and its
     * label (int); every string as its UTF-8 byte length (int, big-endian) followed by the bytes. The
     * name is not hashed. Stable across runs and JVMs.
     *
     * @return 64 lower-case hex digits
     */
    public String fingerprint() {
        if (fingerprint == null) {
            MessageDigest sha = dev.floe.io.Hashing.sha256();
            sha.update(FINGERPRINT_TAG);
            putInt(sha, classNames.size());
            for (String c : classNames) {
                putString(sha, c);
            }
            putInt(sha, size());
            for (int i = 0; i < labels.length; i++) {
                putString(sha, texts.get(i));
                putInt(sha, labels[i]);
            }
            fingerprint = HexFormat.of().formatHex(sha.digest());
        }
        return fingerprint;
    }

    private static void putInt(MessageDigest sha, int v) {
        sha.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static void putString(MessageDigest sha, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        putInt(sha, bytes.length);
        sha.update(bytes);
    }

    private int checkIndex(int index) {
        if (index < 0 || index >= labels.length) {
            throw new IndexOutOfBoundsException(
                    "example index " + index + " is outside [0, " + labels.length + ") of text dataset " + name);
        }
        return index;
    }

    @Override
    public String toString() {
        return "TextDataset[" + name + ", size=" + size() + ", classes=" + classNames + "]";
    }
}
