package dev.floe.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A text classifier: a pretrained encoder and a linear head on its pooled output, with the
 * tokenizer that feeds it. The graph has inputs {@value TokenizedExamples#INPUT_IDS} and
 * {@value TokenizedExamples#ATTENTION_MASK} ({@code [batch, seq] int64}), components
 * {@value MiniLm#COMPONENT} and {@value #HEAD}, and one output {@value #LOGITS}
 * {@code [batch, classes]}. Made by {@link MiniLm#classifier(List, int)}.
 *
 * <p>Train {@link #graph()} with a {@link dev.floe.train.Trainer} on {@link #examples}; add LoRA
 * or adapters to it first ({@link dev.floe.peft.Lora#inject}). {@link #predict} and
 * {@link #probabilities} take and return plain Java values; native memory stays inside (freed per
 * call, and all of it by {@link #close()}). Not thread-safe, like the graph.
 */
public final class TextClassifier implements AutoCloseable {

    /** Name of the head component. */
    public static final String HEAD = "head";
    /** Name of the graph output holding the logits. */
    public static final String LOGITS = "logits";

    private final ModelGraph graph;
    private final Tokenizer tokenizer;
    private final List<String> classNames;

    TextClassifier(ModelGraph graph, Tokenizer tokenizer, List<String> classNames) {
        this.graph = graph;
        this.tokenizer = tokenizer;
        this.classNames = List.copyOf(classNames);
    }

    /**
     * The graph to train, inject into and save from.
     *
     * @return the graph this classifier owns (closed by {@link #close()})
     */
    public ModelGraph graph() {
        return graph;
    }

    /**
     * The tokenizer; its {@link Tokenizer#maxLength()} truncates every text.
     *
     * @return the tokenizer this classifier owns (closed by {@link #close()})
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The class names, in class order (class {@code i} is logit {@code i}).
     *
     * @return the names given when the classifier was made
     */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Tokenized training or evaluation examples for {@link dev.floe.train.Trainer#run}.
     *
     * @param texts one per example
     * @param labels one class name (from {@link #classNames()}) per text
     * @return the examples, tokenized with {@link #tokenizer()}
     * @throws IllegalArgumentException if the sizes differ, a text is null, or a label is not a
     *     class name (naming it and the class names)
     */
    public TokenizedExamples examples(List<String> texts, List<String> labels) {
        if (texts.size() != labels.size()) {
            throw new IllegalArgumentException("examples: " + texts.size() + " texts but " + labels.size()
                    + " labels; give one label per text");
        }
        int[] ids = new int[labels.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = classNames.indexOf(labels.get(i));
            if (ids[i] < 0) {
                throw new IllegalArgumentException("examples: label '" + labels.get(i) + "' of text " + i
                        + " is not a class name; expected one of " + classNames);
            }
        }
        return TokenizedExamples.of("texts", texts, ids, classNames.size(), tokenizer);
    }

    /**
     * Class probabilities (softmax of the logits) in inference mode, with the LoRA modules and
     * adapters active in the graph applied.
     *
     * @param texts the texts to classify
     * @return one row per text, one probability per class in class order, each row summing to 1
     */
    public float[][] probabilities(List<String> texts) {
        float[][] out = new float[texts.size()][];
        if (texts.isEmpty()) {
            return out;
        }
        Tokenizer.Encoded enc = tokenizer.encode(texts);
        float[] logits;
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> arrays = enc.toArrays(batch);
            NDArray result = graph.forward(
                            Map.of(TokenizedExamples.INPUT_IDS, arrays.get(TokenizedExamples.INPUT_IDS),
                                    TokenizedExamples.ATTENTION_MASK, arrays.get(TokenizedExamples.ATTENTION_MASK)),
                            ForwardContext.INFERENCE, List.of(LOGITS))
                    .get(LOGITS);
            logits = result.toFloatArray();
        }
        int k = classNames.size();
        for (int i = 0; i < out.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                max = Math.max(max, logits[i * k + c]);
            }
            double sum = 0;
            double[] e = new double[k];
            for (int c = 0; c < k; c++) {
                e[c] = Math.exp(logits[i * k + c] - max);
                sum += e[c];
            }
            out[i] = new float[k];
            for (int c = 0; c < k; c++) {
                out[i][c] = (float) (e[c] / sum);
            }
        }
        return out;
    }

    /**
     * The most probable class of each text (the first on a tie).
     *
     * @param texts the texts to classify
     * @return one class name per text, in order
     */
    public List<String> predict(List<String> texts) {
        List<String> out = new ArrayList<>();
        for (float[] p : probabilities(texts)) {
            int best = 0;
            for (int c = 1; c < p.length; c++) {
                best = p[c] > p[best] ? c : best;
            }
            out.add(classNames.get(best));
        }
        return out;
    }

    /** Frees the graph's native memory and the tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
        graph.close();
    }
}
