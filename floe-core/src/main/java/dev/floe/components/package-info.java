/**
 * Built-in components: {@link dev.floe.components.Mlp}, a small residual convolutional encoder
 * ({@link dev.floe.components.ConvEncoder}), and task heads ({@link dev.floe.components.LinearHead},
 * {@link dev.floe.components.MlpHead}). Each is made by a builder and declares its ports.
 */
package dev.floe.components;
