/**
 * Sweeps: a base experiment config times named axes (or an explicit list of variants) times seeds,
 * each point an ordinary run folder made by {@code floe train}, run by a {@link dev.floe.sweep.SweepExecutor}
 * (child JVMs on this machine by default), sharing one frozen-prefix feature cache, resumable.
 */
package dev.floe.sweep;
