package dev.floe.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A data file's content does not match its format. The message names the file, where the problem
 * is (byte offset or 1-based line and column), what was expected, what was found and a fix.
 */
public final class DataFormatException extends IllegalArgumentException {

    private final Path file;

    /**
     * @param file the offending file
     * @param detail where, expected, found and fix; the message becomes {@code "<file>: <detail>"}
     */
    public DataFormatException(Path file, String detail) {
        super(Objects.requireNonNull(file, "file") + ": " + detail);
        this.file = file;
    }

    /** As {@link #DataFormatException(Path, String)}, keeping the low-level cause (e.g. a zlib error). */
    public DataFormatException(Path file, String detail, Throwable cause) {
        this(file, detail);
        initCause(cause);
    }

    /** The offending file, as given to the reader. */
    public Path file() {
        return file;
    }
}
