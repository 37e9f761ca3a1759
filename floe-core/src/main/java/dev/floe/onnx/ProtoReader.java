package dev.floe.onnx;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over protocol-buffer wire data in a byte array, bounded by {@code limit}. Every read
 * checks bounds; problems throw {@link OnnxFormatException} with the absolute byte offset.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int START_GROUP = 3;
    static final int END_GROUP = 4;
    static final int FIXED32 = 5;

    /** A varint encodes at most 64 bits in 10 bytes of 7 bits. */
    private static final int MAX_VARINT_BYTES = 10;
    static final String TRUNCATED =
            "; the file is truncated or corrupt (an interrupted download or copy): fetch or export it again";

    private final byte[] data;
    private final String source;
    private int pos;
    private final int limit;

    ProtoReader(byte[] data, String source, int from, int limit) {
        this.data = data;
        this.source = source;
        this.pos = from;
        this.limit = limit;
    }

    /** A reader over {@code [from, end)} of the same data. */
    ProtoReader sub(int from, int end) {
        return new ProtoReader(data, source, from, end);
    }

    byte[] data() {
        return data;
    }

    int position() {
        return pos;
    }

    boolean hasMore() {
        return pos < limit;
    }

    OnnxFormatException error(long offset, String problem) {
        return new OnnxFormatException(source, offset, problem);
    }

    /** Reads a field key; returns {@code field << 3 | wireType}. */
    int readTag(String message) {
        int at = pos;
        long key = readVarint(message + " field key");
        int wire = (int) (key & 7);
        long field = key >>> 3;
        if (field == 0 || field > Integer.MAX_VALUE >>> 3) {
            throw error(at, "field key " + key + " in " + message + " has field number " + field
                    + "; expected a positive field number" + TRUNCATED);
        }
        if (wire == START_GROUP || wire == END_GROUP || wire > FIXED32) {
            throw error(at, "field " + field + " in " + message + " has wire type " + wire
                    + "; expected 0, 1, 2 or 5 (ONNX uses no groups)" + TRUNCATED);
        }
        return (int) key;
    }

    long readVarint(String what) {
        int at = pos;
        long value = 0;
        for (int i = 0; i < MAX_VARINT_BYTES; i++) {
            if (pos >= limit) {
                throw error(at, what + ": the varint runs past the end of its message at byte " + limit + TRUNCATED);
            }
            byte b = data[pos++];
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw error(at, what + ": a varint longer than " + MAX_VARINT_BYTES + " bytes" + TRUNCATED);
    }

    /** Reads a length prefix and returns the end offset of the payload, which starts at {@link #position()}. */
    int readLength(String what) {
        int at = pos;
        long length = readVarint(what + " length");
        if (length < 0 || length > limit - pos) {
            throw error(at, what + " declares " + Long.toUnsignedString(length) + " bytes but only " + (limit - pos)
                    + " remain in its enclosing message" + TRUNCATED);
        }
        return pos + (int) length;
    }

    int readFixed32(String what) {
        if (limit - pos < Integer.BYTES) {
            throw error(pos, what + ": 4 bytes needed but only " + (limit - pos) + " remain" + TRUNCATED);
        }
        int v = ByteBuffer.wrap(data, pos, Integer.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        pos += Integer.BYTES;
        return v;
    }

    /** Reads a length-delimited UTF-8 string. */
    String readString(String what) {
        int at = pos;
        int end = readLength(what);
        int start = pos;
        pos = end;
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, start, end - start))
                    .toString();
        } catch (CharacterCodingException e) {
            throw error(at, what + " is not valid UTF-8" + TRUNCATED);
        }
    }

    /** Skips a field's payload of the given wire type. */
    void skip(int wire, String what) {
        switch (wire) {
            case VARINT -> readVarint(what);
            case FIXED64 -> advance(Long.BYTES, what);
            case LENGTH_DELIMITED -> pos = readLength(what);
            case FIXED32 -> advance(Integer.BYTES, what);
            default -> throw error(pos, what + ": wire type " + wire + " cannot be skipped" + TRUNCATED);
        }
    }

    /** Moves to {@code end}, the end of a length-delimited payload read by the caller. */
    void seek(int end) {
        pos = end;
    }

    private void advance(int n, String what) {
        if (limit - pos < n) {
            throw error(pos, what + ": " + n + " bytes needed but only " + (limit - pos) + " remain" + TRUNCATED);
        }
        pos += n;
    }

    /** Fails unless the field has the expected wire type. */
    void expectWire(int key, int wire, int at, String what) {
        if ((key & 7) != wire) {
            throw error(at, what + " has wire type " + (key & 7) + "; expected " + wire
                    + " — this is not an ONNX model, or it is corrupt" + TRUNCATED);
        }
    }
}
