/**
 * Freezing as declared data: a {@link dev.floe.freeze.FreezePolicy} is an ordered list of path-glob
 * rules (last match wins), resolved against a graph into a {@link dev.floe.freeze.FreezePlan} that
 * says, for every parameter, its state, the rule that decided it, its learning-rate scale and its
 * optimizer bytes, and that can explain itself as a table or JSON.
 */
package dev.floe.freeze;
