package dev.floe.export;

import dev.floe.graph.Dim;
import dev.floe.graph.ElementType;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Param;
import dev.floe.peft.AdapterSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects the nodes, weights (initializers), inputs and outputs of one ONNX graph and encodes
 * them as an ONNX {@code ModelProto} (IR version 8, default-domain opset {@value #OPSET}).
 * Component exporters call {@link #node} with value names and get the names of the new values
 * back; every value name is unique in the graph.
 *
 * <p>Field numbers are those of the ONNX format's {@code onnx.proto}. Not thread-safe.
 */
public final class OnnxGraphBuilder {

    /** The opset of the default ONNX domain the exported models use. */
    public static final int OPSET = 17;
    private static final int IR_VERSION = 8;

    // TensorProto.DataType
    private static final int FLOAT = 1;
    private static final int INT64 = 7;
    private static final int INT32 = 6;
    private static final int BOOL = 9;

    /** One node attribute; make one with the static factories. */
    public static final class Attribute {
        private final ProtoWriter proto;

        private Attribute(ProtoWriter proto) {
            this.proto = proto;
        }

        /**
         * An {@code INT} attribute.
         *
         * @param name the attribute name
         * @param value the value
         * @return the attribute
         */
        public static Attribute of(String name, long value) {
            // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
            return new Attribute(new ProtoWriter().string(1, name).varint(3, value).varint(20, 2));
        }

        /**
         * A {@code FLOAT} attribute.
         *
         * @param name the attribute name
         * @param value the value
         * @return the attribute
         */
        public static Attribute of(String name, float value) {
            // f = 2, type FLOAT = 1
            return new Attribute(new ProtoWriter().string(1, name).float32(2, value).varint(20, 1));
        }

        /**
         * An {@code INTS} attribute.
         *
         * @param name the attribute name
         * @param values the values
         * @return the attribute
         */
        public static Attribute ints(String name, long... values) {
            // ints = 8, type INTS = 7
            ProtoWriter w = new ProtoWriter().string(1, name);
            for (long v : values) {
                w.varint(8, v);
            }
            return new Attribute(w.varint(20, 7));
        }
    }

    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> initializers = new ArrayList<>();
    private final List<ProtoWriter> inputs = new ArrayList<>();
    private final List<ProtoWriter> outputs = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> paramValues = new HashMap<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private final Map<String, AdapterSpec> adapters = new HashMap<>();

    /**
     * Makes these bottleneck adapters' specs known to the layer emitters (by module name).
     *
     * @param specs adapter specs by module name; copied
     */
    public void adapters(Map<String, AdapterSpec> specs) {
        adapters.putAll(specs);
    }

    /**
     * The spec of the bottleneck adapter of this name, or null when there is none.
     *
     * @param name the adapter's module name
     * @return the spec, or null
     */
    public AdapterSpec adapter(String name) {
        return adapters.get(name);
    }

    /**
     * Declares a graph input of this shape; symbolic dimensions stay symbolic (e.g. {@code batch}).
     *
     * @param name the input name, unique among values
     * @param spec the input's shape and element type
     * @return the input's value name ({@code name})
     * @throws IllegalArgumentException if the name is taken
     */
    public String input(String name, TensorSpec spec) {
        claim(name);
        inputs.add(valueInfo(name, spec));
        return name;
    }

    /**
     * Declares {@code value} a graph output named {@code name} of this shape (an {@code Identity}
     * node renames it when the names differ).
     *
     * @param name the output name
     * @param value the value name to expose
     * @param spec the output's shape and element type
     */
    public void output(String name, String value, TensorSpec spec) {
        if (!name.equals(value)) {
            claim(name);
            nodes.add(nodeProto("Identity", List.of(value), List.of(name), name));
        }
        outputs.add(valueInfo(name, spec));
    }

    /**
     * The value holding this parameter's current values (added as a weight on first use).
     *
     * @param p the parameter
     * @return the value name of its weight
     */
    public String param(Param p) {
        return paramValues.computeIfAbsent(p.path(), path -> constant(path, p.shape().getShape(), p.toFloatArray()));
    }

    /**
     * A float32 constant of these dimensions (row-major values).
     *
     * @param dims dimensions, outermost first
     * @param values the elements, row-major; as many as the dimensions' product
     * @return the constant's value name
     * @param hint name to use, made unique
     */
    public String constant(String hint, long[] dims, float[] values) {
        String name = fresh(hint);
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        initializers.add(tensor(name, dims, FLOAT, raw.array()));
        return name;
    }

    /**
     * A float32 scalar constant.
     *
     * @param hint name to use, made unique
     * @param value the scalar
     * @return the constant's value name
     */
    public String scalar(String hint, float value) {
        return constant(hint, new long[0], new float[] {value});
    }

    /**
     * The value holding the transpose of this matrix parameter (rows become columns; added on first
     * use).
     *
     * @param p a two-dimensional parameter
     * @return the value name of the transposed weight
     */
    public String transposed(Param p) {
        long[] shape = p.shape().getShape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("parameter " + p.path() + " has shape " + p.shape() + "; transposing needs a matrix");
        }
        return paramValues.computeIfAbsent(p.path() + "^T", key -> {
            float[] v = p.toFloatArray();
            int rows = (int) shape[0];
            int cols = (int) shape[1];
            float[] t = new float[v.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = v[r * cols + c];
                }
            }
            return constant(p.path() + "_T", new long[] {cols, rows}, t);
        });
    }

    /**
     * An int64 scalar constant (an index).
     *
     * @param hint name to use, made unique
     * @param value the scalar
     * @return the constant's value name
     */
    public String int64Scalar(String hint, long value) {
        String name = fresh(hint);
        ByteBuffer raw = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        initializers.add(tensor(name, new long[0], INT64, raw.array()));
        return name;
    }

    /**
     * A one-dimensional int64 constant (shapes, axes).
     *
     * @param hint name to use, made unique
     * @param values the elements
     * @return the constant's value name
     */
    public String int64s(String hint, long... values) {
        String name = fresh(hint);
        ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        initializers.add(tensor(name, new long[] {values.length}, INT64, raw.array()));
        return name;
    }

    /**
     * Adds a node with one output.
     *
     * @param in the input value names, in operator order
     * @param attributes the node's attributes
     * @param op the ONNX operator, e.g. {@code Conv}
     * @param hint the output's name, made unique (e.g. the module path {@code encoder/stem/conv})
     * @return the output's value name
     */
    public String node(String op, String hint, List<String> in, Attribute... attributes) {
        String out = fresh(hint);
        ProtoWriter n = nodeProto(op, in, List.of(out), out);
        for (Attribute a : attributes) {
            n.message(5, a.proto); // NodeProto.attribute = 5
        }
        nodes.add(n);
        return out;
    }

    /**
     * The ONNX model: this graph, named {@code graphName}, with producer {@code floe}.
     *
     * @param graphName the ONNX graph's name
     * @param producerVersion the producer version to record
     * @return the serialised ONNX model
     */
    public byte[] toModel(String graphName, String producerVersion) {
        ProtoWriter graph = new ProtoWriter();
        nodes.forEach(n -> graph.message(1, n)); // GraphProto.node = 1
        graph.string(2, graphName); // name = 2
        initializers.forEach(t -> graph.message(5, t)); // initializer = 5
        inputs.forEach(v -> graph.message(11, v)); // input = 11
        outputs.forEach(v -> graph.message(12, v)); // output = 12
        ProtoWriter model = new ProtoWriter()
                .varint(1, IR_VERSION) // ModelProto.ir_version = 1
                .string(2, "floe") // producer_name = 2
                .string(3, producerVersion) // producer_version = 3
                .message(7, graph) // graph = 7
                .message(8, new ProtoWriter().string(1, "").varint(2, OPSET)); // opset_import = 8 {domain, version}
        return model.toByteArray();
    }

    private String fresh(String hint) {
        String name = hint;
        while (names.contains(name)) {
            int k = counters.merge(hint, 1, Integer::sum);
            name = hint + "_" + k;
        }
        names.add(name);
        return name;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("ONNX value name '" + name + "' is used twice");
        }
    }

    private static ProtoWriter nodeProto(String op, List<String> in, List<String> out, String name) {
        ProtoWriter n = new ProtoWriter();
        in.forEach(v -> n.string(1, v)); // NodeProto.input = 1
        out.forEach(v -> n.string(2, v)); // output = 2
        return n.string(3, name).string(4, op); // name = 3, op_type = 4
    }

    private static ProtoWriter tensor(String name, long[] dims, int type, byte[] raw) {
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) {
            t.varint(1, d); // TensorProto.dims = 1
        }
        return t.varint(2, type).string(8, name).bytes(9, raw); // data_type = 2, name = 8, raw_data = 9
    }

    private static ProtoWriter valueInfo(String name, TensorSpec spec) {
        ProtoWriter shape = new ProtoWriter();
        for (Dim d : spec.dims()) {
            ProtoWriter dim = new ProtoWriter();
            if (d instanceof Dim.Fixed f) {
                dim.varint(1, f.size()); // Dimension.dim_value = 1
            } else if (d instanceof Dim.Symbolic s) {
                dim.string(2, s.name()); // dim_param = 2
            }
            shape.message(1, dim); // TensorShapeProto.dim = 1
        }
        ProtoWriter tensorType = new ProtoWriter().varint(1, elementType(spec.type())).message(2, shape); // elem_type, shape
        ProtoWriter type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type = 1
        return new ProtoWriter().string(1, name).message(2, type); // ValueInfoProto name = 1, type = 2
    }

    private static int elementType(ElementType t) {
        return switch (t) {
            case FLOAT32 -> FLOAT;
            case INT64 -> INT64;
            case INT32 -> INT32;
            case BOOLEAN -> BOOL;
        };
    }
}
