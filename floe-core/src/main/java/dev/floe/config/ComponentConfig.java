package dev.floe.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.floe.graph.Component;
import java.util.List;

/**
 * One entry of {@code model.components}: a built-in component chosen by its {@code type} key.
 * Sizes are checked when the record is made (each at least 1 and at most
 * {@link dev.floe.nn.ParamScope#MAX_VALUES}, as every size is a dimension of some parameter); ports
 * and wiring are checked when the graph is built.
 *
 * <pre>{@code
 * - {name: encoder, type: conv_encoder, input: [1, 28, 28], widths: [16, 32, 64]}
 * - {name: head, type: linear_head, features: 64, classes: 5}
 * - {name: encoder, from: "registry:fmnist-encoder@prod"}
 * - {name: encoder, type: minilm, pooling: mean}
 * - {name: encoder, type: transformer, hidden: 32, layers: 2, heads: 2}
 * }</pre>
 *
 * <p>An entry with {@code from} instead of {@code type} is a {@link FromSource}: its type, sizes and
 * weights come from a {@link ComponentSource} when the graph is built.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type", visible = true,
        defaultImpl = ComponentConfig.FromSource.class)
@JsonSubTypes({
    @JsonSubTypes.Type(value = ComponentConfig.ConvEncoder.class, name = "conv_encoder"),
    @JsonSubTypes.Type(value = ComponentConfig.Mlp.class, name = "mlp"),
    @JsonSubTypes.Type(value = ComponentConfig.LinearHead.class, name = "linear_head"),
    @JsonSubTypes.Type(value = ComponentConfig.MlpHead.class, name = "mlp_head"),
    @JsonSubTypes.Type(value = ComponentConfig.MiniLm.class, name = "minilm"),
    @JsonSubTypes.Type(value = ComponentConfig.Transformer.class, name = "transformer"),
    @JsonSubTypes.Type(value = ComponentConfig.TorchScript.class, name = "torchscript")
})
public sealed interface ComponentConfig {

    /**
     * The component's name, the first segment of its parameter paths.
     *
     * @return the name
     */
    String name();

    /**
     * A new component as configured; each call gives a fresh instance for a new graph.
     *
     * @return a new component
     */
    Component toComponent();

    /**
     * The key of this entry that sets the shape of a port, for messages about wiring
     * ({@code widths} for a conv encoder's {@code features}); null for an unknown port.
     *
     * @param port a port name of the component
     * @return the YAML key, or null
     */
    String keyOf(String port);

    /** {@link #keyOf} of the heads: the input port's width is {@code features}, the logits' is {@code classes}. */
    private static String headKeyOf(String port) {
        return switch (port) {
            case "in" -> "features";
            case "logits" -> "classes";
            default -> null;
        };
    }

    /**
     * {@code type: conv_encoder}, a {@link dev.floe.components.ConvEncoder}.
     *
     * @param name required
     * @param input channels, height, width of the images; default {@code [1, 28, 28]}
     * @param widths stem width, then one per residual block; default {@code [16, 32, 64]}
     */
    @JsonIgnoreProperties("type")
    record ConvEncoder(String name, List<Long> input, List<Long> widths) implements ComponentConfig {
        private static final List<Long> DEFAULT_INPUT = List.of(1L, 28L, 28L);
        private static final List<Long> DEFAULT_WIDTHS = List.of(16L, 32L, 64L);

        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param input channels, height, width of the images; default {@code [1, 28, 28]}
         * @param widths stem width, then one per residual block; default {@code [16, 32, 64]}
         */
        public ConvEncoder {
            Fields.required().key("name", name).check("{name: encoder, type: conv_encoder, widths: [16, 32, 64]}");
            input = input == null ? DEFAULT_INPUT : Fields.list(input);
            widths = widths == null ? DEFAULT_WIDTHS : Fields.list(widths);
            if (input.size() != 3) {
                throw Fields.bad("input",
                        "input must be [channels, height, width], found " + input + "; e.g. input: [1, 28, 28]");
            }
            Fields.sizes("input", input);
            if (widths.isEmpty()) {
                throw Fields.bad("widths",
                        "widths is empty; give the stem width and one per residual block, e.g. widths: [16, 32, 64]");
            }
            Fields.sizes("widths", widths);
        }

        @Override
        public String keyOf(String port) {
            return switch (port) {
                case "in" -> "input";
                case "features" -> "widths";
                default -> null;
            };
        }

        @Override
        public Component toComponent() {
            return dev.floe.components.ConvEncoder.builder()
                    .name(name)
                    .input(input.get(0), input.get(1), input.get(2))
                    .widths(widths.stream().mapToLong(Long::longValue).toArray())
                    .build();
        }
    }

    /**
     * {@code type: mlp}, a {@link dev.floe.components.Mlp}.
     *
     * @param name required
     * @param inputs input features, required
     * @param hidden hidden layer widths, bottom first; default none
     * @param outputs output features, required
     * @param dropout after each hidden layer while training, in [0, 1); default 0
     */
    @JsonIgnoreProperties("type")
    record Mlp(String name, Long inputs, List<Long> hidden, Long outputs, Double dropout) implements ComponentConfig {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param inputs input features, required
         * @param hidden hidden layer widths, bottom first; default none
         * @param outputs output features, required
         * @param dropout after each hidden layer while training, in [0, 1); default 0
         */
        public Mlp {
            Fields.required().key("name", name).key("inputs", inputs).key("outputs", outputs)
                    .check("{name: mlp, type: mlp, inputs: 64, hidden: [32], outputs: 10}");
            hidden = Fields.list(hidden);
            dropout = dropout == null ? 0.0 : dropout;
            Fields.size("inputs", inputs);
            Fields.size("outputs", outputs);
            Fields.sizes("hidden", hidden);
            Fields.unitInterval("dropout", dropout);
        }

        @Override
        public String keyOf(String port) {
            return switch (port) {
                case "in" -> "inputs";
                case "out" -> "outputs";
                default -> null;
            };
        }

        @Override
        public Component toComponent() {
            return dev.floe.components.Mlp.builder()
                    .name(name)
                    .inputs(inputs)
                    .hidden(hidden.stream().mapToLong(Long::longValue).toArray())
                    .outputs(outputs)
                    .dropout(dropout.floatValue())
                    .build();
        }
    }

    /**
     * {@code type: linear_head}, a {@link dev.floe.components.LinearHead}.
     *
     * @param name required
     * @param features input width, required
     * @param classes number of classes, required
     * @param dropout on the input features while training, in [0, 1); default 0
     */
    @JsonIgnoreProperties("type")
    record LinearHead(String name, Long features, Long classes, Double dropout) implements ComponentConfig {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param features input width, required
         * @param classes number of classes, required
         * @param dropout on the input features while training, in [0, 1); default 0
         */
        public LinearHead {
            Fields.required().key("name", name).key("features", features).key("classes", classes)
                    .check("{name: head, type: linear_head, features: 64, classes: 10}");
            dropout = dropout == null ? 0.0 : dropout;
            Fields.size("features", features);
            Fields.size("classes", classes);
            Fields.unitInterval("dropout", dropout);
        }

        @Override
        public String keyOf(String port) {
            return headKeyOf(port);
        }

        @Override
        public Component toComponent() {
            return dev.floe.components.LinearHead.of(name, features, classes, dropout.floatValue());
        }
    }

    /**
     * {@code type: mlp_head}, a {@link dev.floe.components.MlpHead}.
     *
     * @param name required
     * @param features input width, required
     * @param hidden hidden width, required
     * @param classes number of classes, required
     * @param dropout after the hidden layer while training, in [0, 1); default 0
     */
    @JsonIgnoreProperties("type")
    record MlpHead(String name, Long features, Long hidden, Long classes, Double dropout) implements ComponentConfig {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param features input width, required
         * @param hidden hidden width, required
         * @param classes number of classes, required
         * @param dropout after the hidden layer while training, in [0, 1); default 0
         */
        public MlpHead {
            Fields.required().key("name", name).key("features", features).key("hidden", hidden).key("classes", classes)
                    .check("{name: head, type: mlp_head, features: 64, hidden: 32, classes: 10}");
            dropout = dropout == null ? 0.0 : dropout;
            Fields.size("features", features);
            Fields.size("hidden", hidden);
            Fields.size("classes", classes);
            Fields.unitInterval("dropout", dropout);
        }

        @Override
        public String keyOf(String port) {
            return headKeyOf(port);
        }

        @Override
        public Component toComponent() {
            return dev.floe.components.MlpHead.of(name, features, hidden, classes, dropout.floatValue());
        }
    }

    /**
     * A component that reads token ids ({@code input_ids}, {@code attention_mask}): it decides the
     * tokenizer of {@code format: text} data and the longest text it takes.
     */
    sealed interface TextEncoder permits MiniLm, Transformer {

        /**
         * Word-piece vocabulary size; every token id must be below it.
         *
         * @return the vocabulary size
         */
        Long vocab();

        /**
         * The longest sequence the position table covers, in tokens.
         *
         * @return the position table's length
         */
        Long maxPositions();

        /**
         * The tokenizer for this encoder, truncating to {@code maxTokens}; the caller closes it.
         *
         * @param maxTokens the longest token sequence the tokenizer returns, special tokens
         *     included
         * @return a new tokenizer
         * @param baseDir the folder a relative {@code tokenizer} path starts from
         * @param key the config key of this component, for messages
         * @throws ConfigException naming {@code KEY.tokenizer} when the file is missing or not a tokenizer
         */
        dev.floe.text.Tokenizer tokenizer(int maxTokens, java.nio.file.Path baseDir, String key);
    }

    /** Parses a pooling name, reporting a bad one at key {@code pooling}. */
    private static String checkPooling(String pooling) {
        String p = pooling == null ? "mean" : pooling;
        try {
            return dev.floe.components.TransformerEncoder.Pooling.parse(p).toString();
        } catch (IllegalArgumentException e) {
            throw Fields.bad("pooling", "pooling must be mean or cls, found '" + p + "'; mean averages the token"
                    + " vectors (as MiniLM was trained), cls takes the first token's");
        }
    }

    /** {@link #keyOf} of the transformer encoders: token inputs and the width of the outputs. */
    private static String encoderKeyOf(String port, String widthKey) {
        return switch (port) {
            case "input_ids", "attention_mask", "token_type_ids" -> "type";
            case "hidden", "pooled" -> widthKey;
            default -> null;
        };
    }

    /**
     * {@code type: minilm}: the pretrained sentence encoder all-MiniLM-L6-v2 ({@link dev.floe.text.MiniLm};
     * 6 layers, hidden 384, vocabulary 30522), its weights and tokenizer read from the bundled jar
     * when the graph is built. Ports as {@link dev.floe.components.TransformerEncoder}:
     * {@code input_ids}, {@code attention_mask}, {@code token_type_ids} (optional) in;
     * {@code hidden [batch, seq, 384]} and {@code pooled [batch, 384]} out.
     *
     * @param name required
     * @param pooling {@code mean} (default, as the model was trained) or {@code cls}
     * @param dropout inside the encoder while it trains, in [0, 1); default 0.1 (the model's)
     */
    @JsonIgnoreProperties("type")
    record MiniLm(String name, String pooling, Double dropout) implements ComponentConfig, TextEncoder {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param pooling {@code mean} (default, as the model was trained) or {@code cls}
         * @param dropout inside the encoder while it trains, in [0, 1); default 0.1 (the model's)
         */
        public MiniLm {
            Fields.required().key("name", name).check("{name: encoder, type: minilm}");
            pooling = checkPooling(pooling);
            dropout = dropout == null ? (double) dev.floe.text.MiniLm.CONFIG.dropout() : dropout;
            Fields.unitInterval("dropout", dropout);
        }

        @Override
        public Long vocab() {
            return dev.floe.text.MiniLm.CONFIG.vocab();
        }

        @Override
        public Long maxPositions() {
            return dev.floe.text.MiniLm.CONFIG.maxPositions();
        }

        @Override
        public dev.floe.text.Tokenizer tokenizer(int maxTokens, java.nio.file.Path baseDir, String key) {
            return dev.floe.text.Tokenizer.fromResource(dev.floe.text.MiniLm.TOKENIZER_RESOURCE, maxTokens);
        }

        @Override
        public String keyOf(String port) {
            return encoderKeyOf(port, "type");
        }

        @Override
        public Component toComponent() {
            dev.floe.components.TransformerEncoder.Config c = dev.floe.text.MiniLm.CONFIG;
            return dev.floe.components.TransformerEncoder.builder().name(name).config(c).pretrained(true)
                    .dropout(dropout.floatValue())
                    .pooling(dev.floe.components.TransformerEncoder.Pooling.parse(pooling))
                    .build();
        }
    }

    /**
     * {@code type: transformer}: a BERT-style {@link dev.floe.components.TransformerEncoder} with
     * random weights (load trained ones with {@code model.init}).
     *
     * @param name required
     * @param vocab word-piece vocabulary size; default 30522 (the bundled MiniLM tokenizer's)
     * @param hidden width of every token vector; required, divisible by {@code heads}
     * @param layers number of transformer layers; required
     * @param heads attention heads per layer; required
     * @param intermediate feed-forward width; default 4 · hidden
     * @param maxPositions {@code max_positions}: longest sequence, in tokens; default 512
     * @param dropout in [0, 1); default 0.1
     * @param pooling {@code mean} (default) or {@code cls}
     * @param tokenizer {@code minilm} (default: the bundled MiniLM WordPiece tokenizer) or the path
     *     of a Hugging Face {@code tokenizer.json}, relative to the config file
     * @param onnx a BERT-style ONNX export ({@code torch.onnx}, Hugging Face names) whose weights are
     *     loaded as trainable parameters when the graph is built, relative to the config file; its
     *     sizes must be these; default none (random weights)
     */
    @JsonIgnoreProperties("type")
    record Transformer(String name, Long vocab, Long hidden, Integer layers, Long heads, Long intermediate,
            Long maxPositions, Double dropout, String pooling, String tokenizer, String onnx)
            implements ComponentConfig, TextEncoder {

        /** The {@code tokenizer} value naming the bundled MiniLM tokenizer. */
        public static final String MINILM_TOKENIZER = "minilm";

        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param vocab word-piece vocabulary size; default 30522 (the bundled MiniLM tokenizer's)
         * @param hidden width of every token vector; required, divisible by {@code heads}
         * @param layers number of transformer layers; required
         * @param heads attention heads per layer; required
         * @param intermediate feed-forward width; default 4 · hidden
         * @param maxPositions {@code max_positions}: longest sequence, in tokens; default 512
         * @param dropout in [0, 1); default 0.1
         * @param pooling {@code mean} (default) or {@code cls}
         * @param tokenizer {@code minilm} (default: the bundled MiniLM WordPiece tokenizer) or the
         *     path of a Hugging Face {@code tokenizer.json}, relative to the config file
         * @param onnx a BERT-style ONNX export ({@code torch.onnx}, Hugging Face names) whose
         *     weights are loaded as trainable parameters when the graph is built, relative to the
         *     config file; its sizes must be these; default none (random weights)
         */
        public Transformer {
            Fields.required().key("name", name).key("hidden", hidden).key("layers", layers).key("heads", heads)
                    .check("{name: encoder, type: transformer, hidden: 32, layers: 2, heads: 2}");
            vocab = vocab == null ? dev.floe.text.MiniLm.CONFIG.vocab() : vocab;
            Fields.size("vocab", vocab);
            Fields.size("hidden", hidden);
            Fields.positive("layers", layers);
            Fields.size("heads", heads);
            intermediate = intermediate == null ? 4 * hidden : intermediate;
            Fields.size("intermediate", intermediate);
            maxPositions = maxPositions == null ? 512L : maxPositions;
            Fields.size("max_positions", maxPositions);
            dropout = dropout == null ? 0.1 : dropout;
            Fields.unitInterval("dropout", dropout);
            pooling = checkPooling(pooling);
            tokenizer = tokenizer == null ? MINILM_TOKENIZER : tokenizer;
            Fields.notBlank("tokenizer", tokenizer);
            Fields.notBlank("onnx", onnx);
            if (hidden % heads != 0) {
                throw Fields.bad("heads", "hidden " + hidden + " is not divisible by heads " + heads
                        + "; choose heads that divide hidden, e.g. heads: " + largestDivisor(hidden, heads));
            }
        }

        private static long largestDivisor(long hidden, long below) {
            for (long h = Math.min(below, hidden); h > 1; h--) {
                if (hidden % h == 0) {
                    return h;
                }
            }
            return 1;
        }

        @Override
        public dev.floe.text.Tokenizer tokenizer(int maxTokens, java.nio.file.Path baseDir, String key) {
            if (MINILM_TOKENIZER.equals(tokenizer)) {
                return dev.floe.text.Tokenizer.fromResource(dev.floe.text.MiniLm.TOKENIZER_RESOURCE, maxTokens);
            }
            java.nio.file.Path file = ConfigPaths.configFile(tokenizer, baseDir, key + ".tokenizer");
            try {
                return dev.floe.text.Tokenizer.fromFile(file, maxTokens);
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw new ConfigException(key + ".tokenizer", "cannot use " + file + " as a tokenizer: " + e.getMessage()
                        + "; give a Hugging Face tokenizer.json or write tokenizer: " + MINILM_TOKENIZER, e);
            }
        }

        @Override
        public String keyOf(String port) {
            return encoderKeyOf(port, "hidden");
        }

        @Override
        public Component toComponent() {
            return dev.floe.components.TransformerEncoder.builder().name(name).vocab(vocab).hidden(hidden)
                    .layers(layers).heads(heads).intermediate(intermediate).maxPositions(maxPositions)
                    .pretrained(onnx != null) // the ONNX weights overwrite every parameter after the build
                    .dropout(dropout.floatValue())
                    .pooling(dev.floe.components.TransformerEncoder.Pooling.parse(pooling))
                    .build();
        }
    }

    /**
     * {@code type: torchscript}: a TorchScript module ({@code torch.jit.script(m).save("m.pt")} or
     * {@code torch.jit.trace}) behind the ports declared here, its parameters imported as trainable
     * Floe parameters at {@code NAME/<torchscript name>} ({@link dev.floe.torchscript.TorchScriptComponent}).
     *
     * @param name required
     * @param file the {@code .pt} file, relative to the config file; required
     * @param inputs input ports in the order {@code forward} takes them, e.g. {@code {x: "[batch, 8]"}}; required
     * @param outputs output ports in the order {@code forward} returns them; required
     */
    @JsonIgnoreProperties("type")
    record TorchScript(String name, String file, java.util.Map<String, String> inputs,
            java.util.Map<String, String> outputs) implements ComponentConfig {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name required
         * @param file the {@code .pt} file, relative to the config file; required
         * @param inputs input ports in the order {@code forward} takes them, e.g.
         *     {@code {x: "[batch, 8]"}}; required
         * @param outputs output ports in the order {@code forward} returns them; required
         */
        public TorchScript {
            Fields.required().key("name", name).key("file", file).key("inputs", inputs).key("outputs", outputs)
                    .check("{name: encoder, type: torchscript, file: encoder.pt, inputs: {x: \"[batch, 8]\"},"
                            + " outputs: {y: \"[batch, 3]\"}}");
            Fields.notBlank("file", file);
            inputs = Fields.orderedMap(inputs);
            outputs = Fields.orderedMap(outputs);
            for (String key : List.of("inputs", "outputs")) {
                java.util.Map<String, String> ports = key.equals("inputs") ? inputs : outputs;
                if (ports.isEmpty()) {
                    throw Fields.bad(key, key + " is empty; declare at least one port, e.g. {x: \"[batch, 8]\"}");
                }
                for (java.util.Map.Entry<String, String> e : ports.entrySet()) {
                    if (e.getValue() == null) {
                        throw Fields.inside(List.of(key, e.getKey()), "port " + e.getKey() + " has no shape; write"
                                + " e.g. \"[batch, 8]\"");
                    }
                    try {
                        ExperimentConfig.inputSpec(e.getValue());
                    } catch (IllegalArgumentException bad) {
                        throw Fields.inside(List.of(key, e.getKey()), bad.getMessage());
                    }
                }
            }
        }

        @Override
        public String keyOf(String port) {
            return inputs.containsKey(port) ? "inputs." + port : outputs.containsKey(port) ? "outputs." + port : null;
        }

        /**
         * Always refused: the file is relative to the config, so use {@link #toComponent(java.nio.file.Path, String)}.
         *
         * @throws IllegalArgumentException always
         */
        @Override
        public Component toComponent() {
            throw new IllegalArgumentException("component " + name + " reads " + file + " relative to its config's"
                    + " folder; build it from a config");
        }

        /**
         * Loads the module (into native memory, owned by the graph once built).
         *
         * @return a new component running the TorchScript module
         * @param baseDir the folder {@code file} is relative to
         * @param key this entry's config key, for messages
         * @throws ConfigException naming {@code KEY.file} when the file is missing or not TorchScript,
         *     or {@code KEY} when the module's outputs differ from the declared ones
         */
        public Component toComponent(java.nio.file.Path baseDir, String key) {
            java.nio.file.Path path = ConfigPaths.configFile(file, baseDir, key + ".file");
            dev.floe.torchscript.TorchScriptComponent.Builder b = dev.floe.torchscript.TorchScriptComponent.builder()
                    .name(name).role(dev.floe.graph.Role.ENCODER).file(path);
            inputs.forEach((port, shape) -> b.input(dev.floe.graph.PortSpec.of(port, ExperimentConfig.inputSpec(shape))));
            outputs.forEach((port, shape) -> b.output(dev.floe.graph.PortSpec.of(port, ExperimentConfig.inputSpec(shape))));
            try {
                return b.build();
            } catch (dev.floe.torchscript.TorchScriptException e) {
                throw new ConfigException(key + ".file", e.getMessage(), e);
            }
        }
    }

    /**
     * {@code from: "registry:NAME@TAG"} (or {@code @VERSION}): a component whose type, constructor
     * config and weights come from a {@link ComponentSource} when the graph is built. The entry has
     * no {@code type}; an entry with neither is refused as missing its {@code type}.
     *
     * @param name required; the component's name in this graph
     * @param from {@code SCHEME:REF}, e.g. {@code registry:fmnist-encoder@prod}
     */
    @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = FromSourceReader.class)
    @com.fasterxml.jackson.databind.annotation.JsonSerialize(using = FromSourceWriter.class)
    record FromSource(String name, String from) implements ComponentConfig {
        /**
         * Checks that {@code from} has the form {@code SCHEME:REF}; a bad value throws an exception
         * naming its YAML key.
         *
         * @param name required; the component's name in this graph
         * @param from {@code SCHEME:REF}, e.g. {@code registry:fmnist-encoder@prod}
         */
        public FromSource {
            Fields.required().key("name", name).key("from", from)
                    .check("{name: encoder, from: \"registry:fmnist-encoder@prod\"}");
            int colon = from.indexOf(':');
            if (colon <= 0 || colon == from.length() - 1) {
                throw Fields.bad("from", "from '" + from + "' does not name a source; write SCHEME:REF, e.g."
                        + " from: \"registry:fmnist-encoder@prod\" or \"registry:fmnist-encoder@3\"");
            }
        }

        /**
         * The part before the first ':', e.g. {@code registry}.
         *
         * @return the scheme
         */
        public String scheme() {
            return from.substring(0, from.indexOf(':'));
        }

        /**
         * The part after the first ':', e.g. {@code fmnist-encoder@prod}.
         *
         * @return the reference
         */
        public String ref() {
            return from.substring(from.indexOf(':') + 1);
        }

        @Override
        public String keyOf(String port) {
            return "from";
        }

        /**
         * Always refused: the component is only known once its source resolves it.
         *
         * @throws IllegalArgumentException naming the missing source
         */
        @Override
        public Component toComponent() {
            throw new IllegalArgumentException("component " + name + " comes from " + from + " but no "
                    + scheme() + " was given to resolve it");
        }
    }

    /** Writes a {@link FromSource} entry as it is written in a config: {@code {name, from}}, no {@code type}. */
    final class FromSourceWriter extends com.fasterxml.jackson.databind.JsonSerializer<FromSource> {
        @Override
        public void serialize(FromSource value, com.fasterxml.jackson.core.JsonGenerator gen,
                com.fasterxml.jackson.databind.SerializerProvider serializers) throws java.io.IOException {
            gen.writeStartObject();
            gen.writeStringField("name", value.name());
            gen.writeStringField("from", value.from());
            gen.writeEndObject();
        }

        @Override
        public void serializeWithType(FromSource value, com.fasterxml.jackson.core.JsonGenerator gen,
                com.fasterxml.jackson.databind.SerializerProvider serializers,
                com.fasterxml.jackson.databind.jsontype.TypeSerializer typeSer) throws java.io.IOException {
            serialize(value, gen, serializers);
        }
    }

    /**
     * Reads a {@link FromSource} entry; an entry whose {@code type} is unknown, or that has neither
     * {@code type} nor {@code from}, is reported as a type error naming the valid types.
     */
    final class FromSourceReader extends com.fasterxml.jackson.databind.JsonDeserializer<FromSource> {
        @Override
        public FromSource deserialize(com.fasterxml.jackson.core.JsonParser p,
                com.fasterxml.jackson.databind.DeserializationContext ctxt) throws java.io.IOException {
            com.fasterxml.jackson.databind.JsonNode tree = ctxt.readTree(p);
            com.fasterxml.jackson.databind.JsonNode type = tree.get("type");
            com.fasterxml.jackson.databind.JavaType base = ctxt.constructType(ComponentConfig.class);
            if ((type != null && !type.isNull()) || !tree.has("from")) {
                String id = type == null || type.isNull() ? null : type.asText();
                throw com.fasterxml.jackson.databind.exc.InvalidTypeIdException.from(p,
                        id == null ? "missing type id" : "unknown type id '" + id + "'", base, id);
            }
            java.util.Iterator<String> keys = tree.fieldNames();
            while (keys.hasNext()) {
                String k = keys.next();
                if (!k.equals("name") && !k.equals("from")) {
                    throw com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException.from(p, FromSource.class, k,
                            java.util.List.of("name", "from"));
                }
            }
            com.fasterxml.jackson.databind.JsonNode name = tree.get("name");
            com.fasterxml.jackson.databind.JsonNode from = tree.get("from");
            try {
                return new FromSource(name == null || name.isNull() ? null : name.asText(),
                        from.isNull() ? null : from.asText());
            } catch (IllegalArgumentException e) {
                throw com.fasterxml.jackson.databind.exc.ValueInstantiationException.from(p, e.getMessage(),
                        ctxt.constructType(FromSource.class), e);
            }
        }
    }
}
