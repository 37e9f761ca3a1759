package dev.floe.io;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A file that cannot be used as given; the message is {@code "<file>: <detail>"}, where the detail
 * says where, what was expected, what was found and how to fix it. Subclasses name the kind of file.
 */
public abstract class FileProblemException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the offending file
     * @param detail where, expected, found and fix
     * @param cause a low-level cause, or null
     */
    protected FileProblemException(Path file, String detail, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + detail, cause);
        this.file = file;
    }

    /**
     * The offending file, as given.
     *
     * @return the file path as the caller gave it
     */
    public Path file() {
        return file;
    }
}
