/**
 * Gradient-flow profiling and the freeze advice made from it.
 *
 * <p>{@link dev.floe.profile.GradientProfiler} runs a few training steps of one freeze plan in which
 * every parameter receives gradients (frozen ones are measured, never updated) and records, per
 * declared layer ({@link dev.floe.graph.Component#layerOrder()}) and per component: gradient norms
 * and their trend, update-to-weight ratios, the gradient at each layer's input and output, dead
 * activation shares, forward and backward time and activation memory; the result is a
 * {@link dev.floe.profile.Profile}. {@link dev.floe.profile.FreezeAdvice} turns a profile into
 * explained freeze, unfreeze and learning-rate advice, printable as policy rules.
 *
 * <p>Nullness: values documented as "or null" are absent measurements (for example the update
 * ratio of a layer that does not train); nothing else is null.
 */
package dev.floe.profile;
