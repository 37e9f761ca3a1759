/**
 * Floe's own training loop on DJL autograd (not DJL's {@code Trainer}, which unfreezes every
 * parameter and shares one Adam step count): batches in a fresh native scope each, cross-entropy
 * classification, accuracy, evaluation on a held-out split, progress callbacks, and deterministic
 * results for a fixed seed on one engine thread.
 */
package dev.floe.train;
