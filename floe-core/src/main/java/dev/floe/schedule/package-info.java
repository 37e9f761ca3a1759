/**
 * Learning-rate schedules as data: {@link dev.floe.schedule.LrSchedule} is a sealed interface of
 * records, each a pure function from (0-based step, steps in the stage) to the multiplier on the
 * base learning rate. The optimizer receives that multiplier per step
 * ({@link dev.floe.optim.GroupedOptimizer#step(double)}); schedules hold no state, so a resumed run
 * gets the same factor at the same step, and a schedule prints ({@code describe()}), round-trips
 * through a config map ({@code toMap()}, {@code parse}) and compares with {@code equals}.
 */
package dev.floe.schedule;
