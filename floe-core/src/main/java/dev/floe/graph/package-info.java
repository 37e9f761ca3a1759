/**
 * Components and the graph that wires them: tensor contracts with symbolic dimensions
 * ({@link dev.floe.graph.TensorSpec}), ports, {@link dev.floe.graph.Component} and
 * {@link dev.floe.graph.ModelGraph}, whose {@code build()} checks every wire and names component,
 * port, expected and found on failure.
 */
package dev.floe.graph;
