/**
 * Caching of frozen features: when the frozen components of a plan form a prefix of the graph, their
 * outputs are computed once per data set and served to later epochs, stages and runs, keyed by the
 * content of the prefix's weights and the data's fingerprint.
 */
package dev.floe.cache;
