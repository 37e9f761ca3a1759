package dev.floe.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.MlpHead;
import dev.floe.config.Normalization;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.torchscript.TorchScriptComponent;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ONNX export: ONNX Runtime runs the exported model and gives the graph's own logits. */
class OnnxExportTest {

    private static final int H = 8;

    private static ModelGraph convGraph(Component head) {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, " + H + ", " + H + "]"))
                .add(ConvEncoder.builder().name("encoder").input(1, H, H).widths(4, 8, 8).build())
                .add(head)
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .seed(7)
                .build();
    }

    /** Gives batch norms non-trivial running statistics, so inference mode is actually checked. */
    private static void randomizeStatistics(ModelGraph g, Random r) {
        for (Param p : g.parameters().values()) {
            if (p.kind() == ParamKind.RUNNING_MEAN || p.kind() == ParamKind.RUNNING_VAR || p.kind() == ParamKind.BIAS
                    || p.kind() == ParamKind.NORM_SHIFT) {
                float[] v = new float[(int) p.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = p.kind() == ParamKind.RUNNING_VAR ? 0.5f + r.nextFloat() : (float) r.nextGaussian() * 0.3f;
                }
                p.load(v, p.shape().getShape());
            }
        }
    }

    private static float[] graphLogits(ModelGraph g, float[] x, long batch) {
        try (NDManager m = g.manager().newSubManager()) {
            NDArray in = m.create(x, new Shape(batch, 1, H, H));
            return g.forward(Map.of("image", in), ForwardContext.INFERENCE).get("logits").toFloatArray();
        }
    }

    private static float[] onnxLogits(byte[] model, float[] x, long batch) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
                OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 1, H, H});
                OrtSession.Result r = s.run(Map.of("image", in))) {
            assertEquals(List.of("logits"), List.copyOf(s.getOutputNames()));
            float[][] out = (float[][]) r.get(0).getValue();
            float[] flat = new float[out.length * out[0].length];
            for (int i = 0; i < out.length; i++) {
                System.arraycopy(out[i], 0, flat, i * out[0].length, out[0].length);
            }
            return flat;
        }
    }

    private static float[] randomImages(Random r, int batch) {
        float[] x = new float[batch * H * H];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void convEncoderAndLinearHeadGiveTheGraphsLogitsInOnnxRuntime() throws Exception {
        Random r = new Random(1);
        try (ModelGraph g = convGraph(LinearHead.of("head", 8, 3))) {
            randomizeStatistics(g, r);
            byte[] model = OnnxExport.toOnnx(g, null, "test");
            for (int batch : new int[] {1, 5}) { // the batch dimension stays dynamic
                float[] x = randomImages(r, batch);
                float[] expected = graphLogits(g, x, batch);
                double diff = maxAbsDiff(expected, onnxLogits(model, x, batch));
                System.out.printf("conv encoder + linear head, batch %d: ONNX Runtime vs Floe max abs diff %.2e%n", batch, diff);
                assertTrue(diff < 1e-4, "max abs diff " + diff);
            }
        }
    }

    @Test
    void anMlpHeadExportsToo() throws Exception {
        Random r = new Random(2);
        try (ModelGraph g = convGraph(MlpHead.of("head", 8, 6, 3, 0.5f))) {
            randomizeStatistics(g, r);
            float[] x = randomImages(r, 3);
            double diff = maxAbsDiff(graphLogits(g, x, 3), onnxLogits(OnnxExport.toOnnx(g, null, "test"), x, 3));
            assertTrue(diff < 1e-4, "max abs diff " + diff);
        }
    }

    @Test
    void theRunsNormalisationBecomesPartOfTheModel() throws Exception {
        Random r = new Random(3);
        float[] shift = new float[H * H];
        float[] scale = new float[H * H];
        for (int i = 0; i < shift.length; i++) {
            shift[i] = r.nextFloat();
            scale[i] = 0.5f + r.nextFloat();
        }
        Normalization n = new Normalization("standard", shift, scale);
        try (ModelGraph g = convGraph(LinearHead.of("head", 8, 3))) {
            randomizeStatistics(g, r);
            float[] raw = randomImages(r, 2);
            float[] normalized = raw.clone();
            for (int i = 0; i < raw.length; i++) {
                normalized[i] = (raw[i] - shift[i % shift.length]) / scale[i % shift.length];
            }
            double diff = maxAbsDiff(graphLogits(g, normalized, 2), onnxLogits(OnnxExport.toOnnx(g, n, "test"), raw, 2));
            assertTrue(diff < 1e-4, "max abs diff " + diff);
        }
    }

    /** A component type with no exporter. */
    private static final class Custom extends Component {
        Custom() {
            super("custom", Role.HEAD, List.of(PortSpec.of("in", "[batch, 8]")), List.of(PortSpec.of("logits", "[batch, 3]")));
        }

        @Override
        protected void initialize(dev.floe.nn.ParamScope scope) {}

        @Override
        public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> inputs) {
            return Map.of("logits", inputs.get("in").get(":, :3"));
        }
    }

    @Test
    void aComponentWithoutExporterIsNamedWithItsType() {
        try (ModelGraph g = ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, " + H + ", " + H + "]"))
                .add(ConvEncoder.builder().name("encoder").input(1, H, H).widths(8).build())
                .add(new Custom())
                .wire("image", "encoder.in")
                .wire("encoder.features", "custom.in")
                .output("logits", "custom.logits")
                .build()) {
            ExportException e = assertThrows(ExportException.class, () -> OnnxExport.toOnnx(g, null, "test"));
            assertTrue(e.getMessage().startsWith("component custom (Java type dev.floe.export.OnnxExportTest$Custom) cannot be"
                    + " exported to ONNX: Floe has no ONNX exporter for it; exportable types are conv_encoder,"),
                    e.getMessage());
        }
    }

    @Test
    void aComponentTypeExportsWithAnExporterOfItsOwn() throws Exception {
        Random r = new Random(6);
        try (ModelGraph g = ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, " + H + ", " + H + "]"))
                .add(ConvEncoder.builder().name("encoder").input(1, H, H).widths(8).build())
                .add(new Custom())
                .wire("image", "encoder.in")
                .wire("encoder.features", "custom.in")
                .output("logits", "custom.logits")
                .build()) {
            randomizeStatistics(g, r);
            ComponentExporter<Custom> firstThree = (c, in, b) -> Map.of("logits", b.node("Slice", "custom/first3",
                    List.of(in.get("in"), b.int64s("custom/starts", 0), b.int64s("custom/ends", 3), b.int64s("custom/axes", 1))));
            byte[] model = OnnxExport.toOnnx(g, null, "test", Map.of(Custom.class, firstThree));
            float[] x = randomImages(r, 2);
            double diff = maxAbsDiff(graphLogits(g, x, 2), onnxLogits(model, x, 2));
            assertTrue(diff < 1e-4, "max abs diff " + diff);
        }
    }

    @Test
    void aTorchScriptComponentIsRefusedWithItsNameAndType() throws Exception {
        Path file = Path.of(OnnxExportTest.class.getResource("/dev/floe/torchscript/mlp_scripted.pt").toURI());
        try (ModelGraph g = ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(TorchScriptComponent.builder().name("ts").role(Role.ENCODER).file(file).input("x", "[batch, 8]")
                        .output("y", "[batch, 3]").build())
                .wire("x", "ts.x")
                .output("logits", "ts.y")
                .build()) {
            ExportException e = assertThrows(ExportException.class, () -> OnnxExport.toOnnx(g, null, "test"));
            assertTrue(e.getMessage().startsWith("component ts (type torchscript) cannot be exported to ONNX: Floe cannot"
                    + " see the operations inside a TorchScript model; export that model to ONNX from PyTorch"), e.getMessage());
        }
    }
}
