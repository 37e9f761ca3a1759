package dev.floe.profile;

/**
 * What profiling measured for one declared layer ({@code <component>/<layer>}, or the component's
 * name when it declares no layer order).
 *
 * @param layer the layer's path; policy globs {@code <layer>/**} match its parameters
 * @param component the component it belongs to
 * @param state {@code train}, {@code frozen} or {@code mixed} (some of its parameters train) in the
 *     profiled plan; {@code none} when it has no parameters that take gradients
 * @param params scalar count of its parameters that take gradients (buffers excluded)
 * @param trainableParams of those, how many train in the plan
 * @param lrScale the learning-rate scale of its trainable parameters in the plan (the first one's),
 *     1 when none trains
 * @param weightRms root mean square of its parameters (buffers excluded) when profiling started
 * @param gradNorm L2 norm of the loss gradient over all its parameters, per step (before clipping)
 * @param gradInNorm L2 norm of the loss gradient at the layer's input per step, or null when the
 *     input is a graph input (data takes no gradient)
 * @param gradOutNorm L2 norm of the loss gradient at the layer's output per step
 * @param updateRatio {@code |Δw| / |w|} of its trainable parameters per optimizer step, or null when
 *     nothing in it trains
 * @param reluDeadShare share of its ReLU inputs that are ≤ 0 (outputs and gradients zero), over
 *     all steps, or null without ReLU
 * @param geluTailShare share of its GELU inputs below {@link GradientProfiler#GELU_TAIL} (where
 *     GELU is flat), or null without GELU
 * @param forwardMillis mean forward time per step (steps after the first)
 * @param backwardMillis mean backward time per step (steps after the first)
 * @param activationBytes mean bytes of the arrays its forward pass creates and keeps for the step
 */
public record LayerProfile(
        String layer,
        String component,
        String state,
        long params,
        long trainableParams,
        double lrScale,
        double weightRms,
        Series gradNorm,
        Series gradInNorm,
        Series gradOutNorm,
        Series updateRatio,
        Double reluDeadShare,
        Double geluTailShare,
        double forwardMillis,
        double backwardMillis,
        double activationBytes) {

    /**
     * True when every parameter that takes gradients trains.
     *
     * @return true when the layer trains
     */
    public boolean trains() {
        return "train".equals(state);
    }

    /**
     * True when none of its parameters trains (and it has some).
     *
     * @return true when the layer is frozen
     */
    public boolean frozen() {
        return "frozen".equals(state);
    }

    /**
     * How much of the gradient arriving at the layer's output it passes on to its input,
     * {@code mean|∂L/∂in| / mean|∂L/∂out|}; null when the input takes no gradient (a graph input)
     * or no gradient arrives.
     *
     * @return the ratio, or null
     */
    public Double gradInOutRatio() {
        if (gradInNorm == null || gradOutNorm.mean() == 0) {
            return null;
        }
        return gradInNorm.mean() / gradOutNorm.mean();
    }
}
