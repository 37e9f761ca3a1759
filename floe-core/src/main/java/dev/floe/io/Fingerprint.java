package dev.floe.io;

import dev.floe.nn.Param;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.HexFormat;
import java.util.TreeMap;

/**
 * The one way Floe fingerprints content: a SHA-256 over typed values written in a fixed layout, so
 * two fingerprints are equal exactly when the content is.
 *
 * <p>Values are written big-endian: {@link #putInt}, {@link #putLong}, {@link #putFloat} (IEEE 754
 * bits), {@link #putString} (UTF-8 length as int, then the bytes). Start with a tag naming what is
 * hashed and its layout version ({@code floe.data.Dataset/v1}), so that different kinds of content
 * never share a fingerprint.
 *
 * <p>Weights are hashed by {@link #weights}, whose layout follows the safetensors data section so
 * the bytes are those a weights file holds: for every parameter in path order, the path in UTF-8
 * and a zero byte, then little-endian the rank and dimensions (longs) and the values (fp32). The
 * result is written {@code sha256:<hex>}. Component hashes in run manifests, PEFT base hashes and
 * feature-cache keys all use it.
 *
 * <p>Not thread-safe; one instance per fingerprint.
 */
public final class Fingerprint {

    /** Prefix of a weights hash. */
    public static final String SHA256_PREFIX = "sha256:";
    private static final int CHUNK = 1 << 16;

    private final MessageDigest sha = Hashing.sha256();
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK); // big-endian

    private Fingerprint() {}

    /**
     * A new fingerprint that starts with {@code tag}'s ASCII bytes (no length prefix).
     *
     * @param tag the format tag, ASCII
     * @return a new fingerprint
     */
    public static Fingerprint of(String tag) {
        Fingerprint f = new Fingerprint();
        f.putRaw(tag.getBytes(StandardCharsets.US_ASCII));
        return f;
    }

    /**
     * Adds a 4-byte int.
     *
     * @param v the value
     * @return this fingerprint
     */
    public Fingerprint putInt(int v) {
        room(Integer.BYTES).putInt(v);
        return this;
    }

    /**
     * Adds an 8-byte long.
     *
     * @param v the value
     * @return this fingerprint
     */
    public Fingerprint putLong(long v) {
        room(Long.BYTES).putLong(v);
        return this;
    }

    /**
     * Adds a float's IEEE 754 bits (4 bytes).
     *
     * @param v the value
     * @return this fingerprint
     */
    public Fingerprint putFloat(float v) {
        room(Float.BYTES).putFloat(v);
        return this;
    }

    /**
     * Adds every value, in order.
     *
     * @param values the values
     * @return this fingerprint
     */
    public Fingerprint putFloats(float[] values) {
        for (float v : values) {
            putFloat(v);
        }
        return this;
    }

    /**
     * Adds every value, in order.
     *
     * @param values the values
     * @return this fingerprint
     */
    public Fingerprint putInts(int[] values) {
        for (int v : values) {
            putInt(v);
        }
        return this;
    }

    /**
     * Adds the UTF-8 length (int) and bytes of {@code s}; null is written as length -1.
     *
     * @param s the string, or null
     * @return this fingerprint
     */
    public Fingerprint putString(String s) {
        if (s == null) {
            return putInt(-1);
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        putInt(bytes.length);
        return putRaw(bytes);
    }

    /**
     * Adds raw bytes without a length.
     *
     * @param bytes the bytes
     * @return this fingerprint
     */
    public Fingerprint putRaw(byte[] bytes) {
        drain();
        sha.update(bytes);
        return this;
    }

    /**
     * Adds a buffer's remaining bytes without a length (the buffer's position moves to its limit).
     *
     * @param bytes the buffer; its position ends at its limit
     * @return this fingerprint
     */
    public Fingerprint putRaw(ByteBuffer bytes) {
        drain();
        sha.update(bytes);
        return this;
    }

    /**
     * Lower-case hex SHA-256 of everything added. The fingerprint cannot be used afterwards.
     *
     * @return 64 lower-case hex digits
     */
    public String hex() {
        drain();
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The content hash ({@code sha256:<hex>}) of these parameters' paths, shapes and current values,
     * independent of their order in the collection (see the class comment for the layout).
     *
     * @param params the parameters to hash; their arrays are read, not changed
     * @return {@code sha256:} followed by 64 lower-case hex digits
     */
    public static String weights(Collection<Param> params) {
        TreeMap<String, Param> byPath = new TreeMap<>();
        for (Param p : params) {
            byPath.put(p.path(), p);
        }
        MessageDigest md = Hashing.sha256();
        for (Param p : byPath.values()) {
            md.update(p.path().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            long[] dims = p.shape().getShape();
            ByteBuffer header = ByteBuffer.allocate(Long.BYTES * (dims.length + 1)).order(ByteOrder.LITTLE_ENDIAN);
            header.putLong(dims.length);
            for (long d : dims) {
                header.putLong(d);
            }
            md.update(header.array());
            ByteBuffer data = p.array().toByteBuffer(); // the fp32 values in place, no copy into Java
            if (data.order() != ByteOrder.LITTLE_ENDIAN) {
                float[] values = p.toFloatArray();
                data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(values);
            }
            md.update(data);
        }
        return SHA256_PREFIX + HexFormat.of().formatHex(md.digest());
    }

    private ByteBuffer room(int bytes) {
        if (buffer.remaining() < bytes) {
            drain();
        }
        return buffer;
    }

    private void drain() {
        buffer.flip();
        sha.update(buffer);
        buffer.clear();
    }
}
