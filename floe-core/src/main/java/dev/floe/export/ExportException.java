package dev.floe.export;

/** A model that cannot be exported; the message names the component and what to change. */
public final class ExportException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message what cannot be exported, and how to fix it */
    public ExportException(String message) {
        super(message);
    }
}
