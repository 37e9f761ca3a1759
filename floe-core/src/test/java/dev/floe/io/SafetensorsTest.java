package dev.floe.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsTest {

    @TempDir Path dir;

    // ------------------------------------------------------------------------------- round trips

    static Map<String, TensorData> sampleTensors() {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("layer.weight", TensorData.ofFloats(new long[] {3, 4}, TensorDataTest.AWKWARD_FLOATS));
        tensors.put("layer.bias", TensorData.ofFloats(new long[] {4}, new float[] {1f, -1f, 0.5f, 1e-40f}));
        tensors.put("scalar", TensorData.ofFloats(new long[] {}, new float[] {3.25f}));
        tensors.put("empty", TensorData.ofFloats(new long[] {0, 3}, new float[0]));
        tensors.put("ids", new TensorData(DType.I64, new long[] {3}, longs(-1L, 0L, Long.MAX_VALUE)));
        tensors.put("mask", new TensorData(DType.U8, new long[] {5}, ByteBuffer.wrap(new byte[] {0, 1, (byte) 255, 3, 4})));
        tensors.put("half", new TensorData(DType.F16, new long[] {2}, ByteBuffer.wrap(new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0})));
        tensors.put("f64", new TensorData(DType.F64, new long[] {1}, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0, Math.PI)));
        return tensors;
    }

    static ByteBuffer longs(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.flip();
    }

    @Test
    void roundTripKeepsEveryTensorBitExactAndTheMetadata() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Map<String, String> metadata = Map.of("format", "pt", "floe.version", "0.1.0", "note", "ünï ✓");
        Safetensors.write(file, sampleTensors(), metadata);

        SafetensorsFile read = Safetensors.read(file);

        assertEquals(sampleTensors(), read.tensors());
        assertEquals(metadata, read.metadata());
        assertEquals(
                List.of("empty", "f64", "half", "ids", "layer.bias", "layer.weight", "mask", "scalar"),
                List.copyOf(read.tensors().keySet()),
                "stored in sorted name order, read back in offset order");
        assertArrayEquals(
                TensorDataTest.bits(TensorDataTest.AWKWARD_FLOATS),
                TensorDataTest.bits(read.tensors().get("layer.weight").toFloats()),
                "NaN payloads, -0.0 and subnormals survive bit for bit");
        assertEquals(Float.floatToRawIntBits(1e-40f), Float.floatToRawIntBits(read.tensors().get("layer.bias").toFloats()[3]));
        assertArrayEquals(new long[] {3, 4}, read.tensors().get("layer.weight").shape());
        assertEquals(Math.PI, read.tensors().get("f64").data().getDouble(0));
    }

    @Test
    void noTensorsAndNoMetadataRoundTrip() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        Safetensors.write(file, Map.of(), Map.of());
        SafetensorsFile read = Safetensors.read(file);
        assertEquals(Map.of(), read.tensors());
        assertEquals(Map.of(), read.metadata());
        assertEquals(16, Files.size(file), "8-byte prefix + \"{}\" padded to 8");
    }

    @Test
    void rewritingReplacesTheFileAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, sampleTensors(), Map.of());
        Map<String, TensorData> smaller = Map.of("w", TensorData.ofFloats(new long[] {1}, new float[] {2f}));
        Safetensors.write(file, smaller, Map.of("step", "2"));
        assertEquals(smaller, Safetensors.read(file).tensors());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13})
    void headerIsPaddedWithSpacesToAMultipleOf8(int nameLength) throws IOException {
        Path file = dir.resolve("pad.safetensors");
        Safetensors.write(file, Map.of("w".repeat(nameLength), TensorData.ofFloats(new long[] {1}, new float[] {1f})), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header length " + headerLength);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        int close = header.lastIndexOf('}');
        assertTrue(header.substring(close + 1).chars().allMatch(c -> c == ' '), "[" + header + "]");
        assertTrue(header.length() - close - 1 < 8, "at most 7 padding spaces");
        assertEquals(8 + headerLength, Safetensors.readHeader(file).dataStart());
        assertEquals(8 + headerLength + 4, bytes.length);
    }

    // ------------------------------------------------------------------------------ golden bytes

    /** A tiny safetensors file, byte by byte, in exactly the form Floe's writer produces. */
    static byte[] goldenFile() {
        String json =
                "{\"__metadata__\":{\"format\":\"pt\"},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}"
                        + "     "; // 139 bytes of JSON + 5 spaces = 144
        byte[] prefix = {(byte) 0x90, 0, 0, 0, 0, 0, 0, 0}; // 144, little-endian u64
        byte[] data = {
            0x00, 0x00, (byte) 0x80, 0x3f, // a[0] =  1.0f  (0x3F800000)
            0x00, 0x00, 0x20, (byte) 0xc0, // a[1] = -2.5f  (0xC0200000)
            (byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, // b[0] = -2
        };
        byte[] header = json.getBytes(StandardCharsets.US_ASCII);
        assertEquals(144, header.length);
        return concat(prefix, header, data);
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteBuffer all = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            all.put(part);
        }
        return all.array();
    }

    @Test
    void goldenFileIsRead() throws IOException {
        Path file = Files.write(dir.resolve("golden.safetensors"), goldenFile());

        SafetensorsFile read = Safetensors.read(file);

        assertEquals(Map.of("format", "pt"), read.metadata());
        assertEquals(List.of("a", "b"), List.copyOf(read.tensors().keySet()));
        TensorData a = read.tensors().get("a");
        assertEquals(DType.F32, a.dtype());
        assertArrayEquals(new long[] {2}, a.shape());
        assertArrayEquals(new float[] {1f, -2.5f}, a.toFloats());
        TensorData b = read.tensors().get("b");
        assertEquals(DType.I32, b.dtype());
        assertArrayEquals(new long[] {1}, b.shape());
        assertEquals(-2, b.data().getInt(0));

        SafetensorsHeader header = Safetensors.readHeader(file);
        assertEquals(152, header.dataStart());
        assertEquals(new SafetensorsHeader.TensorEntry(DType.F32, new long[] {2}, 0, 8), header.tensors().get("a"));
        assertEquals(new SafetensorsHeader.TensorEntry(DType.I32, new long[] {1}, 8, 12), header.tensors().get("b"));
    }

    @Test
    void writerProducesTheGoldenBytes() throws IOException {
        Path file = dir.resolve("written.safetensors");
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("b", new TensorData(DType.I32, new long[] {1}, ByteBuffer.wrap(new byte[] {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff})));
        tensors.put("a", TensorData.ofFloats(new long[] {2}, new float[] {1f, -2.5f}));
        Safetensors.write(file, tensors, Map.of("format", "pt"));
        assertArrayEquals(goldenFile(), Files.readAllBytes(file));
    }

    @Test
    void readerAcceptsUnpaddedHeadersAnyEntryOrderAndUnknownFields() throws IOException {
        String json =
                "{\"second\":{\"data_offsets\":[4,8],\"shape\":[],\"dtype\":\"F32\",\"extra\":true},"
                        + "\"first\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[0,4]}}";
        Path file = raw("loose.safetensors", json, new byte[] {1, 2, 3, 4, 0, 0, (byte) 0x80, 0x3f});
        SafetensorsFile read = Safetensors.read(file);
        assertEquals(List.of("first", "second"), List.copyOf(read.tensors().keySet()));
        assertArrayEquals(new float[] {1f}, read.tensors().get("second").toFloats());
        assertEquals(Map.of(), read.metadata());
    }

    // ------------------------------------------------------------------------------------ errors

    /** Writes an 8-byte prefix holding the JSON's UTF-8 length, the JSON, then {@code data}. */
    Path raw(String name, String json, byte[] data) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return rawWithLength(name, header.length, header, data);
    }

    Path rawWithLength(String name, long headerLength, byte[] header, byte[] data) throws IOException {
        byte[] prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
        return Files.write(dir.resolve(name), concat(prefix, header, data));
    }

    /** Both readers fail; the message names the file, the fragments and an expectation. */
    static SafetensorsFormatException assertFormatError(Path file, String... fragments) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(file));
        String message = e.getMessage();
        assertTrue(message.contains(file.toAbsolutePath().toString()), "names the file: " + message);
        assertTrue(message.contains("; expected "), "says what was expected: " + message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "mentions <" + fragment + ">: " + message);
        }
        assertEquals(file.toAbsolutePath(), e.file());
        SafetensorsFormatException headerOnly =
                assertThrows(SafetensorsFormatException.class, () -> Safetensors.readHeader(file));
        assertEquals(message, headerOnly.getMessage(), "readHeader validates the same way");
        return e;
    }

    static final String ONE_F32 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    @Test
    void fileShorterThanThePrefix() throws IOException {
        Path file = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3, 4, 5});
        assertFormatError(file, "5 bytes", "shorter than the 8-byte header length prefix");
    }

    @Test
    void headerLongerThanTheFile() throws IOException {
        Path file = rawWithLength("short.safetensors", 100, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertFormatError(file, "says 100 header bytes", "only 2 bytes follow", "truncated");
    }

    @ParameterizedTest
    @ValueSource(longs = {100_000_001L, 1L << 40, -1L})
    void absurdHeaderLength(long headerLength) throws IOException {
        Path file = rawWithLength("absurd.safetensors", headerLength, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertFormatError(file, Long.toUnsignedString(headerLength) + " bytes", "over the limit of 100000000", "not a safetensors file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"w\": ", "not json at all", "{\"w\":{}} trailing", ""})
    void headerThatIsNotJson(String json) throws IOException {
        Path file = raw("bad-json.safetensors", json, new byte[0]);
        assertFormatError(file, "header is", "JSON object");
    }

    @Test
    void headerThatIsNotAnObject() throws IOException {
        assertFormatError(raw("array.safetensors", "[1, 2]", new byte[0]), "header is a JSON array");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        assertFormatError(rawWithLength("latin.safetensors", header.length, header, new byte[0]), "not valid UTF-8");
    }

    @Test
    void duplicateTensorName() throws IOException {
        String entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        assertFormatError(raw("dup.safetensors", "{\"w\":" + entry + ",\"w\":" + entry + "}", new byte[] {1}), "Duplicate field 'w'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtype", "shape", "data_offsets"})
    void tensorEntryMissingAField(String missing) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("dtype", "\"F32\"");
        fields.put("shape", "[1]");
        fields.put("data_offsets", "[0,4]");
        fields.remove(missing);
        StringBuilder entry = new StringBuilder("{");
        fields.forEach((k, v) -> entry.append(entry.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        entry.append('}');
        Path file = raw("missing.safetensors", "{\"enc.w\":" + entry + "}", new byte[4]);
        assertFormatError(file, "tensor 'enc.w' has no \"" + missing + "\"");
    }

    @Test
    void unknownDtypeListsTheSupportedOnes() throws IOException {
        Path file = raw("q4.safetensors", "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
        assertFormatError(file, "tensor 'w' has dtype \"Q4\"", "F32, F64, F16, BF16, I64, I32, U8");
    }

    @Test
    void malformedShapeOrOffsets() throws IOException {
        assertFormatError(
                raw("neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w' has \"shape\": [-1]", "non-negative integers");
        assertFormatError(
                raw("frac.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w' has \"shape\": [1.5]");
        assertFormatError(
                raw("three.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", new byte[4]),
                "tensor 'w' has \"data_offsets\": [0,4,8]", "array of 2 non-negative integers");
        assertFormatError(
                raw("reversed.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]),
                "tensor 'w' has data_offsets [4, 0] that end before they begin");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        assertFormatError(raw("meta.safetensors", "{\"__metadata__\":{\"step\":3}}", new byte[0]), "metadata key 'step' has a JSON number value", "write metadata values as strings");
        assertFormatError(raw("meta2.safetensors", "{\"__metadata__\":[]}", new byte[0]), "\"__metadata__\" is a JSON array");
    }

    @Test
    void byteLengthMustMatchShapeTimesDtype() throws IOException {
        Path file = raw("len.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        assertFormatError(file, "tensor 'w' (F32, shape [3]) has data_offsets [0, 8] spanning 8 bytes", "3 elements x 4 bytes = 12 bytes");
    }

    @Test
    void offsetsBeyondTheDataSection() throws IOException {
        Path file = raw("range.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        assertFormatError(file, "tensor 'w' ends at data offset 16", "has only 8 bytes", "truncated");
    }

    @Test
    void overlappingTensors() throws IOException {
        String json =
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertFormatError(raw("overlap.safetensors", json, new byte[12]), "tensor 'b' [4, 12] overlaps tensor 'a' [0, 8]");
    }

    @Test
    void gapsBetweenBeforeOrAfterTensors() throws IOException {
        String between =
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        assertFormatError(raw("gap.safetensors", between, new byte[20]), "gap of 4 unused bytes before tensor 'b' [12, 20], after tensor 'a' [0, 8]");
        String before = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertFormatError(raw("gap0.safetensors", before, new byte[8]), "gap of 4 unused bytes before tensor 'a' [4, 8]");
        assertFormatError(raw("tail.safetensors", ONE_F32, new byte[6]), "2 trailing bytes after tensor 'w' [0, 4]");
    }

    @Test
    void truncatedFileNamesTheTensorItsEndAndTheAvailableBytes() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("a.first", TensorData.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4}));
        tensors.put("z.last", TensorData.ofFloats(new long[] {2, 2}, new float[] {5, 6, 7, 8}));
        Safetensors.write(file, tensors, Map.of("format", "pt"));
        long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size - 3);
        }
        assertFormatError(file, "tensor 'z.last' ends at data offset 32", "data section has only 29 bytes", "truncated");

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(20);
        }
        assertFormatError(file, "only 12 bytes follow the prefix", "truncated");
    }

    @Test
    void writerRejectsReservedAndEmptyNames() {
        Path file = dir.resolve("names.safetensors");
        TensorData one = TensorData.ofFloats(new long[] {1}, new float[] {1f});
        IllegalArgumentException reserved =
                assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of("__metadata__", one), Map.of()));
        assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
        IllegalArgumentException empty =
                assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of("", one), Map.of()));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        assertTrue(Files.notExists(file));
    }

    @Test
    void missingFileIsAnIoError() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Safetensors.read(dir.resolve("nope.safetensors")));
    }
}
