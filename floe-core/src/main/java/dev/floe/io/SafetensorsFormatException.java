package dev.floe.io;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A file is not a valid safetensors file. The message names the file, what is wrong, what was
 * expected and how to fix it, for example:
 *
 * <pre>
 * safetensors file /m/model.safetensors: tensor 'head.weight' ends at data offset 4096 but the
 * data section has only 1000 bytes; expected every tensor to lie inside the data section; the file
 * is truncated (an interrupted download or copy): fetch or export it again
 * </pre>
 */
public final class SafetensorsFormatException extends IllegalArgumentException {

    private final transient Path file;

    SafetensorsFormatException(Path file, String problem, String expected, String fix) {
        this(file, problem, expected, fix, null);
    }

    SafetensorsFormatException(
            Path file, String problem, String expected, String fix, Throwable cause) {
        super(
                "safetensors file "
                        + Objects.requireNonNull(file, "file")
                        + ": "
                        + problem
                        + "; expected "
                        + expected
                        + "; "
                        + fix,
                cause);
        this.file = file;
    }

    /**
     * The file that failed to read.
     *
     * @return the file path as the caller gave it
     */
    public Path file() {
        return file;
    }
}
