package dev.floe.torchscript;

import dev.floe.io.FileProblemException;
import java.nio.file.Path;

/**
 * A TorchScript file cannot be used: it is missing, unreadable, not a TorchScript archive
 * (truncated or corrupted), or its module does not fit the ports declared for it. The message names
 * the file, what was expected, what was found and a fix. When this is thrown nothing stays loaded.
 */
public final class TorchScriptException extends FileProblemException {

    private static final long serialVersionUID = 1L;

    /**
     * @param file the offending file
     * @param detail where, expected, found and fix; the message becomes {@code "<file>: <detail>"}
     */
    public TorchScriptException(Path file, String detail) {
        super(file, detail, null);
    }

    /**
     * As {@link #TorchScriptException(Path, String)}, keeping the low-level cause.
     *
     * @param file the offending file
     * @param detail where, expected, found and fix
     * @param cause the lower-level failure
     */
    public TorchScriptException(Path file, String detail, Throwable cause) {
        super(file, detail, cause);
    }
}
