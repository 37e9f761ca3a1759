package dev.floe.profile;

/**
 * Per-component totals of a profile.
 *
 * @param component its name
 * @param params scalar count of its parameters that take gradients
 * @param trainableParams of those, how many train in the plan
 * @param gradNormMean mean over steps of the L2 gradient norm over all its parameters
 * @param forwardMillis mean forward time per step (steps after the first)
 * @param backwardMillis mean backward time per step (steps after the first)
 * @param activationBytes mean bytes of arrays its forward creates per step
 */
public record ComponentProfile(
        String component, long params, long trainableParams, double gradNormMean, double forwardMillis,
        double backwardMillis, double activationBytes) {}
