package dev.floe.data;

import dev.floe.io.FileProblemException;
import java.nio.file.Path;

/**
 * A data file's content does not match its format. The message names the file, where the problem
 * is (byte offset or 1-based line and column), what was expected, what was found and a fix.
 */
public final class DataFormatException extends FileProblemException {

    private static final long serialVersionUID = 1L;

    /**
     * @param file the offending file
     * @param detail where, expected, found and fix; the message becomes {@code "<file>: <detail>"}
     */
    public DataFormatException(Path file, String detail) {
        super(file, detail, null);
    }

    /**
     * As {@link #DataFormatException(Path, String)}, keeping the low-level cause.
     *
     * @param file the offending file
     * @param detail where, expected, found and fix
     * @param cause the lower-level failure
     */
    public DataFormatException(Path file, String detail, Throwable cause) {
        super(file, detail, cause);
    }
}
