package dev.floe.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Writes small ONNX models in protobuf wire format, for tests. */
public final class OnnxFiles {

    private final ByteArrayOutputStream graph = new ByteArrayOutputStream();

    /** Adds an initializer with little-endian fp32 {@code raw_data}. */
    public OnnxFiles floats(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return message(5, tensor(name, dims, 1, raw.array(), null));
    }

    /** Adds an initializer whose values are in packed {@code float_data} instead of raw_data. */
    public OnnxFiles floatData(String name, long[] dims, float[] values) {
        ByteBuffer packed = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        packed.asFloatBuffer().put(values);
        return message(5, tensor(name, dims, 1, null, packed.array()));
    }

    /** Adds an initializer with arbitrary raw bytes and type code (for malformed cases). */
    public OnnxFiles raw(String name, long[] dims, int type, byte[] raw) {
        return message(5, tensor(name, dims, type, raw, null));
    }

    /** Adds a node. */
    public OnnxFiles node(String op, List<String> inputs, List<String> outputs) {
        ByteArrayOutputStream n = new ByteArrayOutputStream();
        inputs.forEach(i -> string(n, 1, i));
        outputs.forEach(o -> string(n, 2, o));
        string(n, 3, op + "_" + outputs.get(0));
        string(n, 4, op);
        return message(1, n.toByteArray());
    }

    /** Adds a graph input (11) or output (12) by name. */
    public OnnxFiles io(boolean input, String name) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        string(v, 1, name);
        return message(input ? 11 : 12, v.toByteArray());
    }

    /** The ModelProto: ir_version 8, producer "floe-test", the graph. */
    public byte[] toBytes() {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        key(m, 1, 0);
        varint(m, 8);
        string(m, 2, "floe-test");
        bytes(m, 7, graph.toByteArray());
        return m.toByteArray();
    }

    private OnnxFiles message(int field, byte[] body) {
        bytes(graph, field, body);
        return this;
    }

    private static byte[] tensor(String name, long[] dims, int type, byte[] raw, byte[] packedFloats) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        for (long d : dims) {
            key(t, 1, 0);
            varint(t, d);
        }
        key(t, 2, 0);
        varint(t, type);
        if (packedFloats != null) {
            bytes(t, 4, packedFloats);
        }
        string(t, 8, name);
        if (raw != null) {
            bytes(t, 9, raw);
        }
        return t.toByteArray();
    }

    static void key(ByteArrayOutputStream out, int field, int wire) {
        varint(out, ((long) field << 3) | wire);
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    static void bytes(ByteArrayOutputStream out, int field, byte[] b) {
        key(out, field, 2);
        varint(out, b.length);
        out.write(b, 0, b.length);
    }

    static void string(ByteArrayOutputStream out, int field, String s) {
        bytes(out, field, s.getBytes(StandardCharsets.UTF_8));
    }
}
