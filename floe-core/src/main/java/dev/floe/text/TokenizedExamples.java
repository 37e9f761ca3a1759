package dev.floe.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.data.TextDataset;
import dev.floe.engine.FloeEngine;
import dev.floe.data.Examples;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Labelled texts tokenized once, up front, feeding a transformer graph's {@value #INPUT_IDS} and
 * {@value #ATTENTION_MASK} inputs.
 *
 * <p>Each text keeps only its own tokens (special tokens included, truncated to the tokenizer's
 * {@link Tokenizer#maxLength()}); {@link #inputs} pads a batch to its longest text, not to the
 * longest of the whole set, so short batches cost less. Padding is id 0 with mask 0. Immutable;
 * the tokenizer is not kept, so it may be closed after construction.
 */
public final class TokenizedExamples implements Examples {

    /** Graph input fed with token ids, {@code [batch, seq] int64}. */
    public static final String INPUT_IDS = "input_ids";
    /** Graph input fed with the mask, {@code [batch, seq] int64}, 1 = token, 0 = padding. */
    public static final String ATTENTION_MASK = "attention_mask";

    /** Texts encoded per native call; bounds the padded scratch arrays of one call. */
    private static final int ENCODE_CHUNK = 64;
    private static final byte[] FINGERPRINT_TAG = "floe.text.TokenizedExamples/v1".getBytes(StandardCharsets.US_ASCII);

    private final String name;
    private final long[][] ids; // per example, unpadded
    private final int[] labels;
    private final int numClasses;
    private String fingerprint; // computed on first use; racy but idempotent

    private TokenizedExamples(String name, long[][] ids, int[] labels, int numClasses) {
        this.name = name;
        this.ids = ids;
        this.labels = labels;
        this.numClasses = numClasses;
    }

    /**
     * Tokenizes every text of {@code data}; labels and class count come from it.
     *
     * @param data the texts and labels
     * @param tokenizer used now only; its {@code maxLength} truncates
     * @return the examples
     */
    public static TokenizedExamples of(TextDataset data, Tokenizer tokenizer) {
        Objects.requireNonNull(data, "data");
        return of(data.name() + " [tokens <= " + tokenizer.maxLength() + "]", data.texts(), data.labels(),
                data.numClasses(), tokenizer);
    }

    /**
     * Tokenizes the given texts.
     *
     * @param name how the examples were made, for records
     * @param texts one per example, none null
     * @param labels one per text, each in {@code [0, numClasses)}
     * @param numClasses at least 1
     * @param tokenizer used now only; its {@code maxLength} truncates
     * @return the examples
     * @throws IllegalArgumentException if the sizes disagree, a label is out of range, or a text is null
     */
    public static TokenizedExamples of(
            String name, List<String> texts, int[] labels, int numClasses, Tokenizer tokenizer) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("tokenized examples need a name saying where the texts came from");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException(
                    "tokenized examples " + name + ": numClasses is " + numClasses + "; it must be at least 1");
        }
        if (texts.size() != labels.length) {
            throw new IllegalArgumentException("tokenized examples " + name + ": " + texts.size() + " texts but "
                    + labels.length + " labels; give one label per text");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("tokenized examples " + name + ": label of text " + i + " is "
                        + labels[i] + " but must be in [0, " + numClasses + ")");
            }
        }
        long[][] ids = new long[texts.size()][];
        for (int from = 0; from < texts.size(); from += ENCODE_CHUNK) {
            int to = Math.min(texts.size(), from + ENCODE_CHUNK);
            Tokenizer.Encoded enc = tokenizer.encode(texts.subList(from, to));
            for (int r = 0; r < enc.batch(); r++) {
                ids[from + r] = Arrays.copyOf(enc.ids(r), enc.tokens(r)); // right-padded: real tokens first
            }
        }
        return new TokenizedExamples(name, ids, labels.clone(), numClasses);
    }

    /**
     * The examples at {@code indices}, in that order (an index may repeat).
     *
     * @param indices example indices, each in {@code [0, size)}
     * @param what appended to the name, e.g. {@code hard-ham-1}
     * @return the subset
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size)}
     */
    public TokenizedExamples subset(int[] indices, String what) {
        long[][] s = new long[indices.length][];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            s[i] = ids[checkIndex(indices[i])];
            l[i] = labels[indices[i]];
        }
        return new TokenizedExamples(name + " [" + what + ", " + indices.length + "]", s, l, numClasses);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int label(int i) {
        return labels[checkIndex(i)];
    }

    /**
     * Number of tokens of example {@code i}, special tokens included.
     *
     * @param i the example, in {@code [0, size)}
     * @return the count
     */
    public int tokens(int i) {
        return ids[checkIndex(i)].length;
    }

    /**
     * Token ids of example {@code i}, unpadded.
     *
     * @param i the example, in {@code [0, size)}
     * @return a copy of its ids
     */
    public long[] ids(int i) {
        return ids[checkIndex(i)].clone();
    }

    /** {@return the mean number of tokens per example (0 for an empty set)} */
    public double meanTokens() {
        long sum = 0;
        for (long[] row : ids) {
            sum += row.length;
        }
        return ids.length == 0 ? 0 : (double) sum / ids.length;
    }

    /**
     * Lower-case hex SHA-256 of the ASCII tag {@code floe.text.TokenizedExamples/v1}, the class
     * count, the size, then per example its token count, ids and label (big-endian ints and longs).
     * The name is not hashed; the same texts under another tokenizer or length differ.
     */
    @Override
    public String fingerprint() {
        if (fingerprint == null) {
            MessageDigest sha = dev.floe.io.Hashing.sha256();
            sha.update(FINGERPRINT_TAG);
            putLong(sha, numClasses);
            putLong(sha, ids.length);
            for (int i = 0; i < ids.length; i++) {
                putLong(sha, ids[i].length);
                for (long id : ids[i]) {
                    putLong(sha, id);
                }
                putLong(sha, labels[i]);
            }
            fingerprint = HexFormat.of().formatHex(sha.digest());
        }
        return fingerprint;
    }

    /**
     * {@value #INPUT_IDS} and {@value #ATTENTION_MASK}, each {@code (B, T)} int64 with T the longest
     * of the batch's texts, in the order of {@code indices}.
     *
     * @throws IllegalArgumentException if {@code indices} is empty
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size)}
     */
    @Override
    public Map<String, NDArray> inputs(NDManager manager, int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("tokenized examples " + name + ": a batch needs at least one index");
        }
        int length = 0;
        for (int i : indices) {
            length = Math.max(length, ids[checkIndex(i)].length);
        }
        long[] batchIds = new long[indices.length * length]; // (B, T), zero = padding id
        long[] mask = new long[indices.length * length]; // (B, T)
        for (int r = 0; r < indices.length; r++) {
            long[] row = ids[indices[r]];
            System.arraycopy(row, 0, batchIds, r * length, row.length);
            Arrays.fill(mask, r * length, r * length + row.length, 1L);
        }
        Shape shape = new Shape(indices.length, length);
        return Map.of(
                INPUT_IDS, FloeEngine.owned(manager, batchIds, shape),
                ATTENTION_MASK, FloeEngine.owned(manager, mask, shape));
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= labels.length) {
            throw new IndexOutOfBoundsException(
                    "example index " + i + " is outside [0, " + labels.length + ") of " + name);
        }
        return i;
    }

    private static void putLong(MessageDigest sha, long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            sha.update((byte) (v >>> shift));
        }
    }

    @Override
    public String toString() {
        return "TokenizedExamples[" + name + ", size=" + size() + ", classes=" + numClasses + "]";
    }
}
