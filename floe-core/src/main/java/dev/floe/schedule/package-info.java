/**
 * How a run is staged, as data and pure functions: {@link dev.floe.schedule.Schedule} is a list of
 * {@link dev.floe.schedule.Stage}s, each a complete freeze policy with its budget (epochs, optional
 * step cap), learning-rate schedule and optional {@link dev.floe.schedule.EarlyStopping};
 * {@code Schedule.progressive} builds ULMFiT-style gradual unfreezing from a component's declared
 * layer order. {@link dev.floe.schedule.LrSchedule} is a sealed interface of records, each a pure
 * function from (0-based step, steps in the stage) to the multiplier on the base learning rate; a
 * resumed run gets the same factor at the same step, and a schedule prints ({@code describe()}),
 * round-trips through a config map ({@code toMap()}, {@code parse}) and compares with {@code equals}.
 * Nothing here runs training; {@code dev.floe.train} does.
 */
package dev.floe.schedule;
