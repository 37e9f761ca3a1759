package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Batch normalisation over channel axis 1 of {@code (B, C, ...)}.
 *
 * <p>In training mode it normalises with batch statistics and updates the running statistics
 * ({@code running = (1 - m)·running + m·batch}, m = {@value #MOMENTUM}); in inference mode —
 * including whenever it is frozen — it uses and keeps the running statistics.
 */
public final class BatchNorm implements Layer {

    /** Weight of the current batch in the running statistics (PyTorch's convention). */
    public static final float MOMENTUM = 0.1f;
    /** Added to the variance for numerical stability. */
    public static final float EPSILON = 1e-5f;

    private final String path;
    private final Param gamma;
    private final Param beta;
    private final Param runningMean;
    private final Param runningVar;

    /**
     * Creates gamma=1, beta=0, running mean 0 and running variance 1 for {@code channels}.
     *
     * @param scope the scope that names and owns the parameters
     * @param channels the number of channels, at least 1
     */
    public BatchNorm(ParamScope scope, long channels) {
        this.path = scope.path();
        Shape shape = new Shape(channels);
        this.gamma = scope.create("gamma", ParamKind.NORM_SCALE, shape, new Init.Ones());
        this.beta = scope.create("beta", ParamKind.NORM_SHIFT, shape, new Init.Zeros());
        this.runningMean = scope.create("running_mean", ParamKind.RUNNING_MEAN, shape, new Init.Zeros());
        this.runningVar = scope.create("running_var", ParamKind.RUNNING_VAR, shape, new Init.Ones());
        scope.register(this);
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        boolean training = context.training(path);
        // a recomputed pass normalises with the same batch statistics but updates throwaway copies
        boolean keep = training && !context.updatesRunningStatistics();
        NDArray mean = keep ? scratchCopy(runningMean, input) : runningMean.array();
        NDArray var = keep ? scratchCopy(runningVar, input) : runningVar.array();
        // DJL passes (1 - momentum) to libtorch, and axis -1 selects libtorch's native channel axis 1
        return ai.djl.nn.norm.BatchNorm.batchNorm(
                        input,
                        mean,
                        var,
                        gamma.array(),
                        beta.array(),
                        -1,
                        1f - MOMENTUM,
                        EPSILON,
                        training)
                .singletonOrThrow();
    }

    /** A copy of {@code p} owned by the pass's scope (that of {@code input}), freed with it. */
    private static NDArray scratchCopy(Param p, NDArray input) {
        NDArray copy = p.array().duplicate();
        copy.attach(input.getManager());
        return copy;
    }
}
