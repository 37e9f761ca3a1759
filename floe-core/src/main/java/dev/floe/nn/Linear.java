package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code y = x Wᵀ + b}: input {@code (..., in)}, output {@code (..., out)}; weight {@code (out, in)}. */
public final class Linear implements Layer {

    private final String path;
    private final Param weight;
    private final Param bias;
    private final long in;
    private final long out;

    /** Creates the layer's parameters in {@code scope} (He-normal weight, zero bias). */
    public Linear(ParamScope scope, long in, long out) {
        this.path = scope.path();
        this.in = in;
        this.out = out;
        this.weight = scope.create("weight", ParamKind.WEIGHT, new Shape(out, in), new Init.HeNormal(in));
        this.bias = scope.create("bias", ParamKind.BIAS, new Shape(out), new Init.Zeros());
    }

    @Override
    public String path() {
        return path;
    }

    /** Input features. */
    public long in() {
        return in;
    }

    /** Output features. */
    public long out() {
        return out;
    }

    /** The weight, shape {@code (out, in)}. */
    public Param weight() {
        return weight;
    }

    /** The bias, shape {@code (out)}. */
    public Param bias() {
        return bias;
    }

    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        return ai.djl.nn.core.Linear.linear(input, weight.array(), bias.array()).singletonOrThrow();
    }
}
