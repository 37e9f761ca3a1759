/**
 * The benchmark harness behind {@code floe bench}: B1–B6 as interleaved A/B pairs, medians and ratios;
 * and S1 ({@code floe bench --soak}), a long training run that samples live native arrays and RSS.
 */
package dev.floe.bench;
