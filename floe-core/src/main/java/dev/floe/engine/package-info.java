/**
 * Engine start-up and native-memory ownership: Floe starts DJL's PyTorch engine offline, seeds it,
 * and owns every {@code NDManager} so that users never handle native scopes.
 */
package dev.floe.engine;
