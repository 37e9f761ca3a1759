/**
 * In-memory data sets and the readers that fill them: {@link dev.floe.data.Dataset} (features,
 * per-example shape, integer class labels), {@link dev.floe.data.IdxReader} for MNIST-style IDX
 * files, {@link dev.floe.data.CsvReader} for numeric CSV, and {@link dev.floe.data.FashionMnist}
 * for the subset bundled under {@code datasets/fashion-mnist}.
 *
 * <p>Pure Java, no tensor engine: data sets are plain arrays that training code copies into
 * native memory batch by batch. Malformed input is reported as a
 * {@link dev.floe.data.DataFormatException} that names the file, the position, what was expected,
 * what was found and how to fix it. Nothing in this package accepts or returns {@code null}.
 */
package dev.floe.data;
