package dev.floe.schedule;

/** Argument checks and number formatting shared by the schedules. */
final class Checks {

    private Checks() {}

    /** {@code totalSteps >= 1}. */
    static void totalSteps(long totalSteps) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException(
                    "totalSteps is " + totalSteps + "; a stage must have at least 1 step");
        }
    }

    /** {@code totalSteps >= 1} and {@code 0 <= step < totalSteps}. */
    static void step(long step, long totalSteps) {
        totalSteps(totalSteps);
        if (step < 0 || step >= totalSteps) {
            throw new IllegalArgumentException(
                    "step is " + step + " but a stage of " + totalSteps + " steps has steps 0 to "
                            + (totalSteps - 1) + "; steps are 0-based and counted within the stage");
        }
    }

    /** A double without a trailing {@code .0} when it is a whole number: 32, 0.1. */
    static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }
}
