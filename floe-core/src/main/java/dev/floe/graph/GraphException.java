package dev.floe.graph;

/** A graph that cannot be built or run; the message names component, port, expected and found. */
public final class GraphException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for callers that react to the kind rather than the text. */
    public enum Kind {
        DUPLICATE_NAME,
        UNKNOWN_COMPONENT,
        UNKNOWN_PORT,
        SHAPE_MISMATCH,
        DTYPE_MISMATCH,
        INPUT_WIRED_TWICE,
        UNCONNECTED_INPUT,
        CYCLE,
        NO_OUTPUT,
        BAD_INPUT_ARRAY,
        CONTRACT_BROKEN
    }

    private final Kind kind;

    GraphException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** The kind of failure. */
    public Kind kind() {
        return kind;
    }
}
