package dev.floe.optim;

import dev.floe.nn.Param;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parameters updated with one learning-rate scale and one weight decay.
 *
 * <p>The effective learning rate of a member is {@code spec.lr() * lrScale * lrFactor}, where
 * {@code lrFactor} is the schedule's value passed to {@link GroupedOptimizer#step(double)}. The
 * weight decay is applied as the spec's algorithm defines it (decoupled for AdamW, added to the
 * gradient for SGD).
 *
 * @param name group name, used in error messages (e.g. {@code "encoder.top"}, {@code "head"})
 * @param params the members, no buffers and no parameter twice; copied
 * @param lrScale multiplier on the base learning rate, finite and &gt; 0
 * @param weightDecay decay coefficient, finite and &ge; 0
 */
public record ParamGroup(String name, List<Param> params, double lrScale, double weightDecay) {

    /**
     * Checks the name, copies the parameters and checks the scales.
     *
     * @param name group name, used in error messages (e.g. {@code "encoder.top"}, {@code "head"})
     * @param params the members, no buffers and no parameter twice; copied
     * @param lrScale multiplier on the base learning rate, finite and &gt; 0
     * @param weightDecay decay coefficient, finite and &ge; 0
     * @throws IllegalArgumentException for a blank name, a missing list or a scale out of range
     */
    public ParamGroup {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a parameter group needs a non-blank name");
        }
        if (params == null) {
            throw new IllegalArgumentException("parameter group " + name + " has no parameter list");
        }
        params = List.copyOf(params);
        Checks.positive("parameter group " + name, "lrScale", lrScale);
        Checks.nonNegative("parameter group " + name, "weightDecay", weightDecay);
        Set<String> seen = new HashSet<>();
        for (Param p : params) {
            if (p.kind().isBuffer()) {
                throw new IllegalArgumentException(
                        "parameter group " + name + " contains " + p.path() + ", a " + p.kind()
                                + " buffer that no optimizer may update; leave buffers out of groups");
            }
            if (!seen.add(p.path())) {
                throw new IllegalArgumentException(
                        "parameter group " + name + " lists " + p.path() + " twice; list each parameter once");
            }
        }
    }

    /**
     * A group at the base learning rate (scale 1) with the spec's default weight decay.
     *
     * @param name the group name
     * @param params the parameters; copied
     * @param spec the optimizer, for the default weight decay
     * @return the group
     */
    public static ParamGroup of(String name, List<Param> params, OptimizerSpec spec) {
        return new ParamGroup(name, params, 1.0, spec.weightDecay());
    }
}
