package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** 2-D convolution: input {@code (B, inC, H, W)}, weight {@code (outC, inC, k, k)}, "same"-style padding. */
public final class Conv2d implements Layer {

    private final String path;
    private final Param weight;
    private final Param bias;
    private final Shape stride;
    private final Shape padding;
    private static final Shape NO_DILATION = new Shape(1, 1);

    /**
     * @param scope the scope that names and owns the parameters
     * @param inChannels input channels, at least 1
     * @param outChannels output channels, at least 1
     * @param kernel square kernel size (odd)
     * @param stride stride in both directions
     * @param withBias false when a BatchNorm follows (its shift makes a bias redundant)
     * @throws IllegalArgumentException if a channel count is below 1, the kernel is not a positive
     *     odd number, or the weight is too large to make (see {@link ParamScope#create})
     */
    public Conv2d(ParamScope scope, long inChannels, long outChannels, int kernel, int stride, boolean withBias) {
        if (kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException(
                    "conv " + scope.path() + ": kernel must be a positive odd number, found " + kernel);
        }
        if (inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException("conv " + scope.path() + ": channels must be positive, found "
                    + inChannels + " in and " + outChannels + " out");
        }
        this.path = scope.path();
        // the weight's size check (in ParamScope) refuses channel counts whose product overflows
        long fanIn = inChannels > Long.MAX_VALUE / ((long) kernel * kernel) ? Long.MAX_VALUE : inChannels * kernel * kernel;
        this.weight = scope.create(
                "weight", ParamKind.WEIGHT, new Shape(outChannels, inChannels, kernel, kernel), new Init.HeNormal(fanIn));
        this.bias = withBias ? scope.create("bias", ParamKind.BIAS, new Shape(outChannels), new Init.Zeros()) : null;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(kernel / 2, kernel / 2);
        scope.register(this);
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(
                        input, weight.array(), bias == null ? null : bias.array(), stride, padding, NO_DILATION)
                .singletonOrThrow();
    }
}
