package dev.floe.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns texts into the int64 arrays a {@link dev.floe.components.TransformerEncoder} reads, using a
 * Hugging Face {@code tokenizer.json} (WordPiece for BERT models) through DJL's native tokenizers
 * library, which ships inside its jar and needs no download.
 *
 * <p>Special tokens ({@code [CLS]}, {@code [SEP]}) are added; each text is truncated to
 * {@link #maxLength()} tokens, and a batch is padded to its longest text. Not thread-safe; close it
 * to free the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final String source;

    private Tokenizer(HuggingFaceTokenizer tokenizer, int maxLength, String source) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.source = source;
    }

    /**
     * Ids of a batch, row-major {@code (batch, length)}, padded with id 0 and mask 0.
     *
     * @param batch number of texts
     * @param length tokens per row (the longest text's, at most {@code maxLength})
     * @param inputIds token ids
     * @param attentionMask 1 for tokens, 0 for padding
     * @param tokenTypeIds segment ids (0 for single texts)
     */
    public record Encoded(int batch, int length, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {

        /**
         * Checks that the three arrays hold {@code batch × length} values each.
         *
         * @param batch see the record comment
         * @param length see the record comment
         * @param inputIds see the record comment
         * @param attentionMask see the record comment
         * @param tokenTypeIds see the record comment
         * @throws IllegalArgumentException naming the sizes when they disagree
         */
        public Encoded {
            long n = (long) batch * length;
            if (batch < 0 || length < 0 || inputIds.length != n || attentionMask.length != n
                    || tokenTypeIds.length != n) {
                throw new IllegalArgumentException(
                        "an encoded batch of " + batch + " x " + length + " needs " + n + " ids, mask values"
                                + " and type ids; found " + inputIds.length + ", " + attentionMask.length + ", "
                                + tokenTypeIds.length);
            }
        }

        /**
         * Row {@code i}'s ids, padding included.
         *
         * @param i the row, in {@code [0, batch)}
         * @return a copy of {@code length} ids
         */
        public long[] ids(int i) {
            return java.util.Arrays.copyOfRange(inputIds, i * length, (i + 1) * length);
        }

        /**
         * Number of real (non-padding) tokens in row {@code i}.
         *
         * @param i the row, in {@code [0, batch)}
         * @return the count, special tokens included
         */
        public int tokens(int i) {
            int n = 0;
            for (int j = 0; j < length; j++) {
                n += (int) attentionMask[i * length + j];
            }
            return n;
        }

        /**
         * The arrays as {@code input_ids}, {@code attention_mask}, {@code token_type_ids}, each
         * {@code (batch, length)} int64, attached to {@code manager}.
         *
         * @param manager owns the arrays; closing it frees them
         * @return the three arrays by name
         */
        public Map<String, NDArray> toArrays(NDManager manager) {
            Shape shape = new Shape(batch, length);
            return Map.of(
                    "input_ids", FloeEngine.owned(manager, inputIds, shape),
                    "attention_mask", FloeEngine.owned(manager, attentionMask, shape),
                    "token_type_ids", FloeEngine.owned(manager, tokenTypeIds, shape));
        }
    }

    /**
     * A tokenizer read from a {@code tokenizer.json} file.
     *
     * @param file the {@code tokenizer.json}
     * @param maxLength longest encoding in tokens, special tokens included; &gt;= 2
     * @throws IOException if the file cannot be read
     * @return the tokenizer; the caller closes it
     * @throws IllegalArgumentException naming the file when it is not a valid tokenizer
     */
    public static Tokenizer fromFile(Path file, int maxLength) throws IOException {
        Objects.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            return create(in, maxLength, file.toString());
        }
    }

    /**
     * A tokenizer read from a class-path resource holding a {@code tokenizer.json}, e.g.
     * {@code all-minilm-l6-v2-tokenizer.json}.
     *
     * @param resource the resource name, looked up with this library's class loader
     * @param maxLength longest encoding in tokens, special tokens included; &gt;= 2
     * @return the tokenizer; the caller closes it
     * @throws IllegalArgumentException naming the resource when it is missing or invalid
     */
    public static Tokenizer fromResource(String resource, int maxLength) {
        Objects.requireNonNull(resource, "resource");
        try (InputStream in = Tokenizer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException(
                        "class-path resource " + resource + " was not found; add the jar that holds it to the"
                                + " class path");
            }
            return create(in, maxLength, "classpath:" + resource);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read class-path resource " + resource, e);
        }
    }

    private static Tokenizer create(InputStream in, int maxLength, String source) throws IOException {
        if (maxLength < 2) {
            throw new IllegalArgumentException(
                    "tokenizer " + source + ": maxLength must be at least 2 (room for [CLS] and [SEP]), found "
                            + maxLength);
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "true",
                "padding", "true",
                "maxLength", Integer.toString(maxLength),
                "modelMaxLength", Integer.toString(maxLength));
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(in, options);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "tokenizer " + source + " could not be loaded: " + e.getMessage()
                            + "; expected a Hugging Face tokenizer.json", e);
        }
        return new Tokenizer(tokenizer, maxLength, source);
    }

    /** {@return the longest encoding in tokens, special tokens included} */
    public int maxLength() {
        return maxLength;
    }

    /** {@return where the vocabulary came from (a file path or {@code classpath:} resource)} */
    public String source() {
        return source;
    }

    /**
     * Encodes texts as one padded batch, each cut to {@link #maxLength()}.
     *
     * @param texts at least one text, none null
     * @return the batch, padded to its longest encoding
     * @throws IllegalArgumentException if {@code texts} is empty or holds null
     */
    public Encoded encode(List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("encode needs at least one text");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("text " + i + " is null; pass an empty string instead");
            }
        }
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int length = 0;
        for (Encoding e : encodings) {
            length = Math.max(length, e.getIds().length);
        }
        int batch = encodings.length;
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        for (int i = 0; i < batch; i++) {
            // the native tokenizer already pads to the longest; copying keeps this right if it did not
            System.arraycopy(encodings[i].getIds(), 0, ids, i * length, encodings[i].getIds().length);
            System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * length, encodings[i].getAttentionMask().length);
            System.arraycopy(encodings[i].getTypeIds(), 0, types, i * length, encodings[i].getTypeIds().length);
        }
        return new Encoded(batch, length, ids, mask, types);
    }

    /**
     * The word pieces of one text, special tokens included (for inspection).
     *
     * @param text the text
     * @return its word pieces, in order
     */
    public List<String> tokens(String text) {
        return List.of(tokenizer.encode(text).getTokens());
    }

    /**
     * The word piece of each token id, as the tokenizer decodes it alone (special tokens such as
     * {@code [CLS]} kept), for naming the tokens of encoded texts.
     *
     * @param ids token ids of this tokenizer's vocabulary
     * @return one piece per id, in order
     */
    public List<String> pieces(long[] ids) {
        long[][] one = new long[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            one[i] = new long[] {ids[i]};
        }
        return ids.length == 0 ? List.of() : List.of(tokenizer.batchDecode(one, false));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
