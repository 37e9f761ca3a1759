/**
 * Floe's own training loop on DJL autograd (not DJL's {@code Trainer}, which unfreezes every
 * parameter and shares one Adam step count). {@link dev.floe.train.Trainer} runs a
 * {@link dev.floe.schedule.Schedule} as named steps — enter a stage's plan, fill the feature cache,
 * run epochs (batches in a fresh native scope each, accumulation, clipping), evaluate, early stopping,
 * checkpoint — with deterministic results for a fixed seed on one engine thread, and resumes exactly
 * from its checkpoints. Frozen-prefix features come from {@code dev.floe.cache}, a lower package
 * that knows nothing of training. {@link dev.floe.train.GradientCheckpointing} chooses segments whose
 * activations are dropped after the forward pass and recomputed for the backward pass (the same
 * gradients for less memory); {@link dev.floe.train.ActivationEstimate} says what each segment keeps.
 * {@link dev.floe.train.LrFinder} runs a learning-rate range test and restores model and optimizer.
 */
package dev.floe.train;
