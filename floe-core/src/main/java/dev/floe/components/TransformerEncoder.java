package dev.floe.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.floe.graph.Component;
import dev.floe.graph.ElementType;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A BERT-style transformer encoder (post-norm, GELU, learned positions):
 * {@code input_ids [batch, seq] int64, attention_mask [batch, seq] int64 (1 = token, 0 = padding),
 * token_type_ids [batch, seq] int64 (optional, default zeros) -> hidden [batch, seq, H],
 * pooled [batch, H]}, where {@code pooled} is, with {@link Pooling#MEAN} (the default), the mean of
 * {@code hidden} over the positions whose mask is 1 (sentence-transformers' mean pooling; not
 * normalised), or with {@link Pooling#CLS} the hidden state of the first token ({@code [CLS]}).
 *
 * <p>Children are named as in Hugging Face BERT checkpoints, so imported weights map by name:
 * {@code embeddings/word_embeddings}, {@code embeddings/position_embeddings},
 * {@code embeddings/token_type_embeddings}, {@code embeddings/LayerNorm}, and for each layer i
 * {@code layer.i/attention/self/query|key|value}, {@code layer.i/attention/output/dense},
 * {@code layer.i/attention/output/LayerNorm}, {@code layer.i/intermediate/dense},
 * {@code layer.i/output/dense}, {@code layer.i/output/LayerNorm}. Every dense layer is a
 * {@link dev.floe.nn.Linear}, so LoRA and adapters can target them by path. Layer order for
 * schedules is {@code [embeddings, layer.0, ..., layer.N-1]}.
 *
 * <p>Padding keys get a score of {@value #MASKED_SCORE} before the softmax, so padding never changes
 * the outputs at real positions. Dropout (on embeddings, attention probabilities and both residual
 * branches) runs only in training mode.
 */
public final class TransformerEncoder extends Component {

    /** Added to attention scores of padding keys; exp of it is 0 in fp32. */
    public static final float MASKED_SCORE = -1e9f;
    /** Lower bound of the token count when mean pooling, so an all-padding row gives zeros, not NaN. */
    private static final float MIN_TOKEN_COUNT = 1e-9f;

    /**
     * Sizes and settings of an encoder; validated on creation.
     *
     * @param vocab word-piece vocabulary size
     * @param hidden width H of every token vector; divisible by {@code heads}
     * @param layers number of transformer layers
     * @param heads attention heads per layer
     * @param intermediate width of the feed-forward layer
     * @param maxPositions longest sequence the position table covers
     * @param typeVocab number of token types (segments)
     * @param layerNormEps epsilon of every LayerNorm
     * @param dropout rate of every dropout, in [0, 1)
     */
    public record Config(
            long vocab,
            long hidden,
            int layers,
            long heads,
            long intermediate,
            long maxPositions,
            long typeVocab,
            float layerNormEps,
            float dropout) {

        /**
         * Checks that every size is positive, the heads divide the hidden width and the dropout
         * rate is in range.
         *
         * @param vocab word-piece vocabulary size
         * @param hidden width H of every token vector; divisible by {@code heads}
         * @param layers number of transformer layers
         * @param heads attention heads per layer
         * @param intermediate width of the feed-forward layer
         * @param maxPositions longest sequence the position table covers
         * @param typeVocab number of token types (segments)
         * @param layerNormEps epsilon of every LayerNorm
         * @param dropout rate of every dropout, in [0, 1)
         * @throws IllegalArgumentException naming the field that is out of range
         */
        public Config {
            String where = "transformer encoder";
            Sizes.positive(where, "vocab", vocab);
            Sizes.positive(where, "hidden", hidden);
            Sizes.positive(where, "layers", layers);
            Sizes.positive(where, "heads", heads);
            Sizes.positive(where, "intermediate", intermediate);
            Sizes.positive(where, "maxPositions", maxPositions);
            Sizes.positive(where, "typeVocab", typeVocab);
            if (hidden % heads != 0) {
                throw new IllegalArgumentException(
                        where + ": hidden " + hidden + " is not divisible by heads " + heads
                                + "; choose heads that divide hidden (e.g. " + hidden + " / 64 = " + (hidden / 64) + ")");
            }
            if (!(layerNormEps > 0f) || Float.isInfinite(layerNormEps)) {
                throw new IllegalArgumentException(
                        where + ": layerNormEps must be a positive finite number, found " + layerNormEps);
            }
            Sizes.rate(where, dropout);
        }
    }

    /** How {@code pooled} summarises the token vectors. */
    public enum Pooling {
        /** Mean over the tokens whose mask is 1. */
        MEAN,
        /** The first token's vector ({@code [CLS]} in BERT tokenizations). */
        CLS;

        /**
         * Parses {@code mean} or {@code cls} (any case), or fails listing them.
         *
         * @param text {@code mean} or {@code cls}
         * @return the pooling
         */
        public static Pooling parse(String text) {
            for (Pooling p : values()) {
                if (p.name().equalsIgnoreCase(text.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown pooling '" + text + "'; expected mean or cls");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Config config;
    private final Pooling pooling;
    private final boolean pretrained;
    private TransformerEmbeddings embeddings;
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final List<EncoderExtension> extensions = new ArrayList<>();

    private TransformerEncoder(String name, Config config, Pooling pooling, boolean pretrained) {
        super(
                name,
                Role.ENCODER,
                List.of(
                        PortSpec.of("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64)),
                        PortSpec.of("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64)),
                        new PortSpec("token_type_ids", TensorSpec.of("[batch, seq]", ElementType.INT64), false)),
                List.of(
                        PortSpec.of("hidden", "[batch, seq, " + config.hidden() + "]"),
                        PortSpec.of("pooled", "[batch, " + config.hidden() + "]")));
        this.config = config;
        this.pooling = pooling;
        this.pretrained = pretrained;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The sizes and settings.
     *
     * @return the configuration
     */
    public Config config() {
        return config;
    }

    /**
     * How {@code pooled} is made.
     *
     * @return the pooling
     */
    public Pooling pooling() {
        return pooling;
    }

    /**
     * Whether every parameter is loaded right after the graph is built (see
     * {@link Builder#pretrained(boolean)}): then they start as zeros instead of random values.
     *
     * @return true for an encoder built to receive pretrained weights
     */
    public boolean pretrained() {
        return pretrained;
    }

    @Override
    public List<String> layerOrder() {
        List<String> names = new ArrayList<>(List.of("embeddings"));
        for (int i = 0; i < config.layers(); i++) {
            names.add("layer." + i);
        }
        return names;
    }

    /** Every entry of the layer order: the embeddings and each layer can be checkpointed. */
    @Override
    public List<String> checkpointSegments() {
        return layerOrder();
    }

    @Override
    protected void initialize(ParamScope scope) {
        if (pretrained) {
            // MiniLM's 22.6M random draws took about a second, and the import overwrote every one
            scope = scope.deferringInitialValues();
        }
        embeddings = new TransformerEmbeddings(scope.child("embeddings"), config);
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new TransformerLayer(scope.child("layer." + i), config));
        }
    }

    /**
     * @throws IllegalArgumentException naming the port when the mask or token types do not have
     *     the shape of {@code input_ids}, or the sequence is longer than {@code maxPositions}
     */
    @Override
    public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
        NDArray ids = in.get("input_ids"); // (B, T)
        NDArray mask = in.get("attention_mask"); // (B, T)
        NDArray typeIds = in.get("token_type_ids"); // (B, T) or null
        checkSameShape(ids, mask, "attention_mask");
        if (typeIds != null) {
            checkSameShape(ids, typeIds, "token_type_ids");
        }
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        // the mask needs no gradient, so autograd keeps none of the scalars below: DJL's add/mul(Number)
        // may free theirs at once (see FloeEngine.scalar)
        NDArray maskF = mask.toType(DataType.FLOAT32, false); // (B, T)
        List<EncoderExtension> on = extensions.stream().filter(EncoderExtension::active).toList();
        long n = on.isEmpty() ? 0 : virtualTokenCount(context, on);
        NDArray fullMask = n == 0 ? maskF : maskF.getManager().ones(new Shape(b, n)).concat(maskF, 1); // (B, N + T)
        NDArray maskBias = fullMask.neg().add(1f).mul(MASKED_SCORE).reshape(b, 1, 1, n + t); // (B, 1, 1, N + T)
        Map<String, NDArray> tokens = new java.util.HashMap<>(Map.of("input_ids", ids));
        if (typeIds != null) {
            tokens.put("token_type_ids", typeIds);
        }
        String embedded = name() + "/embeddings";
        NDArray x = context.layerOutput(embedded, context.segment(embedded, tokens, tok -> Map.of(ForwardContext.SINGLE,
                embeddings.forward(context, tok.get("input_ids"), tok.get("token_type_ids"),
                        virtualTokens(context, on, tok.get("input_ids").getManager()))))
                .get(ForwardContext.SINGLE)); // (B, N + T, H)
        for (int i = 0; i < layers.size(); i++) {
            TransformerLayer layer = layers.get(i);
            String path = name() + "/layer." + i;
            int index = i;
            x = context.layerOutput(path, context.segment(path, x,
                    h -> scoped(context, path, h, maskBias, layer, prefix(context, on, index, b, h.getManager())))); // (B, N + T, H)
        }
        if (n > 0) {
            x = x.get(new NDIndex(":, {}:, :", n)); // (B, T, H): the real tokens
        }
        if (pooling == Pooling.CLS) {
            return Map.of("hidden", x, "pooled", x.get(":, 0, :")); // (B, T, H), (B, H)
        }
        NDArray weights = maskF.expandDims(2); // (B, T, 1)
        NDArray sum = x.mul(weights).sum(new int[] {1}); // (B, H)
        NDArray count = maskF.sum(new int[] {1}, true).maximum(MIN_TOKEN_COUNT); // (B, 1)
        return Map.of("hidden", x, "pooled", sum.div(count)); // (B, T, H), (B, H)
    }

    /**
     * Attaches an extension (prompt or prefix tuning); it takes part in forward passes while
     * {@link EncoderExtension#active()} is true.
     *
     * @param extension the extension
     * @throws IllegalArgumentException if an extension of that name is attached already
     */
    public void addExtension(EncoderExtension extension) {
        for (EncoderExtension e : extensions) {
            if (e.name().equals(extension.name())) {
                throw new IllegalArgumentException(
                        "encoder " + name() + " already has an extension named '" + extension.name() + "'; choose another name");
            }
        }
        extensions.add(extension);
    }

    /**
     * {@return the attached extensions, in attachment order (unmodifiable)}
     */
    public List<EncoderExtension> extensions() {
        return java.util.Collections.unmodifiableList(extensions);
    }

    private long virtualTokenCount(ForwardContext context, List<EncoderExtension> on) {
        long n = 0;
        for (EncoderExtension e : on) {
            NDArray v = e.virtualTokens(context);
            n += v == null ? 0 : v.getShape().get(0);
        }
        return n;
    }

    /**
     * The active extensions' virtual tokens, concatenated in order: (N, H) in {@code pass}, or null.
     * Every array made from the trained parameters belongs to {@code pass}, so none outlives the
     * forward pass (operations on a parameter would otherwise make their results in the model's
     * long-lived manager, one set per pass).
     */
    private static NDArray virtualTokens(ForwardContext context, List<EncoderExtension> on, NDManager pass) {
        NDArray all = null;
        for (EncoderExtension e : on) {
            NDArray v = e.virtualTokens(context); // (N_e, H)
            if (v != null) {
                v = inPass(v, pass);
                all = all == null ? v : all.concat(v, 0);
            }
        }
        return all;
    }

    /** A differentiable view of a parameter's array owned by {@code pass}, so what is computed from it is too. */
    private static NDArray inPass(NDArray parameter, NDManager pass) {
        NDArray view = parameter.reshape(parameter.getShape());
        view.attach(pass);
        return view;
    }

    /** The active extensions' prefixes for one layer, concatenated in order and owned by {@code pass}, or null. */
    private static TransformerLayer.Prefix prefix(ForwardContext context, List<EncoderExtension> on, int layer, long b,
            NDManager pass) {
        NDArray key = null;
        NDArray value = null;
        NDArray bias = null;
        for (EncoderExtension e : on) {
            EncoderExtension.KeyValue kv = e.prefix(context, layer);
            if (kv == null) {
                continue;
            }
            long p = kv.key().getShape().get(0);
            NDArray rows = context.routedRows(e.name()); // (B) or null
            NDArray eBias = rows == null
                    ? pass.zeros(new Shape(b, 1, 1, p))
                    : rows.neg().add(1f).mul(MASKED_SCORE).reshape(b, 1, 1, 1).broadcast(b, 1, 1, p); // (B, 1, 1, P)
            NDArray k = inPass(kv.key(), pass); // (P, H)
            NDArray v = inPass(kv.value(), pass); // (P, H)
            key = key == null ? k : key.concat(k, 0);
            value = value == null ? v : value.concat(v, 0);
            bias = bias == null ? eBias : bias.concat(eBias, 3);
        }
        return key == null ? null : new TransformerLayer.Prefix(key, value, bias);
    }

    /**
     * Runs one layer. A layer that does not train in this pass (inference, or a frozen layer that no
     * gradient passes through) runs in a scope of its own that is closed when it returns, so its
     * intermediate arrays (scores, probabilities, the FFN's (B, T, I) activations) are freed at once
     * instead of staying alive until the whole pass's scope closes; only the output is kept. Values
     * shown to {@link ForwardContext#observe} are freed then too, which its contract allows only for
     * contexts that copy them at once (as attention recordings do).
     */
    private static NDArray scoped(ForwardContext context, String path, NDArray x, NDArray maskBias,
            TransformerLayer layer, TransformerLayer.Prefix prefix) {
        if (context.training(path) || x.hasGradient()) {
            return layer.forward(context, x, maskBias, prefix);
        }
        NDManager parent = x.getManager();
        try (NDManager scope = parent.newSubManager()) {
            x.tempAttach(scope); // results of operations on x are made in x's manager: this scope
            NDArray out = layer.forward(context, x, maskBias, prefix); // (B, T, H)
            out.attach(parent);
            return out;
        }
    }

    private void checkSameShape(NDArray ids, NDArray other, String port) {
        if (!other.getShape().equals(ids.getShape())) {
            throw new IllegalArgumentException(
                    "encoder " + name() + ": " + port + " has shape " + other.getShape() + " but input_ids has "
                            + ids.getShape() + "; give one " + port + " value per token");
        }
    }

    /**
     * Builder: {@code name}, {@code vocab}, {@code hidden}, {@code layers}, {@code heads} are
     * required; {@code intermediate} defaults to 4·hidden, {@code maxPositions} to 512,
     * {@code typeVocab} to 2, {@code layerNormEps} to 1e-12, {@code dropout} to 0.1 (BERT's),
     * {@code pooling} to mean.
     */
    public static final class Builder {
        private String name;
        private long vocab = -1;
        private long hidden = -1;
        private int layers = -1;
        private long heads = -1;
        private long intermediate = -1;
        private long maxPositions = 512;
        private long typeVocab = 2;
        private float layerNormEps = 1e-12f;
        private float dropout = 0.1f;
        private Pooling pooling = Pooling.MEAN;
        private boolean pretrained;

        private Builder() {}

        /**
         * Whether the caller loads every parameter right after the graph is built (an ONNX or
         * checkpoint import such as {@code BertImport.load}); default false. When true the parameters
         * start as zeros and no random initial values are drawn, which saves about a second for
         * MiniLM's sizes; an encoder that is then never loaded outputs constants.
         *
         * @param pretrained true when weights follow the build
         * @return this builder
         */
        public Builder pretrained(boolean pretrained) {
            this.pretrained = pretrained;
            return this;
        }

        /**
         * How the {@code pooled} output is made from the last layer's hidden states (default
         * {@link Pooling#MEAN}).
         *
         * @param pooling the pooling; not null
         * @return this builder
         * @throws NullPointerException when {@code pooling} is null
         */
        public Builder pooling(Pooling pooling) {
            this.pooling = java.util.Objects.requireNonNull(pooling, "pooling");
            return this;
        }

        /**
         * Component name (required).
         *
         * @param name the component name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Vocabulary size (required).
         *
         * @param vocab the vocabulary size
         * @return this builder
         */
        public Builder vocab(long vocab) {
            this.vocab = vocab;
            return this;
        }

        /**
         * Hidden width H (required).
         *
         * @param hidden the hidden width
         * @return this builder
         */
        public Builder hidden(long hidden) {
            this.hidden = hidden;
            return this;
        }

        /**
         * Number of layers (required).
         *
         * @param layers the number of layers
         * @return this builder
         */
        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        /**
         * Attention heads (required); must divide hidden.
         *
         * @param heads the number of heads
         * @return this builder
         */
        public Builder heads(long heads) {
            this.heads = heads;
            return this;
        }

        /**
         * Feed-forward width (default 4·hidden).
         *
         * @param intermediate the feed-forward width
         * @return this builder
         */
        public Builder intermediate(long intermediate) {
            this.intermediate = intermediate;
            return this;
        }

        /**
         * Position table size, the longest sequence accepted (default 512).
         *
         * @param maxPositions the position table size
         * @return this builder
         */
        public Builder maxPositions(long maxPositions) {
            this.maxPositions = maxPositions;
            return this;
        }

        /**
         * Number of token types (default 2).
         *
         * @param typeVocab the number of token types
         * @return this builder
         */
        public Builder typeVocab(long typeVocab) {
            this.typeVocab = typeVocab;
            return this;
        }

        /**
         * LayerNorm epsilon (default 1e-12, BERT's).
         *
         * @param eps the epsilon
         * @return this builder
         */
        public Builder layerNormEps(float eps) {
            this.layerNormEps = eps;
            return this;
        }

        /**
         * Dropout rate everywhere (default 0.1).
         *
         * @param rate the dropout rate, in [0, 1)
         * @return this builder
         */
        public Builder dropout(float rate) {
            this.dropout = rate;
            return this;
        }

        /**
         * Takes every size from {@code config}.
         *
         * @param config the sizes and settings
         * @return this builder
         */
        public Builder config(Config config) {
            vocab = config.vocab();
            hidden = config.hidden();
            layers = config.layers();
            heads = config.heads();
            intermediate = config.intermediate();
            maxPositions = config.maxPositions();
            typeVocab = config.typeVocab();
            layerNormEps = config.layerNormEps();
            dropout = config.dropout();
            return this;
        }

        /**
         * Checks sizes and builds.
         *
         * @return a new encoder; its parameters are created when a graph is built with it
         * @throws IllegalArgumentException naming the field on a missing or invalid size
         */
        public TransformerEncoder build() {
            long ffn = intermediate > 0 || hidden <= 0 ? intermediate : 4 * hidden;
            Config config;
            try {
                config = new Config(vocab, hidden, layers, heads, ffn, maxPositions, typeVocab, layerNormEps, dropout);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replaceFirst("^transformer encoder", "transformer encoder " + name), e);
            }
            return new TransformerEncoder(name, config, pooling, pretrained);
        }
    }
}
