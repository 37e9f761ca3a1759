package dev.floe.bench;

import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;

/** The graphs the conv benches share: one encoder, {@code n} linear heads, and the features as an output. */
final class Graphs {

    /** Graph input name. */
    static final String IMAGE = "image";
    /** Graph output of the encoder's features. */
    static final String FEATURES = "features";
    /** Width of the default ConvEncoder's features. */
    static final long FEATURE_WIDTH = 64;

    private Graphs() {}

    /** Name of head {@code i}. */
    static String head(int i) {
        return "head" + i;
    }

    /** Graph output of head {@code i}. */
    static String logits(int i) {
        return "logits" + i;
    }

    /**
     * {@code image [batch, 1, 28, 28] -> encoder (ConvEncoder 16-32-64) -> head0..head(n-1)}, outputs
     * {@code logits0..} and {@code features}.
     */
    static ModelGraph convWithHeads(int heads, long seed) {
        ModelGraph.Builder b = ModelGraph.builder()
                .input(IMAGE, TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name("encoder").build())
                .wire(IMAGE, "encoder.in")
                .output(FEATURES, "encoder.features");
        for (int i = 0; i < heads; i++) {
            b.add(LinearHead.of(head(i), FEATURE_WIDTH, Synthetic.CLASSES))
                    .wire("encoder.features", head(i) + ".in")
                    .output(logits(i), head(i) + ".logits");
        }
        return b.seed(seed).build();
    }
}
