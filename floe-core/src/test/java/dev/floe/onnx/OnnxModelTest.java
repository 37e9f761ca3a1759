package dev.floe.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OnnxModelTest {

    private static byte[] miniLm;

    @BeforeAll
    static void readResource() throws Exception {
        try (InputStream in = OnnxModelTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            miniLm = in.readAllBytes();
        }
    }

    @Test
    void readsTheMiniLmGraph() {
        OnnxModel m = OnnxModel.read(miniLm, "minilm.onnx");
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), m.inputs());
        assertEquals(List.of("last_hidden_state"), m.outputs());
        assertEquals(102, m.initializers().size());
        assertEquals(48, m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());
        OnnxTensor words = m.initializer("embeddings.word_embeddings.weight");
        assertArrayEquals(new long[] {30522, 384}, words.dims());
        assertEquals(OnnxDataType.FLOAT, words.dataType());
        assertEquals(30522 * 384, words.toFloats().length);
        OnnxTensor positions = m.initializer("embeddings.position_ids");
        assertEquals(OnnxDataType.INT64, positions.dataType());
        assertEquals(511L, positions.toLongs()[511]);
        // the first query matrix feeds a MatMul whose output an Add with the query bias reads
        OnnxNode matMul = m.consumers("onnx::MatMul_787").get(0);
        assertEquals("MatMul", matMul.opType());
        OnnxNode add = m.consumers(matMul.outputs().get(0)).get(0);
        assertEquals("Add", add.opType());
        assertTrue(add.inputs().contains("encoder.layer.0.attention.self.query.bias"));
    }

    /** Truncation anywhere (inside the header, inside a tensor's bytes, one byte short) is caught. */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 30, 4_000, 45_000_000, -1})
    void aTruncatedFileFailsNamingTheFileAndOffset(int length) {
        int n = length < 0 ? miniLm.length + length : length;
        byte[] cut = Arrays.copyOf(miniLm, n);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(cut, "cut.onnx"));
        assertEquals("cut.onnx", e.source());
        assertTrue(e.getMessage().startsWith("ONNX file cut.onnx: at byte " + e.offset() + ": "), e.getMessage());
        assertTrue(e.offset() >= 0 && e.offset() <= n, e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aTruncatedFileOnDiskIsNamedByItsPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.onnx");
        Files.write(file, Arrays.copyOf(miniLm, 1_000_000));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        // the graph field starts near the top and declares ~90 MB that are not there
        assertTrue(e.getMessage().contains("ModelProto.graph") && e.getMessage().contains("declares"), e.getMessage());
    }

    @Test
    void corruptBytesFailWithTheirOffset() {
        byte[] bad = miniLm.clone();
        // find the tag of the first initializer's name field and overwrite it with an invalid wire type
        int at = indexOf(bad, "embeddings.position_ids".getBytes()) - 2;
        bad[at] = (byte) ((8 << 3) | 7);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(bad, "bad.onnx"));
        assertEquals(at, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains("wire type 7"), e.getMessage());
    }

    @Test
    void notAnOnnxFileFails() {
        byte[] text = "hello, this is not a model\n".getBytes();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(text, "notes.txt"));
        assertTrue(e.getMessage().startsWith("ONNX file notes.txt: at byte "), e.getMessage());
        assertThrows(OnnxFormatException.class, () -> OnnxModel.read(new byte[0], "empty.onnx"));
    }

    @Test
    void readsFloatDataAsWellAsRawData() {
        byte[] bytes = new OnnxFiles()
                .floats("a", new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .floatData("b", new long[] {3}, new float[] {5, 6, 7})
                .node("MatMul", List.of("x", "a"), List.of("y"))
                .io(true, "x")
                .io(false, "y")
                .toBytes();
        OnnxModel m = OnnxModel.read(bytes, "small.onnx");
        assertArrayEquals(new float[] {1, 2, 3, 4}, m.initializer("a").toFloats());
        assertArrayEquals(new float[] {5, 6, 7}, m.initializer("b").toFloats());
        assertEquals(List.of(new OnnxNode("MatMul_y", "MatMul", List.of("x", "a"), List.of("y"))), m.nodes());
        assertEquals("floe-test", m.producer());
        assertEquals(8, m.irVersion());
    }

    @Test
    void rawDataOfTheWrongSizeNamesTheTensor() {
        byte[] bytes = new OnnxFiles().raw("w", new long[] {2, 3}, 1, new byte[20]).toBytes();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(bytes, "w.onnx"));
        assertTrue(e.getMessage().contains("tensor 'w' [2, 3] FLOAT needs 24 bytes of raw_data but has 20"),
                e.getMessage());
    }

    @Test
    void duplicateInitializersAndUnknownTypesAreRejected() {
        byte[] twice = new OnnxFiles()
                .floats("w", new long[] {1}, new float[] {1})
                .floats("w", new long[] {1}, new float[] {2})
                .toBytes();
        assertTrue(assertThrows(OnnxFormatException.class, () -> OnnxModel.read(twice, "t.onnx"))
                .getMessage().contains("'w' appears twice"));
        byte[] unknown = new OnnxFiles().raw("w", new long[] {1}, 99, new byte[4]).toBytes();
        assertTrue(assertThrows(OnnxFormatException.class, () -> OnnxModel.read(unknown, "u.onnx"))
                .getMessage().contains("data_type 99"));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
