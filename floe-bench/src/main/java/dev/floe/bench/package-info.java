/** The benchmark harness behind {@code floe bench}: B1–B6 as interleaved A/B pairs, medians and ratios. */
package dev.floe.bench;
