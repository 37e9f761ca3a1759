package dev.floe.torchscript;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A TorchScript file cannot be used: it is missing, unreadable, not a TorchScript archive
 * (truncated or corrupted), or its module does not fit the ports declared for it. The message names
 * the file, what was expected, what was found and a fix. When this is thrown nothing stays loaded.
 */
public final class TorchScriptException extends IllegalArgumentException {

    private final Path file;

    /**
     * @param file the offending file
     * @param detail what was expected, what was found and the fix; the message becomes
     *     {@code "<file>: <detail>"}
     */
    public TorchScriptException(Path file, String detail) {
        super(Objects.requireNonNull(file, "file") + ": " + detail);
        this.file = file;
    }

    /** As {@link #TorchScriptException(Path, String)}, keeping the engine's error as the cause. */
    public TorchScriptException(Path file, String detail, Throwable cause) {
        this(file, detail);
        initCause(cause);
    }

    /** The offending file, as given to the builder. */
    public Path file() {
        return file;
    }
}
