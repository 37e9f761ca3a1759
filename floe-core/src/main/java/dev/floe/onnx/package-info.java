/**
 * Reading ONNX models in pure Java, as far as importing weights needs: {@link dev.floe.onnx.OnnxModel}
 * parses a {@code ModelProto}'s graph initializers ({@link dev.floe.onnx.OnnxTensor}: name, dims, type,
 * {@code raw_data} or {@code float_data}/{@code int64_data}), its nodes ({@link dev.floe.onnx.OnnxNode}:
 * op type, inputs, outputs) and its input and output names. Nothing is executed.
 *
 * <p>Reading is strict and all-or-nothing: a truncated or corrupt file fails with an
 * {@link dev.floe.onnx.OnnxFormatException} that names the file and the byte offset.
 *
 * <p>Nullness: no method in this package accepts or returns {@code null} unless its Javadoc says so.
 */
package dev.floe.onnx;
