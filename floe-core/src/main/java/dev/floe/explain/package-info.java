/**
 * Explanations of a model's outputs: attention recorded from the forward pass that produced them,
 * attention rollout ({@link dev.floe.explain.Attention}), and input attributions by gradient × input
 * and integrated gradients ({@link dev.floe.explain.Attributions}). Everything here runs in inference
 * mode, changes no weight and returns plain Java arrays.
 */
package dev.floe.explain;
