package dev.floe.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files for tests. */
final class IdxFiles {

    private IdxFiles() {}

    /** IDX bytes: big-endian magic, big-endian dimension sizes, then the body as is. */
    static byte[] idx(int magic, int[] dims, byte[] body) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + body.length);
        buffer.putInt(magic);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        return buffer.put(body).array();
    }

    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        return idx(IdxReader.IMAGES_MAGIC, new int[] {count, rows, cols}, pixels);
    }

    static byte[] labels(int... labels) {
        byte[] body = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            body[i] = (byte) labels[i];
        }
        return idx(IdxReader.LABELS_MAGIC, new int[] {labels.length}, body);
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
