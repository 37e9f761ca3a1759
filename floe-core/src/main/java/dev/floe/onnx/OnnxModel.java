package dev.floe.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parts of an ONNX model ({@code ModelProto}) needed to import weights: the graph's
 * initializers, its nodes (op type, inputs, outputs), and its input and output names.
 *
 * <p>Reading is strict and all-or-nothing: the whole file is parsed and every tensor's data is
 * checked against its dims and type before an instance is returned; a truncated or corrupt file
 * fails with an {@link OnnxFormatException} naming the file and the byte offset. Tensors whose data
 * lives in external files are not supported.
 */
public final class OnnxModel {

    private static final String TRUNCATED = ProtoReader.TRUNCATED;

    private final String source;
    private final long irVersion;
    private final String producer;
    private final List<String> inputs;
    private final List<String> outputs;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final Map<String, List<OnnxNode>> consumers;

    private OnnxModel(Parsed p) {
        this.source = p.source;
        this.irVersion = p.irVersion;
        this.producer = p.producer;
        this.inputs = List.copyOf(p.inputs);
        this.outputs = List.copyOf(p.outputs);
        this.nodes = List.copyOf(p.nodes);
        this.initializers = Collections.unmodifiableMap(p.initializers);
        Map<String, List<OnnxNode>> byInput = new LinkedHashMap<>();
        for (OnnxNode n : nodes) {
            for (String in : n.inputs()) {
                byInput.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        byInput.replaceAll((k, v) -> List.copyOf(v));
        this.consumers = Collections.unmodifiableMap(byInput);
    }

    /**
     * Reads an ONNX file.
     *
     * @param file the ONNX file
     * @return the parsed model; initializer data stays in memory with it
     * @throws IOException if the file cannot be read
     * @throws OnnxFormatException naming the file and byte offset if it is not a valid ONNX model
     */
    public static OnnxModel read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        return read(Files.readAllBytes(file), file.toString());
    }

    /**
     * Parses an ONNX model held in memory. The array is kept (tensor data is decoded from it on
     * request) and must not be modified afterwards.
     *
     * @param bytes the file's bytes; kept, not copied
     * @return the parsed model
     * @param source names the file in messages, e.g. a path or {@code classpath:model.onnx}
     * @throws OnnxFormatException naming {@code source} and the byte offset if the bytes are not a
     *     valid ONNX model
     */
    public static OnnxModel read(byte[] bytes, String source) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(source, "source");
        return new OnnxModel(parseModel(new ProtoReader(bytes, source, 0, bytes.length), source));
    }

    /**
     * Where the model was read from.
     *
     * @return the source as given to {@code read}
     */
    public String source() {
        return source;
    }

    /**
     * {@code ModelProto.ir_version}.
     *
     * @return the IR version
     */
    public long irVersion() {
        return irVersion;
    }

    /**
     * {@code ModelProto.producer_name}, e.g. {@code pytorch}; empty when absent.
     *
     * @return the producer name
     */
    public String producer() {
        return producer;
    }

    /**
     * Names of the graph inputs (initializers listed as inputs by old exporters included).
     *
     * @return the input names, in file order
     */
    public List<String> inputs() {
        return inputs;
    }

    /**
     * Names of the graph outputs.
     *
     * @return the output names, in file order
     */
    public List<String> outputs() {
        return outputs;
    }

    /**
     * The graph's nodes in file order (topological for valid models).
     *
     * @return the nodes, unmodifiable
     */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    /**
     * Initializers by name, in file order.
     *
     * @return an unmodifiable map from name to tensor
     */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /**
     * The initializer with this name.
     *
     * @param name the initializer's name
     * @return the initializer
     * @throws IllegalArgumentException naming the model when there is none
     */
    public OnnxTensor initializer(String name) {
        OnnxTensor t = initializers.get(name);
        if (t == null) {
            throw new IllegalArgumentException(
                    "ONNX file " + source + " has no initializer named '" + name + "'; it has "
                            + initializers.size() + " initializers");
        }
        return t;
    }

    /**
     * The nodes that read the named value, in file order; empty when none does.
     *
     * @param value a value name
     * @return the consuming nodes
     */
    public List<OnnxNode> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    @Override
    public String toString() {
        return "ONNX model " + source + " (ir " + irVersion + ", " + producer + "): " + nodes.size() + " nodes, "
                + initializers.size() + " initializers, inputs " + inputs + ", outputs " + outputs;
    }

    // ---------------------------------------------------------------- parsing

    private static final class Parsed {
        final String source;
        long irVersion;
        String producer = "";
        boolean hasGraph;
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
        final List<OnnxNode> nodes = new ArrayList<>();
        final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();

        Parsed(String source) {
            this.source = source;
        }
    }

    private static Parsed parseModel(ProtoReader r, String source) {
        Parsed p = new Parsed(source);
        if (!r.hasMore()) {
            throw r.error(0, "the file is empty; expected an ONNX ModelProto" + TRUNCATED);
        }
        while (r.hasMore()) {
            int at = r.position();
            int key = r.readTag("ModelProto");
            int field = key >>> 3;
            switch (field) {
                case 1 -> {
                    r.expectWire(key, ProtoReader.VARINT, at, "ModelProto.ir_version");
                    p.irVersion = r.readVarint("ModelProto.ir_version");
                }
                case 2 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "ModelProto.producer_name");
                    p.producer = r.readString("ModelProto.producer_name");
                }
                case 7 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "field 7 (ModelProto.graph)");
                    if (p.hasGraph) {
                        throw r.error(at, "ModelProto has a second graph; expected exactly one" + TRUNCATED);
                    }
                    int end = r.readLength("field 7 (ModelProto.graph)");
                    parseGraph(r.sub(r.position(), end), p);
                    r.seek(end);
                    p.hasGraph = true;
                }
                default -> r.skip(key & 7, "field " + field + " of ModelProto");
            }
        }
        if (!p.hasGraph) {
            throw r.error(r.position(), "the file ends without a graph (ModelProto field 7); expected an ONNX model"
                    + TRUNCATED);
        }
        return p;
    }

    private static void parseGraph(ProtoReader r, Parsed p) {
        while (r.hasMore()) {
            int at = r.position();
            int key = r.readTag("GraphProto");
            int field = key >>> 3;
            switch (field) {
                case 1 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "GraphProto.node");
                    int end = r.readLength("GraphProto.node");
                    p.nodes.add(parseNode(r.sub(r.position(), end)));
                    r.seek(end);
                }
                case 5 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "GraphProto.initializer");
                    int end = r.readLength("GraphProto.initializer");
                    OnnxTensor t = parseTensor(r.sub(r.position(), end), at);
                    r.seek(end);
                    if (p.initializers.putIfAbsent(t.name(), t) != null) {
                        throw r.error(at, "initializer '" + t.name() + "' appears twice; expected unique names"
                                + TRUNCATED);
                    }
                }
                case 11, 12 -> {
                    String what = field == 11 ? "GraphProto.input" : "GraphProto.output";
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, what);
                    int end = r.readLength(what);
                    String name = parseValueInfoName(r.sub(r.position(), end));
                    r.seek(end);
                    (field == 11 ? p.inputs : p.outputs).add(name);
                }
                default -> r.skip(key & 7, "field " + field + " of GraphProto");
            }
        }
    }

    private static OnnxNode parseNode(ProtoReader r) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String op = null;
        int start = r.position();
        while (r.hasMore()) {
            int at = r.position();
            int key = r.readTag("NodeProto");
            int field = key >>> 3;
            switch (field) {
                case 1 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "NodeProto.input");
                    inputs.add(r.readString("NodeProto.input"));
                }
                case 2 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "NodeProto.output");
                    outputs.add(r.readString("NodeProto.output"));
                }
                case 3 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "NodeProto.name");
                    name = r.readString("NodeProto.name");
                }
                case 4 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "NodeProto.op_type");
                    op = r.readString("NodeProto.op_type");
                }
                default -> r.skip(key & 7, "field " + field + " of NodeProto");
            }
        }
        if (op == null || op.isEmpty()) {
            throw r.error(start, "node '" + name + "' has no op_type; expected every node to name its operator"
                    + TRUNCATED);
        }
        return new OnnxNode(name, op, inputs, outputs);
    }

    private static String parseValueInfoName(ProtoReader r) {
        String name = "";
        while (r.hasMore()) {
            int at = r.position();
            int key = r.readTag("ValueInfoProto");
            if (key >>> 3 == 1) {
                r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "ValueInfoProto.name");
                name = r.readString("ValueInfoProto.name");
            } else {
                r.skip(key & 7, "field " + (key >>> 3) + " of ValueInfoProto");
            }
        }
        return name;
    }

    private static OnnxTensor parseTensor(ProtoReader r, int tensorOffset) {
        List<Long> dims = new ArrayList<>();
        long typeCode = 0;
        String name = null;
        int rawFrom = -1;
        int rawLength = 0;
        FloatList floats = null;
        LongList longs = null;
        boolean external = false;
        boolean segmented = false;
        while (r.hasMore()) {
            int at = r.position();
            int key = r.readTag("TensorProto");
            int field = key >>> 3;
            int wire = key & 7;
            switch (field) {
                case 1 -> {
                    if (wire == ProtoReader.LENGTH_DELIMITED) {
                        int end = r.readLength("TensorProto.dims");
                        while (r.position() < end) {
                            dims.add(r.readVarint("TensorProto.dims"));
                        }
                        if (r.position() != end) {
                            throw r.error(at, "packed TensorProto.dims overruns its length" + TRUNCATED);
                        }
                    } else {
                        r.expectWire(key, ProtoReader.VARINT, at, "TensorProto.dims");
                        dims.add(r.readVarint("TensorProto.dims"));
                    }
                }
                case 2 -> {
                    r.expectWire(key, ProtoReader.VARINT, at, "TensorProto.data_type");
                    typeCode = r.readVarint("TensorProto.data_type");
                }
                case 3 -> {
                    segmented = true;
                    r.skip(wire, "TensorProto.segment");
                }
                case 4 -> {
                    if (floats == null) {
                        floats = new FloatList();
                    }
                    if (wire == ProtoReader.LENGTH_DELIMITED) {
                        int end = r.readLength("TensorProto.float_data");
                        if ((end - r.position()) % Float.BYTES != 0) {
                            throw r.error(at, "packed TensorProto.float_data has " + (end - r.position())
                                    + " bytes, not a multiple of 4" + TRUNCATED);
                        }
                        while (r.position() < end) {
                            floats.add(Float.intBitsToFloat(r.readFixed32("TensorProto.float_data")));
                        }
                    } else {
                        r.expectWire(key, ProtoReader.FIXED32, at, "TensorProto.float_data");
                        floats.add(Float.intBitsToFloat(r.readFixed32("TensorProto.float_data")));
                    }
                }
                case 7 -> {
                    if (longs == null) {
                        longs = new LongList();
                    }
                    if (wire == ProtoReader.LENGTH_DELIMITED) {
                        int end = r.readLength("TensorProto.int64_data");
                        while (r.position() < end) {
                            longs.add(r.readVarint("TensorProto.int64_data"));
                        }
                        if (r.position() != end) {
                            throw r.error(at, "packed TensorProto.int64_data overruns its length" + TRUNCATED);
                        }
                    } else {
                        r.expectWire(key, ProtoReader.VARINT, at, "TensorProto.int64_data");
                        longs.add(r.readVarint("TensorProto.int64_data"));
                    }
                }
                case 8 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "TensorProto.name");
                    name = r.readString("TensorProto.name");
                }
                case 9 -> {
                    r.expectWire(key, ProtoReader.LENGTH_DELIMITED, at, "TensorProto.raw_data");
                    int end = r.readLength("TensorProto.raw_data");
                    rawFrom = r.position();
                    rawLength = end - rawFrom;
                    r.seek(end);
                }
                case 13 -> {
                    external = true;
                    r.skip(wire, "TensorProto.external_data");
                }
                case 14 -> {
                    r.expectWire(key, ProtoReader.VARINT, at, "TensorProto.data_location");
                    external |= r.readVarint("TensorProto.data_location") == 1;
                }
                default -> r.skip(wire, "field " + field + " of TensorProto");
            }
        }
        String label = name == null ? "an unnamed tensor" : "tensor '" + name + "'";
        if (name == null || name.isEmpty()) {
            throw r.error(tensorOffset, "an initializer has no name; expected every initializer to be named" + TRUNCATED);
        }
        OnnxDataType type = OnnxDataType.ofCode(typeCode);
        if (type == null) {
            throw r.error(tensorOffset, label + " has data_type " + typeCode
                    + "; expected a TensorProto.DataType code from 1 to 16" + TRUNCATED);
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
            if (shape[i] < 0) {
                throw r.error(tensorOffset, label + " has dimension " + i + " = " + shape[i]
                        + "; expected sizes >= 0" + TRUNCATED);
            }
        }
        if (external) {
            throw r.error(tensorOffset, label + " keeps its data in an external file, which this reader does not"
                    + " support; re-export the model with the weights inside the .onnx file");
        }
        if (segmented) {
            throw r.error(tensorOffset, label + " is split into segments, which this reader does not support;"
                    + " re-export the model without segments");
        }
        long count;
        try {
            count = OnnxTensor.count(shape);
        } catch (ArithmeticException e) {
            throw r.error(tensorOffset, label + " has dims whose product overflows" + TRUNCATED);
        }
        byte[] raw = null;
        if (rawFrom >= 0) {
            if (type.bytes() == 0) {
                throw r.error(tensorOffset, label + " of type " + type + " has raw_data; expected string_data");
            }
            if (count > Integer.MAX_VALUE || (long) rawLength != count * type.bytes()) {
                throw r.error(tensorOffset, label + " " + java.util.Arrays.toString(shape) + " " + type + " needs "
                        + count * type.bytes() + " bytes of raw_data but has " + rawLength + TRUNCATED);
            }
            raw = r.data();
        } else if (type == OnnxDataType.FLOAT && floats != null) {
            checkCount(r, tensorOffset, label, "float_data", floats.size, count);
        } else if (type == OnnxDataType.INT64 && longs != null) {
            checkCount(r, tensorOffset, label, "int64_data", longs.size, count);
        } else if (count != 0 && (type == OnnxDataType.FLOAT || type == OnnxDataType.INT64)) {
            throw r.error(tensorOffset, label + " " + java.util.Arrays.toString(shape) + " " + type
                    + " has no data; expected raw_data or " + (type == OnnxDataType.FLOAT ? "float_data" : "int64_data")
                    + TRUNCATED);
        }
        return new OnnxTensor(name, shape, type, tensorOffset, raw, Math.max(rawFrom, 0), rawLength,
                floats == null ? null : floats.toArray(), longs == null ? null : longs.toArray());
    }

    private static void checkCount(ProtoReader r, int offset, String label, String field, int found, long count) {
        if (found != count) {
            throw r.error(offset, label + " needs " + count + " values but " + field + " holds " + found + TRUNCATED);
        }
    }

    /** A growable float array. */
    private static final class FloatList {
        float[] values = new float[16];
        int size;

        void add(float v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }

    /** A growable long array. */
    private static final class LongList {
        long[] values = new long[16];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
