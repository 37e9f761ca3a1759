package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.graph.ModelGraph;
import dev.floe.graph.Role;
import dev.floe.io.Hashing;
import dev.floe.nn.Param;
import dev.floe.torchscript.TorchScriptComponent;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions imported from ONNX initializers and TorchScript parameters: names mapped, fit checked before storing. */
class ImportFormatsTest {

    /** An MLP 4 → 3 → 2: parameters mlp/fc1/weight [3, 4], mlp/fc1/bias [3], mlp/out/weight [2, 3], mlp/out/bias [2]. */
    private static final String MLP = "{name: mlp, type: mlp, inputs: 4, hidden: [3], outputs: 2}";

    @TempDir
    Path tmp;

    private static float[] ramp(int n, float start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + 0.25f * i;
        }
        return v;
    }

    /** The MLP's tensors as PyTorch names them, plus an int64 shape constant such as exporters add. */
    private static byte[] pytorchStyleOnnx(long[] fc1Shape) {
        return new Onnx()
                .floats("layers.0.weight", fc1Shape, ramp((int) (fc1Shape[0] * fc1Shape[1]), 1f))
                .floats("layers.0.bias", new long[] {3}, ramp(3, -1f))
                .floats("layers.1.weight", new long[] {2, 3}, ramp(6, 0.5f))
                .floats("layers.1.bias", new long[] {2}, ramp(2, 7f))
                .longs("onnx::Reshape_shape", new long[] {2}, new long[] {-1, 3})
                .bytes();
    }

    private static Map<String, float[]> weights(LoadedComponent c) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Param p : c.component().parameters().values()) {
            out.put(p.path(), p.toFloatArray());
        }
        return out;
    }

    @Test
    void onnxInitializersAreImportedWithDotsAsSlashesAndRenamedLeadingParts() throws Exception {
        Path file = Files.write(tmp.resolve("mlp.onnx"), pytorchStyleOnnx(new long[] {3, 4}));
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            Map<String, String> renames = new LinkedHashMap<>();
            renames.put("layers.0.", "fc1.");
            renames.put("layers.1.", "out/");
            ComponentVersion v = registry.importWeights(file, TestRuns.yaml(MLP), null, renames, "mlp-onnx", null, null);
            assertEquals("mlp-onnx@1", v.ref().toString());
            assertEquals(Hashing.sha256Hex(file), v.ledger().origin().fileSha256());
            assertEquals(Map.of("mlp/fc1/weight", List.of(3L, 4L), "mlp/fc1/bias", List.of(3L),
                    "mlp/out/weight", List.of(2L, 3L), "mlp/out/bias", List.of(2L)), v.params());
            try (LoadedComponent c = registry.load("mlp-onnx@1")) {
                Map<String, float[]> w = weights(c);
                assertArrayEquals(ramp(12, 1f), w.get("mlp/fc1/weight"));
                assertArrayEquals(ramp(3, -1f), w.get("mlp/fc1/bias"));
                assertArrayEquals(ramp(6, 0.5f), w.get("mlp/out/weight"));
                assertArrayEquals(ramp(2, 7f), w.get("mlp/out/bias"));
            }
        }
    }

    @Test
    void tensorsThatDoNotFitAreListedWithExpectedAndFoundShapesAndNothingIsStored() throws Exception {
        Path file = Files.write(tmp.resolve("wide.onnx"), pytorchStyleOnnx(new long[] {3, 5}));
        RegistryLocation location = TestStores.fresh(TestStores.SQLITE, tmp);
        try (Registry registry = Registry.open(location)) {
            // without renames no name matches: every parameter and every tensor is listed, with its shape
            IllegalArgumentException unmapped = assertThrows(IllegalArgumentException.class,
                    () -> registry.importWeights(file, TestRuns.yaml(MLP), null, Map.of(), "m", null, null));
            String m = unmapped.getMessage();
            assertTrue(m.startsWith("cannot import " + file + " as mlp (mlp): "), m);
            assertTrue(m.contains("4 parameter(s) without a tensor (expected mlp/fc1/bias [3], mlp/fc1/weight [3, 4],"), m);
            assertTrue(m.contains("4 tensor(s) matching no parameter (found mlp/layers/0/bias [3], mlp/layers/0/weight"
                    + " [3, 5]"), m);
            assertTrue(m.contains("(1 non-float initializer(s) ignored)") && m.contains("--rename"), m);

            // renamed, one tensor has the name but not the shape
            Map<String, String> renames = Map.of("layers.0.", "fc1/", "layers.1.", "out/");
            IllegalArgumentException misshapen = assertThrows(IllegalArgumentException.class,
                    () -> registry.importWeights(file, TestRuns.yaml(MLP), null, renames, "m", null, null));
            assertTrue(misshapen.getMessage().contains("1 of another shape (mlp/fc1/weight: expected [3, 4], found [3, 5])"),
                    misshapen.getMessage());
            assertEquals(List.of(), registry.list());
        }
        try (Stream<Path> files = Files.walk(location.blobs())) {
            assertEquals(List.of(), files.filter(Files::isRegularFile).toList(), "no blob was written for a misfit");
        } catch (java.nio.file.NoSuchFileException none) {
            // no blob folder at all: nothing was written either
        }
    }

    @Test
    void torchScriptParametersAreImportedAndEqualTheModulesOwnTensors() throws Exception {
        Path file = tmp.resolve("mlp_scripted.pt");
        try (InputStream in = ImportFormatsTest.class.getResourceAsStream("mlp_scripted.pt")) {
            Files.copy(in, file);
        }
        // torch: encoder = Sequential(Linear(8, 16), ReLU, Linear(16, 16), ReLU), head = Linear(16, 3)
        String mlp = "{name: mlp, type: mlp, inputs: 8, hidden: [16, 16], outputs: 3}";
        Map<String, String> renames = new LinkedHashMap<>();
        renames.put("encoder.0.", "fc1/");
        renames.put("encoder.2.", "fc2/");
        renames.put("head.", "out/");
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp));
                ModelGraph module = ModelGraph.builder()
                        .input("x", dev.floe.graph.TensorSpec.of("[batch, 8]"))
                        .add(TorchScriptComponent.builder().name("ts").role(Role.ENCODER).file(file)
                                .input("x", "[batch, 8]").output("y", "[batch, 3]").build())
                        .wire("x", "ts.x").output("y", "ts.y").build()) {
            ComponentVersion v = registry.importWeights(file, TestRuns.yaml(mlp), null, renames, "mlp-pt", null, null);
            assertEquals(Ledger.IMPORT, v.ledger().origin().kind());
            try (LoadedComponent c = registry.load(v.ref().toString())) {
                Map<String, float[]> w = weights(c);
                Map<String, Param> torch = module.parameters();
                assertArrayEquals(torch.get("ts/encoder.0.weight").toFloatArray(), w.get("mlp/fc1/weight"));
                assertArrayEquals(torch.get("ts/encoder.2.bias").toFloatArray(), w.get("mlp/fc2/bias"));
                assertArrayEquals(torch.get("ts/head.weight").toFloatArray(), w.get("mlp/out/weight"));
            }
            // a component it was not written for is refused, naming the parameters
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.importWeights(file,
                    TestRuns.yaml("{name: mlp, type: mlp, inputs: 8, hidden: [16], outputs: 3}"), null, renames, "x",
                    null, null));
            assertTrue(e.getMessage().contains("found mlp/fc2/bias [16]"), e.getMessage());
        }
    }

    @Test
    void aFileOfAnotherFormatIsRefusedBeforeTheRegistryIsTouched() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Registry.checkImportable(tmp.resolve("weights.h5")));
        assertTrue(e.getMessage().contains("give a .safetensors, .onnx or .pt (TorchScript) file"), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Registry.checkImportable(tmp.resolve("absent.onnx")));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
    }

    /** A minimal ONNX ModelProto writer: a graph holding only initializers (protobuf wire format). */
    private static final class Onnx {
        private final ByteArrayOutputStream graph = new ByteArrayOutputStream();

        Onnx floats(String name, long[] dims, float[] values) {
            ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(values);
            return initializer(name, dims, 1, raw.array());
        }

        Onnx longs(String name, long[] dims, long[] values) {
            ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            raw.asLongBuffer().put(values);
            return initializer(name, dims, 7, raw.array());
        }

        private Onnx initializer(String name, long[] dims, int type, byte[] raw) {
            ByteArrayOutputStream t = new ByteArrayOutputStream();
            for (long d : dims) {
                varint(t, 1 << 3); // TensorProto.dims, varint
                varint(t, d);
            }
            varint(t, 2 << 3); // data_type
            varint(t, type);
            field(t, 8, name.getBytes(StandardCharsets.UTF_8)); // name
            field(t, 9, raw); // raw_data
            field(graph, 5, t.toByteArray()); // GraphProto.initializer
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream m = new ByteArrayOutputStream();
            varint(m, 1 << 3); // ir_version
            varint(m, 8);
            field(m, 7, graph.toByteArray()); // ModelProto.graph
            return m.toByteArray();
        }

        private static void field(ByteArrayOutputStream out, int number, byte[] body) {
            varint(out, ((long) number << 3) | 2);
            varint(out, body.length);
            out.write(body, 0, body.length);
        }

        private static void varint(ByteArrayOutputStream out, long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
