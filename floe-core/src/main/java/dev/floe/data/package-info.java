/**
 * In-memory data sets and the readers that fill them: {@link dev.floe.data.Dataset} (features,
 * per-example shape, integer class labels), {@link dev.floe.data.IdxReader} for MNIST-style IDX
 * files, {@link dev.floe.data.CsvReader} for numeric CSV, {@link dev.floe.data.TextReader} for
 * labelled texts, and {@link dev.floe.data.FashionMnist} for the subset bundled under
 * {@code datasets/fashion-mnist}. Every reader takes plain or gzipped files (told apart by their
 * content); the two CSV readers share one parser.
 *
 * <p>Pure Java, no tensor engine: data sets are plain arrays that training code copies into
 * native memory batch by batch. Malformed input is reported as a
 * {@link dev.floe.data.DataFormatException} that names the file, the position, what was expected,
 * what was found and how to fix it; {@link dev.floe.data.OptionNames} lets a program that reads its
 * options from a config name its keys in those fixes. A file that cannot be read at all (missing,
 * a folder, no permission) is an {@link java.io.UncheckedIOException} saying so. Nothing in this
 * package accepts or returns {@code null}.
 */
package dev.floe.data;
