package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Layer normalisation over the last axis: {@code y = (x - mean) / sqrt(var + eps) · weight + bias},
 * with the biased variance, as in BERT. Input {@code (..., features)}, output the same shape.
 *
 * <p>Parameters are named as in Hugging Face BERT checkpoints: {@code weight} (scale, starts at 1)
 * and {@code bias} (shift, starts at 0). There are no running statistics, so training and
 * inference compute the same thing.
 */
public final class LayerNorm implements Layer {

    /** PyTorch's default epsilon. */
    public static final float DEFAULT_EPSILON = 1e-5f;

    private final String path;
    private final long features;
    private final float epsilon;
    private final Param weight;
    private final Param bias;

    /**
     * Creates {@code weight} and {@code bias} of shape {@code (features)} in {@code scope}.
     *
     * @param scope the scope that names and owns the parameters
     * @param features the size of the normalised axis, at least 1
     * @param epsilon added to the variance, finite and &gt; 0 (BERT uses 1e-12)
     * @throws IllegalArgumentException naming the layer on a non-positive size or epsilon
     */
    public LayerNorm(ParamScope scope, long features, float epsilon) {
        this.path = scope.path();
        if (features <= 0) {
            throw new IllegalArgumentException(
                    "layer norm " + path + ": features must be positive, found " + features);
        }
        if (!(epsilon > 0f) || Float.isInfinite(epsilon)) {
            throw new IllegalArgumentException(
                    "layer norm " + path + ": epsilon must be a positive finite number, found " + epsilon);
        }
        this.features = features;
        this.epsilon = epsilon;
        Shape shape = new Shape(features);
        this.weight = scope.create("weight", ParamKind.NORM_SCALE, shape, new Init.Ones());
        this.bias = scope.create("bias", ParamKind.NORM_SHIFT, shape, new Init.Zeros());
        scope.register(this);
    }

    @Override
    public String path() {
        return path;
    }

    /**
     * Size of the normalised (last) axis.
     *
     * @return the size
     */
    public long features() {
        return features;
    }

    /**
     * The epsilon added to the variance.
     *
     * @return the epsilon
     */
    public float epsilon() {
        return epsilon;
    }

    /**
     * The scale, shape {@code (features)}.
     *
     * @return the scale parameter
     */
    public Param weight() {
        return weight;
    }

    /**
     * The shift, shape {@code (features)}.
     *
     * @return the shift parameter
     */
    public Param bias() {
        return bias;
    }

    /**
     * @throws IllegalArgumentException naming the layer when the last axis is not {@code features}
     */
    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        Shape shape = input.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != features) {
            throw new IllegalArgumentException(
                    "layer norm " + path + " normalises a last axis of " + features + " but got input of shape "
                            + shape + "; feed it (..., " + features + ")");
        }
        return ai.djl.nn.norm.LayerNorm.layerNorm(
                        input, new Shape(features), weight.array(), bias.array(), epsilon)
                .singletonOrThrow(); // (..., features)
    }
}
