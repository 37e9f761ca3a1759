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
    private final java.util.List<LinearDelta> deltas = new java.util.ArrayList<>();

    /**
     * Creates the layer's parameters in {@code scope} (He-normal weight, zero bias).
     *
     * @param scope the scope that names and owns the parameters
     * @param in input features, at least 1
     * @param out output features, at least 1
     * @throws IllegalArgumentException if {@code in} or {@code out} is below 1, or the weight is too
     *     large to make (see {@link ParamScope#create})
     */
    public Linear(ParamScope scope, long in, long out) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException(
                    "linear " + scope.path() + ": features must be positive, found " + in + " in and " + out + " out");
        }
        this.path = scope.path();
        this.in = in;
        this.out = out;
        this.weight = scope.create("weight", ParamKind.WEIGHT, new Shape(out, in), new Init.HeNormal(in));
        this.bias = scope.create("bias", ParamKind.BIAS, new Shape(out), new Init.Zeros());
        scope.register(this);
    }

    /**
     * Adds a named low-rank or other additive delta: {@code forward} returns
     * {@code x Wᵀ + b + Σ delta(x)} over the deltas whose {@link LinearDelta#active()} is true.
     *
     * @param delta the delta; its name must be new on this layer
     * @throws IllegalArgumentException if a delta of that name is already attached
     */
    public void addDelta(LinearDelta delta) {
        for (LinearDelta d : deltas) {
            if (d.name().equals(delta.name())) {
                throw new IllegalArgumentException(
                        "linear " + path + " already has a delta named '" + delta.name() + "'; choose another name");
            }
        }
        deltas.add(delta);
    }

    /**
     * Removes the delta with this name; returns whether one was attached.
     *
     * @param name the delta's name
     * @return true when a delta was removed
     */
    public boolean removeDelta(String name) {
        return deltas.removeIf(d -> d.name().equals(name));
    }

    /**
     * Attached deltas in attachment order.
     *
     * @return the deltas, unmodifiable
     */
    public java.util.List<LinearDelta> deltas() {
        return java.util.Collections.unmodifiableList(deltas);
    }

    @Override
    public String path() {
        return path;
    }

    /**
     * Input features.
     *
     * @return the input width
     */
    public long in() {
        return in;
    }

    /**
     * Output features.
     *
     * @return the output width
     */
    public long out() {
        return out;
    }

    /**
     * The weight, shape {@code (out, in)}.
     *
     * @return the weight parameter
     */
    public Param weight() {
        return weight;
    }

    /**
     * The bias, shape {@code (out)}.
     *
     * @return the bias parameter
     */
    public Param bias() {
        return bias;
    }

    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        NDArray y = ai.djl.nn.core.Linear.linear(input, weight.array(), bias.array()).singletonOrThrow(); // (..., out)
        for (LinearDelta d : deltas) {
            if (d.active()) {
                NDArray dy = d.apply(context, input, y); // (..., out)
                y = y.add(RowMask.apply(context.routedRows(d.name()), dy, path, d.name())); // (..., out)
            }
        }
        return y;
    }
}
