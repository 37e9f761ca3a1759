/**
 * Parameters and layers: the named tensors a model is made of ({@link dev.floe.nn.Param}) and the
 * few layer kinds built-in components are made of. Parameter paths come from declared names
 * ({@code encoder/block1/conv1/weight}), never from positions, so inserting a layer does not rename
 * the others; initial values depend only on the graph seed and the path.
 */
package dev.floe.nn;
