package dev.floe.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads and writes safetensors files.
 *
 * <p>The format: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of
 * UTF-8 JSON; then the data section. The JSON is an object with an optional
 * {@code "__metadata__"} entry (a string-to-string map) and one entry per tensor:
 * {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}}, where the offsets are
 * byte positions relative to the start of the data section. Tensor bytes are row-major and
 * little-endian, and the tensors tile the data section exactly: no gaps, no overlaps, no trailing
 * bytes.
 *
 * <p>The writer stores tensors in sorted name order, writes {@code __metadata__} first (only when
 * metadata is non-empty), pads the JSON with spaces so that the data section starts at a multiple
 * of 8 bytes, and replaces the file atomically ({@link AtomicFiles}).
 *
 * <p>The readers validate the whole header before reading any tensor bytes, and fail with a
 * {@link SafetensorsFormatException} naming the file, the problem, the expectation and a fix.
 * Unknown fields inside a tensor entry are ignored. Tensors are read with plain positional reads
 * into heap buffers, one per tensor; a single tensor is limited to {@value #MAX_TENSOR_BYTES}
 * bytes (the largest Java array), the file as a whole is not.
 */
public final class Safetensors {

    /** Largest accepted header, in bytes; a longer length prefix means a corrupt or foreign file. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Largest tensor {@link #read} loads, in bytes: the largest heap buffer Java can allocate. */
    public static final int MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

    /** Key of the metadata entry in the header. */
    public static final String METADATA_KEY = "__metadata__";

    /** Size of the header length prefix, in bytes. */
    private static final int LENGTH_PREFIX_BYTES = Long.BYTES;

    /** The writer pads the header so that the data section starts at a multiple of this. */
    private static final int HEADER_ALIGNMENT = 8;

    private static final byte HEADER_PAD = ' ';

    private static final String DTYPE = "dtype";
    private static final String SHAPE = "shape";
    private static final String DATA_OFFSETS = "data_offsets";

    private static final String FORMAT =
            "a safetensors file (8-byte little-endian header length, UTF-8 JSON header, tensor"
                    + " bytes)";
    private static final String REEXPORT =
            "the file is corrupt or was written by a faulty writer: export it again with a"
                    + " safetensors writer";
    private static final String TRUNCATED =
            "the file is truncated (an interrupted download or copy): fetch or export it again";

    private static final JsonMapper JSON =
            JsonMapper.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();

    private Safetensors() {}

    // ------------------------------------------------------------------------------------- write

    /**
     * Writes {@code tensors} and {@code metadata} to {@code file}, atomically, creating parent
     * directories. Tensors are stored in sorted name order; the header is padded with spaces to a
     * multiple of 8 bytes.
     *
     * @param file the file to create or replace
     * @param tensors tensors by name; names must be non-empty and not {@value #METADATA_KEY}
     * @param metadata free-form string pairs stored under {@value #METADATA_KEY}; may be empty
     * @throws IllegalArgumentException if a name is empty or reserved, or the header would exceed
     *     {@value #MAX_HEADER_BYTES} bytes
     * @throws IOException if writing fails; the file is then unchanged
     */
    public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        SortedMap<String, TensorData> sorted = new TreeMap<>(OrderedMaps.copy(tensors, "tensors"));
        SortedMap<String, String> sortedMetadata = new TreeMap<>(OrderedMaps.copy(metadata, "metadata"));
        for (String name : sorted.keySet()) {
            if (name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(
                        "cannot write "
                                + file
                                + ": tensor name '"
                                + name
                                + "' is "
                                + (name.isEmpty() ? "empty" : "reserved for metadata")
                                + "; expected a non-empty name other than "
                                + METADATA_KEY
                                + "; rename the tensor");
            }
        }
        byte[] header = encodeHeader(file, sorted, sortedMetadata);
        AtomicFiles.write(
                file,
                out -> {
                    out.write(
                            ByteBuffer.allocate(LENGTH_PREFIX_BYTES)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .putLong(header.length)
                                    .array());
                    out.write(header);
                    for (TensorData tensor : sorted.values()) {
                        tensor.writeTo(out);
                    }
                });
    }

    private static byte[] encodeHeader(
            Path file, SortedMap<String, TensorData> tensors, SortedMap<String, String> metadata)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            TensorData tensor = e.getValue();
            ObjectNode entry = root.putObject(e.getKey());
            entry.put(DTYPE, tensor.dtype().name());
            ArrayNode shape = entry.putArray(SHAPE);
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            long end = offset + tensor.byteLength();
            entry.putArray(DATA_OFFSETS).add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot encode the safetensors header of " + file, e);
        }
        long padded = ((long) json.length + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException(
                    "cannot write "
                            + file
                            + ": the header would be "
                            + padded
                            + " bytes; expected at most "
                            + MAX_HEADER_BYTES
                            + "; store fewer tensors or less metadata per file");
        }
        byte[] header = Arrays.copyOf(json, (int) padded);
        Arrays.fill(header, json.length, header.length, HEADER_PAD);
        return header;
    }

    // -------------------------------------------------------------------------------------- read

    /**
     * Reads every tensor and the metadata of {@code file}.
     *
     * @param file the safetensors file to read
     * @return tensors in the order of their data offsets, and the metadata (empty if none)
     * @throws SafetensorsFormatException if the file is not a valid safetensors file (see the class
     *     comment), or a tensor is larger than {@value #MAX_TENSOR_BYTES} bytes
     * @throws IOException if the file cannot be opened or read
     */
    public static SafetensorsFile read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Path shown = file.toAbsolutePath();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = parseHeader(file, channel);
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, SafetensorsHeader.TensorEntry> e : header.tensors().entrySet()) {
                String name = e.getKey();
                SafetensorsHeader.TensorEntry entry = e.getValue();
                if (entry.byteLength() > MAX_TENSOR_BYTES) {
                    throw new SafetensorsFormatException(
                            shown,
                            "tensor '" + name + "' is " + entry.byteLength() + " bytes",
                            "at most " + MAX_TENSOR_BYTES + " bytes per tensor (one Java buffer)",
                            "read the layout with readHeader and stream this tensor's bytes, or"
                                    + " split it into smaller tensors");
                }
                ByteBuffer bytes =
                        ByteBuffer.allocate((int) entry.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
                readFully(
                        shown, channel, bytes, header.dataStart() + entry.begin(), "tensor '" + name + "'");
                bytes.flip();
                tensors.put(name, new TensorData(entry.dtype(), entry.shape(), bytes));
            }
            return new SafetensorsFile(tensors, header.metadata());
        }
    }

    /**
     * Reads and validates only the header of {@code file}: names, dtypes, shapes, offsets and
     * metadata. The offsets are checked against the file size, so a truncated file fails here too.
     *
     * @param file the safetensors file to read
     * @return the parsed header; no tensor data is read
     * @throws SafetensorsFormatException if the file is not a valid safetensors file
     * @throws IOException if the file cannot be opened or read
     */
    public static SafetensorsHeader readHeader(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return parseHeader(file, channel);
        }
    }

    private static SafetensorsHeader parseHeader(Path file, FileChannel channel) throws IOException {
        Path shown = file.toAbsolutePath();
        long size = channel.size();
        if (size < LENGTH_PREFIX_BYTES) {
            throw new SafetensorsFormatException(
                    shown,
                    "the file is " + size + " bytes, shorter than the 8-byte header length prefix",
                    FORMAT,
                    "the file is empty or cut short: check the path, or fetch or export it again");
        }
        ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(shown, channel, prefix, 0, "the header length prefix");
        long headerLength = prefix.getLong(0);
        if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
            throw new SafetensorsFormatException(
                    shown,
                    "the header length prefix is "
                            + Long.toUnsignedString(headerLength)
                            + " bytes, over the limit of "
                            + MAX_HEADER_BYTES,
                    FORMAT + " with a header of at most " + MAX_HEADER_BYTES + " bytes",
                    "this is probably not a safetensors file, or its first 8 bytes are corrupt:"
                            + " check the path and the file type");
        }
        long available = size - LENGTH_PREFIX_BYTES;
        if (headerLength > available) {
            throw new SafetensorsFormatException(
                    shown,
                    "the header length prefix says "
                            + headerLength
                            + " header bytes but only "
                            + available
                            + " bytes follow the prefix",
                    FORMAT + " at least as long as its header",
                    "the file is truncated or corrupt: fetch or export it again");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(shown, channel, headerBytes, LENGTH_PREFIX_BYTES, "the header");
        headerBytes.flip();
        String json;
        try {
            json =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(headerBytes)
                            .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(
                    shown, "the header is not valid UTF-8", "a UTF-8 JSON header", REEXPORT, e);
        }
        long dataLength = available - headerLength;
        return parseJson(shown, json, LENGTH_PREFIX_BYTES + headerLength, dataLength);
    }

    private static SafetensorsHeader parseJson(
            Path file, String json, long dataStart, long dataLength) {
        String expectedObject =
                "a JSON object mapping tensor names to {\"dtype\", \"shape\", \"data_offsets\"}";
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(
                    file,
                    "the header is not valid JSON ("
                            + e.getOriginalMessage()
                            + (e.getLocation() == null
                                    ? ""
                                    : " at line "
                                            + e.getLocation().getLineNr()
                                            + ", column "
                                            + e.getLocation().getColumnNr())
                            + ")",
                    expectedObject,
                    REEXPORT,
                    e);
        }
        if (root == null || root.isMissingNode()) {
            throw new SafetensorsFormatException(
                    file, "the header is empty", expectedObject, REEXPORT);
        }
        if (!root.isObject()) {
            throw new SafetensorsFormatException(
                    file, "the header is a JSON " + kind(root), expectedObject, REEXPORT);
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Map.Entry<String, SafetensorsHeader.TensorEntry>> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                parseMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(Map.entry(field.getKey(), parseEntry(file, field.getKey(), field.getValue())));
            }
        }

        entries.sort(
                Comparator.comparingLong(
                                (Map.Entry<String, SafetensorsHeader.TensorEntry> e) -> e.getValue().begin())
                        .thenComparingLong(e -> e.getValue().end())
                        .thenComparing(Map.Entry::getKey));
        checkInRange(file, entries, dataLength);
        checkContiguous(file, entries, dataLength);

        Map<String, SafetensorsHeader.TensorEntry> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, SafetensorsHeader.TensorEntry> e : entries) {
            tensors.put(e.getKey(), e.getValue());
        }
        return new SafetensorsHeader(tensors, metadata, dataStart);
    }

    private static void parseMetadata(Path file, JsonNode node, Map<String, String> into) {
        String expected = "\"" + METADATA_KEY + "\" to be a JSON object of string values";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(
                    file,
                    "\"" + METADATA_KEY + "\" is a JSON " + kind(node),
                    expected,
                    "write metadata as a map of strings");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw new SafetensorsFormatException(
                        file,
                        "metadata key '"
                                + field.getKey()
                                + "' has a JSON "
                                + kind(field.getValue())
                                + " value",
                        expected,
                        "write metadata values as strings");
            }
            into.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static SafetensorsHeader.TensorEntry parseEntry(Path file, String name, JsonNode node) {
        String tensor = "tensor '" + name + "'";
        String expectedEntry =
                "each tensor entry to be an object with \"dtype\", \"shape\" and \"data_offsets\"";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(
                    file, tensor + " is a JSON " + kind(node), expectedEntry, REEXPORT);
        }
        for (String field : List.of(DTYPE, SHAPE, DATA_OFFSETS)) {
            if (!node.has(field)) {
                throw new SafetensorsFormatException(
                        file, tensor + " has no \"" + field + "\"", expectedEntry, REEXPORT);
            }
        }

        JsonNode dtypeNode = node.get(DTYPE);
        String supported = "a dtype string, one of " + DType.supportedNames();
        if (!dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(
                    file, tensor + " has a JSON " + kind(dtypeNode) + " as dtype", supported, REEXPORT);
        }
        DType dtype =
                DType.forName(dtypeNode.textValue())
                        .orElseThrow(
                                () ->
                                        new SafetensorsFormatException(
                                                file,
                                                tensor
                                                        + " has dtype \""
                                                        + dtypeNode.textValue()
                                                        + "\", which Floe does not support",
                                                supported,
                                                "convert the tensor to a supported dtype before"
                                                        + " saving (for example F32)"));

        long[] shape = nonNegativeLongs(file, tensor, SHAPE, node.get(SHAPE), -1);
        long[] offsets = nonNegativeLongs(file, tensor, DATA_OFFSETS, node.get(DATA_OFFSETS), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsFormatException(
                    file,
                    tensor + " has data_offsets [" + begin + ", " + end + "] that end before they begin",
                    "data_offsets [begin, end] with begin <= end",
                    REEXPORT);
        }
        long elements;
        long expectedBytes;
        try {
            elements = Shapes.elementCount(shape, tensor);
            expectedBytes = Shapes.byteCount(elements, dtype);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new SafetensorsFormatException(
                    file,
                    tensor + " has shape " + Arrays.toString(shape) + " whose byte size overflows a long",
                    "a shape whose size in bytes fits in a long",
                    REEXPORT,
                    e);
        }
        if (end - begin != expectedBytes) {
            throw new SafetensorsFormatException(
                    file,
                    tensor
                            + " ("
                            + dtype
                            + ", shape "
                            + Arrays.toString(shape)
                            + ") has data_offsets ["
                            + begin
                            + ", "
                            + end
                            + "] spanning "
                            + (end - begin)
                            + " bytes",
                    elements + " elements x " + dtype.byteSize() + " bytes = " + expectedBytes + " bytes",
                    REEXPORT);
        }
        return new SafetensorsHeader.TensorEntry(dtype, shape, begin, end);
    }

    /** Reads a JSON array of non-negative integers; {@code length < 0} means any length. */
    private static long[] nonNegativeLongs(
            Path file, String tensor, String field, JsonNode node, int length) {
        String expected =
                "\""
                        + field
                        + "\" to be an array of "
                        + (length < 0 ? "" : length + " ")
                        + "non-negative integers";
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw new SafetensorsFormatException(
                    file, tensor + " has \"" + field + "\": " + node, expected, REEXPORT);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode item = node.get(i);
            if (!item.isIntegralNumber() || !item.canConvertToLong() || item.longValue() < 0) {
                throw new SafetensorsFormatException(
                        file, tensor + " has \"" + field + "\": " + node, expected, REEXPORT);
            }
            values[i] = item.longValue();
        }
        return values;
    }

    /** Every tensor must end inside the data section; the first that does not is named. */
    private static void checkInRange(
            Path file, List<Map.Entry<String, SafetensorsHeader.TensorEntry>> entries, long dataLength) {
        for (Map.Entry<String, SafetensorsHeader.TensorEntry> e : entries) {
            if (e.getValue().end() > dataLength) {
                throw new SafetensorsFormatException(
                        file,
                        "tensor '"
                                + e.getKey()
                                + "' ends at data offset "
                                + e.getValue().end()
                                + " but the data section has only "
                                + dataLength
                                + " bytes",
                        "every tensor to lie inside the data section",
                        TRUNCATED);
            }
        }
    }

    /** Tensors, sorted by offset, must tile the data section: no gap, no overlap, no tail. */
    private static void checkContiguous(
            Path file, List<Map.Entry<String, SafetensorsHeader.TensorEntry>> entries, long dataLength) {
        String expected = "tensors stored back to back from data offset 0 to the end of the file";
        long position = 0;
        String previous = null;
        for (Map.Entry<String, SafetensorsHeader.TensorEntry> e : entries) {
            SafetensorsHeader.TensorEntry entry = e.getValue();
            String current = "tensor '" + e.getKey() + "' [" + entry.begin() + ", " + entry.end() + "]";
            if (entry.begin() < position) {
                throw new SafetensorsFormatException(
                        file, current + " overlaps " + previous, expected, REEXPORT);
            }
            if (entry.begin() > position) {
                throw new SafetensorsFormatException(
                        file,
                        "there is a gap of "
                                + (entry.begin() - position)
                                + " unused bytes before "
                                + current
                                + (previous == null ? "" : ", after " + previous),
                        expected,
                        REEXPORT);
            }
            position = entry.end();
            previous = current;
        }
        if (position != dataLength) {
            throw new SafetensorsFormatException(
                    file,
                    "the data section has "
                            + (dataLength - position)
                            + " trailing bytes after "
                            + (previous == null ? "the header (there are no tensors)" : previous),
                    expected,
                    REEXPORT);
        }
    }

    private static void readFully(
            Path file, FileChannel channel, ByteBuffer into, long position, String what)
            throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new SafetensorsFormatException(
                        file,
                        "the file ended at byte " + at + " while reading " + what,
                        "the file to keep its size while it is read",
                        "do not modify the file while reading it; " + TRUNCATED);
            }
            at += n;
        }
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
