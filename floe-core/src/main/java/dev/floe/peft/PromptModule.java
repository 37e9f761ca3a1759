package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** How prompt tuning works: trained virtual token embeddings {@code (N, H)} before every input. */
final class PromptModule extends EncoderModule<PromptSpec> {

    /** Path segment between {@code <encoder>/embeddings} and the module name. */
    static final String SEGMENT = "prompt";

    private PromptModule(PromptSpec spec, Set<String> active) {
        super(spec, active);
    }

    /**
     * The parameters {@link #create} would make, by path, with their shapes.
     *
     * @throws IllegalArgumentException when N leaves no position for a real token in an encoder
     */
    static Map<String, long[]> plan(PromptSpec spec, List<TransformerEncoder> encoders) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (TransformerEncoder enc : encoders) {
            long positions = enc.config().maxPositions();
            if (spec.virtualTokens() >= positions) {
                throw new IllegalArgumentException(
                        "prompt '" + spec.name() + "': virtual_tokens " + spec.virtualTokens() + " leaves no position"
                                + " for real tokens: encoder " + enc.name() + " has " + positions
                                + " positions; use fewer virtual tokens (virtual tokens plus the longest input must be"
                                + " at most " + positions + ")");
            }
            shapes.put(path(enc, spec.name()), new long[] {spec.virtualTokens(), enc.config().hidden()});
        }
        return shapes;
    }

    private static String path(TransformerEncoder enc, String name) {
        return enc.name() + "/embeddings/" + SEGMENT + "/" + name + "/tokens";
    }

    /** Creates the virtual tokens (copies of word embeddings drawn from the vocabulary) and attaches them. */
    static PromptModule create(ModelGraph graph, PromptSpec spec, List<TransformerEncoder> encoders) {
        PromptModule module = new PromptModule(spec, graph.activeAdapters());
        String name = spec.name();
        for (TransformerEncoder enc : encoders) {
            long h = enc.config().hidden();
            int n = spec.virtualTokens();
            Param tokens = graph.extend(enc.name()).child("embeddings").child(SEGMENT).child(name)
                    .create("tokens", ParamKind.ADAPTER, new Shape(n, h), new Init.Zeros(), name);
            Param words = graph.parameters().get(enc.name() + "/embeddings/word_embeddings/weight");
            float[] table = words.toFloatArray(); // (vocab, H)
            long vocab = enc.config().vocab();
            SplittableRandom random = new SplittableRandom(graph.seed() ^ name.hashCode());
            float[] init = new float[Math.toIntExact(n * h)];
            for (int i = 0; i < n; i++) {
                long row = random.nextLong(vocab);
                System.arraycopy(table, Math.toIntExact(row * h), init, Math.toIntExact(i * h), Math.toIntExact(h));
            }
            tokens.load(init, new long[] {n, h});
            module.params.put(tokens.path(), tokens);
            module.layers.add(enc.name() + "/embeddings");
            module.components.add(enc.name());
            enc.addExtension(new Extension(module, tokens));
        }
        return module;
    }

    /** The virtual tokens of one encoder. */
    private record Extension(PromptModule module, Param tokens) implements PeftModule.Extension {

        @Override
        public String name() {
            return module.spec.name();
        }

        @Override
        public boolean active() {
            return module.active();
        }

        @Override
        public NDArray virtualTokens(ForwardContext context) {
            if (context.routedRows(name()) != null) {
                throw new IllegalArgumentException(
                        "prompt '" + name() + "' cannot be routed per row: its virtual tokens move every real token's"
                                + " position, so rows without it would not match a run without it; run the rows that"
                                + " use it in a batch of their own");
            }
            return tokens.array(); // (N, H)
        }
    }
}
