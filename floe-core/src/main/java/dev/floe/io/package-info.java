/**
 * Files on disk: atomic writes and the safetensors tensor format, in pure Java.
 *
 * <ul>
 *   <li>{@link dev.floe.io.AtomicFiles} writes a file so that readers see either the old content or
 *       the complete new content, never a half-written file.
 *   <li>{@link dev.floe.io.Safetensors} reads and writes safetensors files (the Hugging Face format:
 *       an 8-byte little-endian header length, a UTF-8 JSON header, then the raw tensor bytes).
 *       Readers validate strictly and fail with a {@link dev.floe.io.SafetensorsFormatException}
 *       that names the file, the problem, what was expected and how to fix it.
 *   <li>{@link dev.floe.io.TensorData} is one tensor as raw little-endian bytes with a
 *       {@link dev.floe.io.DType} and a shape; it has no engine behind it, so this package does not
 *       depend on DJL.
 * </ul>
 *
 * <p>Nullness: no method in this package accepts or returns {@code null} unless its Javadoc says so;
 * a {@code null} argument fails with a {@link java.lang.NullPointerException} naming the argument.
 */
package dev.floe.io;
