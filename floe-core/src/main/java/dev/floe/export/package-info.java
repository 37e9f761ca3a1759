/**
 * Exporting a trained model graph: to ONNX (every built-in component emits its own nodes; weights
 * as initializers; LoRA merged) via {@link dev.floe.export.OnnxExport}. The ONNX protobuf is
 * written by a small encoder of its own, field numbers from the ONNX format's {@code onnx.proto}.
 */
package dev.floe.export;
