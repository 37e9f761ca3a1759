/**
 * Freezing and fine-tuning control as declared data: a {@link dev.floe.freeze.FreezePolicy} is an
 * ordered list of path-glob rules (last match wins; two rules with identical glob text and
 * different settings are an error) plus {@code layer_decay} and {@code train_bn}, resolved against
 * a graph into a {@link dev.floe.freeze.FreezePlan} that says, for every parameter, its state
 * (train, frozen, buffer, lora, adapter), what decided it, its learning rate and weight decay and
 * its optimizer bytes, and that can explain itself as a table or JSON.
 *
 * <p>Nullness: nothing in this package accepts or returns {@code null} except
 * {@link dev.floe.freeze.FreezeRule#weightDecay()} and
 * {@link dev.floe.freeze.FreezePlan.Entry#weightDecay()}, where null means "the default weight decay".
 */
package dev.floe.freeze;
