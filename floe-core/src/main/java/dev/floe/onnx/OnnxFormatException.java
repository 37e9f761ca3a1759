package dev.floe.onnx;

/**
 * A file is not a readable ONNX model. The message names the file, the byte offset where reading
 * failed, what was found and what was expected, for example:
 *
 * <pre>
 * ONNX file /m/model.onnx: at byte 27: field 7 (ModelProto.graph) declares 90387560 bytes but only
 * 1000 remain; the file is truncated (an interrupted download or copy): fetch or export it again
 * </pre>
 */
public final class OnnxFormatException extends RuntimeException {

    /** The file or class-path resource that failed to read. */
    private final String source;
    /** Byte offset of the problem from the start of the file. */
    private final long offset;

    OnnxFormatException(String source, long offset, String problem) {
        super("ONNX file " + source + ": at byte " + offset + ": " + problem);
        this.source = source;
        this.offset = offset;
    }

    /**
     * The file (or class-path resource) that failed to read.
     *
     * @return the file name or resource as given
     */
    public String source() {
        return source;
    }

    /**
     * Byte offset from the start of the file where the problem was found.
     *
     * @return the byte offset, 0 or more
     */
    public long offset() {
        return offset;
    }
}
