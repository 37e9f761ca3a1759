package dev.floe.components;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.floe.graph.Component;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.nn.BatchNorm;
import dev.floe.nn.Conv2d;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A small residual convolutional encoder for images:
 * {@code in [batch, C, H, W] -> features [batch, widths[last]]}.
 *
 * <p>Children: {@code stem} (3×3 conv, BatchNorm {@code stem/bn}), then {@code block1..blockN}, each
 * a residual block ({@code conv1, bn1, conv2, bn2}, plus {@code proj, proj_bn} when the width or
 * resolution changes) that halves the resolution, then global average pooling. Layer order for
 * schedules is {@code [stem, block1, ..., blockN]}.
 */
public final class ConvEncoder extends Component {

    private final long channels;
    private final long[] widths;
    private Conv2d stemConv;
    private BatchNorm stemBn;
    private final List<ResidualBlock> blocks = new ArrayList<>();

    private ConvEncoder(Builder b) {
        super(
                b.name,
                Role.ENCODER,
                List.of(PortSpec.of("in", "[batch, " + b.channels + ", " + b.height + ", " + b.width + "]")),
                List.of(PortSpec.of("features", "[batch, " + b.widths[b.widths.length - 1] + "]")));
        this.channels = b.channels;
        this.widths = b.widths.clone();
    }

    /**
     * A new builder.
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Width of the output features.
     *
     * @return the number of channels in {@code features}: the last width
     */
    public long featureWidth() {
        return widths[widths.length - 1];
    }

    @Override
    public List<String> layerOrder() {
        List<String> names = new ArrayList<>(List.of("stem"));
        for (int i = 1; i < widths.length; i++) {
            names.add("block" + i);
        }
        return names;
    }

    /** Every entry of the layer order: the stem and each block can be checkpointed. */
    @Override
    public List<String> checkpointSegments() {
        return layerOrder();
    }

    @Override
    protected void initialize(ParamScope scope) {
        ParamScope stem = scope.child("stem");
        stemConv = new Conv2d(stem.child("conv"), channels, widths[0], 3, 1, false);
        stemBn = new BatchNorm(stem.child("bn"), widths[0]);
        for (int i = 1; i < widths.length; i++) {
            blocks.add(new ResidualBlock(scope.child("block" + i), widths[i - 1], widths[i]));
        }
    }

    @Override
    public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
        NDArray x = in.get("in"); // (B, C, H, W)
        String stem = name() + "/stem";
        x = context.layerOutput(stem, context.segment(stem, x, h -> {
            NDArray pre = stemBn.forward(context, stemConv.forward(context, h));
            context.activationInput(stem, "relu", pre);
            return Activation.relu(pre);
        })); // (B, w0, H, W)
        for (int i = 0; i < blocks.size(); i++) {
            ResidualBlock block = blocks.get(i);
            String path = name() + "/block" + (i + 1);
            x = context.layerOutput(path, context.segment(path, x, h -> block.forward(context, path, h))); // (B, wi, H/2^i, W/2^i)
        }
        long[] s = x.getShape().getShape();
        NDArray pooled = x.reshape(s[0], s[1], s[2] * s[3]).mean(new int[] {2}); // (B, wN)
        return Map.of("features", pooled);
    }

    /** conv-bn-relu-conv-bn plus a (projected) skip, then ReLU; stride 2. */
    private static final class ResidualBlock {
        private final Conv2d conv1;
        private final BatchNorm bn1;
        private final Conv2d conv2;
        private final BatchNorm bn2;
        private final Conv2d proj;
        private final BatchNorm projBn;

        ResidualBlock(ParamScope scope, long in, long out) {
            conv1 = new Conv2d(scope.child("conv1"), in, out, 3, 2, false);
            bn1 = new BatchNorm(scope.child("bn1"), out);
            conv2 = new Conv2d(scope.child("conv2"), out, out, 3, 1, false);
            bn2 = new BatchNorm(scope.child("bn2"), out);
            proj = new Conv2d(scope.child("proj"), in, out, 1, 2, false);
            projBn = new BatchNorm(scope.child("proj_bn"), out);
        }

        NDArray forward(ForwardContext context, String path, NDArray x) {
            NDArray h = bn1.forward(context, conv1.forward(context, x)); // (B, out, H/2, W/2)
            context.activationInput(path, "relu", h);
            h = bn2.forward(context, conv2.forward(context, Activation.relu(h)));
            NDArray skip = projBn.forward(context, proj.forward(context, x)); // (B, out, H/2, W/2)
            NDArray sum = h.add(skip);
            context.activationInput(path, "relu", sum);
            return Activation.relu(sum);
        }
    }

    /** Builder: {@code name} is required; defaults suit 1×28×28 images. */
    public static final class Builder {
        private String name;
        private long channels = 1;
        private long height = 28;
        private long width = 28;
        private long[] widths = {16, 32, 64};

        private Builder() {}

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
         * Input image channels, height and width (default 1, 28, 28).
         *
         * @param channels input channels
         * @param height input height in pixels
         * @param width input width in pixels
         * @return this builder
         */
        public Builder input(long channels, long height, long width) {
            this.channels = channels;
            this.height = height;
            this.width = width;
            return this;
        }

        /**
         * Channel widths: the stem's, then one per residual block (default 16, 32, 64: a stem and
         * two blocks). Each block halves the resolution.
         *
         * @param widths the stem's width, then one per block
         * @return this builder
         */
        public Builder widths(long... widths) {
            this.widths = widths.clone();
            return this;
        }

        /**
         * Checks sizes and builds.
         *
         * @return a new encoder; its parameters are created when a graph is built with it
         */
        public ConvEncoder build() {
            String where = "conv encoder " + name;
            Sizes.positive(where, "channels", channels);
            Sizes.positive(where, "height", height);
            Sizes.positive(where, "width", width);
            if (widths.length < 1) {
                throw new IllegalArgumentException(where + ": widths needs at least the stem width, e.g. [16, 32, 64]");
            }
            for (long w : widths) {
                Sizes.positive(where, "widths " + Arrays.toString(widths), w);
            }
            return new ConvEncoder(this);
        }
    }
}
