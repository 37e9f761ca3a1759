package dev.floe.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-style IDX files of unsigned bytes: an images file (magic {@code 0x00000803},
 * dimensions {@code n, rows, cols}) and a labels file (magic {@code 0x00000801}, dimension
 * {@code n}), each plain or gzipped (detected by the gzip magic {@code 0x1f8b}, not by the file
 * name). All header integers are big-endian.
 *
 * <p>Pixels become floats in [0, 1] (byte value / 255) and each example has feature shape
 * {@code {1, rows, cols}}. Byte offsets in error messages count bytes of the IDX content, i.e.
 * after decompression for gzipped files.
 */
public final class IdxReader {

    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int UBYTE_TYPE = 0x08;
    private static final float MAX_PIXEL = 255f;
    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;
    private static final int CHUNK_BYTES = 1 << 16;
    /** How messages name the options of the static methods without {@link OptionNames}. */
    private static final OptionNames PARAMETERS = new OptionNames(null, null, null, null, "numClasses");

    private IdxReader() {}

    /**
     * Reads all examples of an images file and its labels file.
     *
     * @param images the IDX images file (ubyte), plain or gzipped
     * @param labels the IDX labels file (ubyte), plain or gzipped
     * @return the data set: pixels scaled to [0, 1], shaped {@code [rows, cols]} per example
     * @param numClasses number of classes; every label must be below it
     * @param name source description for the data set, e.g. {@code "fashion-mnist train"}
     * @throws DataFormatException if either file is not a well-formed ubyte IDX file, the counts
     *     differ or a label is out of range
     * @throws UncheckedIOException if a file cannot be read at all (missing, a folder, no permission)
     */
    public static Dataset read(Path images, Path labels, int numClasses, String name) {
        return read(images, labels, numClasses, name, Integer.MAX_VALUE);
    }

    /**
     * As {@link #read(Path, Path, int, String)} but reads at most the first {@code limit} examples;
     * the rest of each file is not read, so a gzipped file's checksum is checked only when
     * {@code limit} covers every example.
     *
     * @param images the IDX images file, plain or gzipped
     * @param labels the IDX labels file, plain or gzipped
     * @param numClasses number of classes; every label must be below it
     * @param name source description for the data set
     * @return the data set of at most {@code limit} examples
     * @param limit maximum number of examples, at least 0
     */
    public static Dataset read(Path images, Path labels, int numClasses, String name, int limit) {
        return read(images, labels, numClasses, name, limit, PARAMETERS);
    }

    /**
     * As {@link #read(Path, Path, int, String, int)}, naming the option that sets the number of
     * classes as {@code names.numClasses()} in messages (e.g. a config key).
     *
     * @param images the IDX images file, plain or gzipped
     * @param labels the IDX labels file, plain or gzipped
     * @param numClasses number of classes; every label must be below it
     * @param name source description for the data set
     * @param limit maximum number of examples, at least 0
     * @param names the option names to use in messages
     * @return the data set of at most {@code limit} examples
     */
    public static Dataset read(Path images, Path labels, int numClasses, String name, int limit, OptionNames names) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(names, "names");
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses is " + numClasses + "; expected at least 1, e.g. 10 for MNIST");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit is " + limit + "; expected at least 0 examples");
        }
        try (Input imageIn = Input.open(images); Input labelIn = Input.open(labels)) {
            int[] imageDims = readHeader(imageIn, IMAGES_MAGIC);
            int[] labelDims = readHeader(labelIn, LABELS_MAGIC);
            if (imageDims[0] != labelDims[0]) {
                throw new DataFormatException(labels, "label count at byte offset 4 is " + labelDims[0]
                        + " but the images file " + images + " holds " + imageDims[0]
                        + " images; pass the labels file that belongs to these images");
            }
            int count = Math.min(imageDims[0], limit);
            int rows = imageDims[1];
            int cols = imageDims[2];
            float[] features = readPixels(imageIn, count, rows, cols);
            int[] labelValues = readLabels(labelIn, count, numClasses, names);
            if (count == imageDims[0]) { // all read: let gzip check its CRC (a flipped bit inflates silently)
                imageIn.verifyGzipTrailer();
                labelIn.verifyGzipTrailer();
            }
            return Dataset.wrap(name, new long[] {1, rows, cols}, features, labelValues, numClasses);
        }
    }

    /** Checks the magic number and returns the dimensions; dimension 0 is the example count. */
    private static int[] readHeader(Input in, int expectedMagic) {
        int expectedDims = expectedMagic & 0xFF;
        String expected = String.format("magic number 0x%08X (ubyte, %d dimension%s)",
                expectedMagic, expectedDims, expectedDims == 1 ? "" : "s");
        int magic = in.readInt("the magic number");
        int type = (magic >>> 8) & 0xFF;
        int dims = magic & 0xFF;
        if ((magic >>> 16) != 0) {
            String hint = (magic >>> 16) == ((GZIP_MAGIC_0 << 8) | GZIP_MAGIC_1)
                    ? "it looks doubly gzipped; gunzip it once"
                    : "it is not an IDX file; pass an MNIST-style file such as train-images-idx3-ubyte.gz";
            throw new DataFormatException(in.file, String.format(
                    "expected %s at byte offset 0 but found 0x%08X; %s", expected, magic, hint));
        }
        if (type != UBYTE_TYPE) {
            throw new DataFormatException(in.file, String.format(
                    "unsupported IDX type byte 0x%02X (%s) at byte offset 2; expected 0x%02X (unsigned byte);"
                            + " only ubyte IDX files are read: convert the data to unsigned bytes, or to a numeric CSV file",
                    type, typeName(type), UBYTE_TYPE));
        }
        if (dims != expectedDims) {
            throw new DataFormatException(in.file, String.format(
                    "expected %s at byte offset 0 but found 0x%08X (%d dimension%s); check that the images"
                            + " and labels files are not swapped",
                    expected, magic, dims, dims == 1 ? "" : "s"));
        }
        int[] sizes = new int[dims];
        for (int d = 0; d < dims; d++) {
            long offset = in.offset;
            sizes[d] = in.readInt("the size of dimension " + d);
            int min = d == 0 ? 0 : 1;
            if (sizes[d] < min) {
                throw new DataFormatException(in.file, "size of dimension " + d + " at byte offset " + offset
                        + " is " + sizes[d] + "; expected at least " + min + "; the header is corrupt, download or copy"
                        + " the file again");
            }
        }
        return sizes;
    }

    private static float[] readPixels(Input in, int count, int rows, int cols) {
        long total = (long) count * rows * cols;
        if (total > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(in.file, count + " images of " + rows + "x" + cols + " are " + total
                    + " pixels, more than one Java array holds; pass a limit to read fewer images");
        }
        float[] features = new float[(int) total]; // (count, 1, rows, cols)
        byte[] chunk = new byte[CHUNK_BYTES];
        long start = in.offset;
        for (int done = 0; done < total; ) {
            int length = (int) Math.min(chunk.length, total - done);
            if (in.read(chunk, length) < length) {
                throw in.truncated("pixel data of " + count + " images of " + rows + "x" + cols, start, total);
            }
            for (int i = 0; i < length; i++) {
                features[done + i] = (chunk[i] & 0xFF) / MAX_PIXEL;
            }
            done += length;
        }
        return features;
    }

    private static int[] readLabels(Input in, int count, int numClasses, OptionNames names) {
        byte[] bytes = new byte[count];
        long start = in.offset;
        if (in.read(bytes, count) < count) {
            throw in.truncated(count + " labels", start, count);
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = bytes[i] & 0xFF;
            if (labels[i] >= numClasses) {
                throw new DataFormatException(in.file, "label of example " + i + " at byte offset " + (start + i)
                        + " is " + labels[i] + "; expected a class index in [0, " + numClasses + ") for " + numClasses
                        + " classes; " + (names.numClasses() == null ? "" : "raise " + names.numClasses() + " or ")
                        + "use the labels file that belongs to these images");
            }
        }
        return labels;
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> "not an IDX type";
        };
    }

    /** A file's IDX content (gunzipped if needed) with the current byte offset into it. */
    private static final class Input implements AutoCloseable {
        final Path file;
        private final InputStream in;
        private final boolean gzipped;
        private boolean gzipCutShort;
        long offset;

        private Input(Path file, InputStream in, boolean gzipped) {
            this.file = file;
            this.in = in;
            this.gzipped = gzipped;
        }

        static Input open(Path file) {
            Objects.requireNonNull(file, "file");
            TextFiles.requireFile(file);
            InputStream raw = null;
            try {
                raw = new BufferedInputStream(Files.newInputStream(file), CHUNK_BYTES);
                raw.mark(2);
                boolean gzipped = raw.read() == GZIP_MAGIC_0 && raw.read() == GZIP_MAGIC_1;
                raw.reset();
                return new Input(file, gzipped ? new GZIPInputStream(raw, CHUNK_BYTES) : raw, gzipped);
            } catch (ZipException | EOFException e) {
                closeQuietly(raw);
                throw new DataFormatException(file, "the gzip header is corrupt (" + TextFiles.reason(e)
                        + "); expected a gzipped IDX file; download or copy the file again", e);
            } catch (IOException e) {
                closeQuietly(raw);
                throw TextFiles.cannotRead(file, e);
            }
        }

        /** Reads up to {@code length} bytes into {@code buffer}; fewer only at the end of the data. */
        int read(byte[] buffer, int length) {
            int done = 0;
            try {
                while (done < length) {
                    int n = in.read(buffer, done, length - done);
                    if (n < 0) {
                        break;
                    }
                    done += n;
                    offset += n;
                }
            } catch (EOFException e) { // the compressed stream ends early: report as truncated data
                gzipCutShort = true;
            } catch (ZipException e) {
                throw new DataFormatException(file, "the gzip stream is corrupt after byte offset " + offset
                        + " of the uncompressed data (" + TextFiles.reason(e) + "); download or copy the file again", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + " at byte offset " + offset + ": " + e, e);
            }
            return done;
        }

        /** For gzipped input, reads to the end so that the stream's CRC-32 and length are checked. */
        void verifyGzipTrailer() {
            if (!gzipped) {
                return;
            }
            byte[] rest = new byte[CHUNK_BYTES];
            try {
                while (in.read(rest) >= 0) {
                    // bytes after the declared data are ignored
                }
            } catch (ZipException | EOFException e) {
                throw new DataFormatException(file, "the gzip check of the whole file failed (" + TextFiles.reason(e)
                        + ") although all " + offset + " bytes of IDX data were read; the file is damaged,"
                        + " download or copy it again", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e, e);
            }
        }

        int readInt(String what) {
            long start = offset;
            byte[] b = new byte[Integer.BYTES];
            if (read(b, b.length) < b.length) {
                throw truncated(what, start, b.length);
            }
            return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        }

        /** What went wrong in the gzip layer, in words (some of its exceptions carry no message). */
        /** The error for data that ended at the current offset inside {@code [start, start + length)}. */
        DataFormatException truncated(String what, long start, long length) {
            if (offset == 0 && !gzipped && !gzipCutShort) {
                return new DataFormatException(file, "is empty; expected an IDX file starting with its magic number;"
                        + " check the path, or download or copy the file again");
            }
            return new DataFormatException(file, "truncated: the " + (gzipped ? "uncompressed " : "")
                    + "data ends" + (gzipCutShort ? " (the gzip stream is cut short)" : "") + " at byte offset " + offset + " but " + what + " needs " + length
                    + " bytes from byte offset " + start + " to " + (start + length)
                    + "; the file is incomplete, download or copy it again");
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + file + ": " + e, e);
            }
        }

        private static void closeQuietly(InputStream stream) {
            if (stream != null) {
                try {
                    stream.close();
                } catch (IOException ignored) {
                    // already failing with a more useful error
                }
            }
        }
    }
}
