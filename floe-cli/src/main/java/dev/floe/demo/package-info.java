/**
 * The main job, {@code floe demo}: pretrain a convolutional encoder on some Fashion-MNIST classes,
 * then learn the other classes from a few labels each, comparing training from scratch, a frozen
 * encoder with a new head, full fine-tuning, and unfreezing the top block, at the same budget.
 */
package dev.floe.demo;
