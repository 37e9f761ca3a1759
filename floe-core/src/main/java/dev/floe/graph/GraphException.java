package dev.floe.graph;

/** A graph that cannot be built or run; the message names component, port, expected and found. */
public final class GraphException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for callers that react to the kind rather than the text. */
    public enum Kind {
        /** Two graph inputs, components or outputs share a name. */
        DUPLICATE_NAME,
        /** A wire or output names a component the graph does not have. */
        UNKNOWN_COMPONENT,
        /** A wire, output or replacement names a port that does not exist, or an unknown graph output is asked for. */
        UNKNOWN_PORT,
        /** A wire joins ports whose shapes are incompatible, or a replacement changes a port's shape. */
        SHAPE_MISMATCH,
        /** A wire joins ports whose element types differ, or a replacement changes a port's type. */
        DTYPE_MISMATCH,
        /** Two wires feed the same component input. */
        INPUT_WIRED_TWICE,
        /** A required component input has no wire. */
        UNCONNECTED_INPUT,
        /** The wires form a cycle, so there is no execution order. */
        CYCLE,
        /** The graph declares no output. */
        NO_OUTPUT,
        /** An array given to a forward pass does not fit its graph input, or one is missing. */
        BAD_INPUT_ARRAY,
        /** A component's forward pass returned no value for an output port, or one that does not fit it. */
        CONTRACT_BROKEN
    }

    /** The kind of failure, never null. */
    private final Kind kind;

    GraphException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /**
     * The kind of failure.
     *
     * @return the kind, never null
     */
    public Kind kind() {
        return kind;
    }
}
