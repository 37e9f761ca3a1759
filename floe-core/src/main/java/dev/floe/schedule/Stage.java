package dev.floe.schedule;

import dev.floe.freeze.FreezePolicy;
import java.util.regex.Pattern;

/**
 * One stage of a run: the freeze policy in force, a budget, a learning-rate schedule restarted at
 * the stage's first step, and optional early stopping.
 *
 * @param name unique within the run, e.g. {@code head}, {@code unfreeze-block2}
 * @param policy the complete policy for this stage (not a difference from the previous one)
 * @param epochs passes over the training data
 * @param lr learning-rate multiplier as a function of the step within the stage
 * @param earlyStopping null for none; needs an evaluation set
 * @param maxSteps budget in optimizer steps (0 = none): the stage ends after this many steps even in
 *     the middle of an epoch, and its learning-rate schedule spans min(epochs·steps per epoch, maxSteps)
 */
public record Stage(
        String name, FreezePolicy policy, int epochs, LrSchedule lr, EarlyStopping earlyStopping, long maxSteps) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

    /**
     * Checks the fields; a null {@code lr} becomes {@link LrSchedule#constant()}.
     *
     * @param name unique within the run, e.g. {@code head}, {@code unfreeze-block2}
     * @param policy the complete policy for this stage (not a difference from the previous one)
     * @param epochs passes over the training data
     * @param lr learning-rate multiplier as a function of the step within the stage
     * @param earlyStopping null for none; needs an evaluation set
     * @param maxSteps budget in optimizer steps (0 = none): the stage ends after this many steps
     *     even in the middle of an epoch, and its learning-rate schedule spans min(epochs·steps per
     *     epoch, maxSteps)
     * @throws IllegalArgumentException if the name is null or has characters other than letters,
     *     digits, '_', '.' and '-', the policy is null, {@code epochs} is below 1 or
     *     {@code maxSteps} is negative
     */
    public Stage {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "stage name '" + name + "' is not allowed; use letters, digits, '_', '.' or '-'");
        }
        if (policy == null) {
            throw new IllegalArgumentException("stage " + name + " needs a policy");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("stage " + name + ": epochs is " + epochs + "; it must be at least 1");
        }
        if (lr == null) {
            lr = LrSchedule.constant();
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException(
                    "stage " + name + ": steps is " + maxSteps + "; it must be ≥ 1, or 0 for no step budget");
        }
    }

    /**
     * A stage budgeted in epochs only.
     *
     * @param name the stage name (letters, digits, '_', '.', '-')
     * @param policy the stage's complete freeze policy
     * @param epochs passes over the training data, at least 1
     * @param lr learning-rate multiplier over the stage's steps; null for constant
     * @param earlyStopping null for none
     */
    public Stage(String name, FreezePolicy policy, int epochs, LrSchedule lr, EarlyStopping earlyStopping) {
        this(name, policy, epochs, lr, earlyStopping, 0);
    }

    /**
     * A stage with a constant learning rate and no early stopping.
     *
     * @param name the stage name (letters, digits, '_', '.', '-')
     * @param policy the stage's complete freeze policy
     * @param epochs passes over the training data, at least 1
     * @return a stage with {@link LrSchedule#constant()}, no early stopping and no step budget
     */
    public static Stage of(String name, FreezePolicy policy, int epochs) {
        return new Stage(name, policy, epochs, LrSchedule.constant(), null);
    }
}
