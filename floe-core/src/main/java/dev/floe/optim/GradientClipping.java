package dev.floe.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Clipping of accumulated gradients before an optimizer step.
 *
 * <p>Call between closing the batch's {@code GradientCollector} and
 * {@link GroupedOptimizer#step(double)}, with the optimizer's members: the gradients are scaled in
 * place, so the step that follows reads the clipped values.
 */
public final class GradientClipping {

    /**
     * Added to the norm in the scale {@code maxNorm / (norm + EPS)}, as
     * {@code torch.nn.utils.clip_grad_norm_} does.
     */
    static final double EPS = 1e-6;

    private GradientClipping() {}

    /**
     * Scales the gradients of {@code params} so that their global L2 norm is at most {@code maxNorm}.
     *
     * <p>The global norm is {@code sqrt(Σ_p Σ_i g_p[i]²)} over every parameter whose gradient is
     * defined, accumulated in fp64. Parameters without a gradient (no {@code backward} has
     * reached them since their array was created) are skipped and stay without one. When the norm
     * exceeds {@code maxNorm}, every gradient is multiplied in place by
     * {@code maxNorm / (norm + 1e-6)}, so the new norm is {@code maxNorm} to within about 1e-6
     * relative; otherwise the gradients are not touched (bit-identical). When the norm is NaN or
     * infinite the gradients are not touched either and the non-finite norm is returned, so that the
     * caller can skip the step.
     *
     * <p>Must be called with autograd recording off, i.e. after the {@code GradientCollector} is
     * closed. Every temporary native array is released before returning.
     *
     * @param params trainable parameters, each at most once; frozen ones are rejected
     * @param maxNorm the largest allowed global norm, finite and &gt; 0
     * @return the global norm before clipping (0 when no parameter has a gradient)
     * @throws IllegalArgumentException if {@code maxNorm} is not finite and &gt; 0, or naming the
     *     parameter when one is null, frozen or listed twice
     * @throws IllegalStateException if autograd is recording
     */
    public static double clipGlobalNorm(List<Param> params, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException(
                    "maxNorm is " + maxNorm + "; it must be finite and > 0, e.g. 1.0 (the usual value when"
                            + " fine-tuning)");
        }
        if (params == null) {
            throw new IllegalArgumentException("clipGlobalNorm needs a list of parameters (may be empty)");
        }
        Set<Param> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException(
                        "parameter " + i + " of the list to clip is null; pass the trainable parameters");
            }
            if (!p.trainable()) {
                throw new IllegalArgumentException(
                        "parameter " + p.path() + " is frozen; clip only trainable parameters, e.g. the"
                                + " members of the optimizer's groups");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException(
                        "parameter " + p.path() + " is listed twice; its gradient would be counted and"
                                + " scaled twice — list each parameter once");
            }
        }
        if (JniUtils.isGradMode()) {
            throw new IllegalStateException(
                    "clipGlobalNorm() was called while autograd is recording; close the GradientCollector"
                            + " after backward and before clipping");
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<PtNDArray> grads = new ArrayList<>(params.size());
            try {
                double sumOfSquares = 0;
                for (Param p : params) {
                    // getGradient() on NDArray would make zeros for an undefined gradient; ask libtorch
                    PtNDArray grad = JniUtils.getGradient((PtNDArray) p.array());
                    if (grad == null) {
                        continue;
                    }
                    grads.add(grad);
                    sumOfSquares += sumOfSquares(grad);
                }
                double norm = Math.sqrt(sumOfSquares);
                if (norm > maxNorm && !Double.isInfinite(norm)) {
                    float scale = (float) (maxNorm / (norm + EPS));
                    for (PtNDArray grad : grads) {
                        grad.muli(scale); // the handle shares libtorch's gradient tensor: scales it in place
                    }
                }
                return norm;
            } finally {
                for (PtNDArray grad : grads) {
                    grad.close();
                }
            }
        }
    }

    /** {@code Σ g[i]²} in fp64; the temporaries are closed at once, not at the end of the scope. */
    private static double sumOfSquares(NDArray grad) {
        try (NDArray wide = grad.toType(DataType.FLOAT64, true)) { // same shape as grad
            wide.muli(wide);
            try (NDArray sum = wide.sum()) { // ()
                return sum.getDouble();
            }
        }
    }
}
