package dev.floe.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWeightsTest {

    private static ModelGraph graph(long seed, long headClasses) {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name("encoder").widths(4, 8).build())
                .add(LinearHead.of("head", 8, headClasses))
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    private static float[] outputs(ModelGraph g) {
        try (NDManager m = g.manager().newSubManager()) {
            NDArray x = m.create(new float[2 * 28 * 28], new Shape(2, 1, 28, 28)).add(0.5f);
            return g.forward(Map.of("image", x), ForwardContext.INFERENCE).get("logits").toFloatArray();
        }
    }

    @Test
    void saveThenLoadReproducesOutputsExactly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        float[] expected;
        try (ModelGraph a = graph(1, 3)) {
            expected = outputs(a);
            ModelWeights.save(a, file, Map.of("note", "test"));
        }
        try (ModelGraph b = graph(2, 3)) {
            float[] before = outputs(b);
            assertTrue(!java.util.Arrays.equals(before, expected), "different seeds must give different outputs");
            Map<String, String> meta = ModelWeights.load(b, file);
            assertArrayEquals(expected, outputs(b));
            assertEquals("test", meta.get("note"));
            assertEquals(ModelWeights.FORMAT, meta.get(ModelWeights.FORMAT_KEY));
        }
    }

    @Test
    void wrongShapeFailsNamingTheTensorAndLoadsNothing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (ModelGraph a = graph(1, 5)) {
            ModelWeights.save(a, file, Map.of());
        }
        try (ModelGraph b = graph(2, 3)) {
            float[] before = b.parameters().get("encoder/stem/conv/weight").toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelWeights.load(b, file));
            assertTrue(e.getMessage().contains(
                    "tensor head/fc/weight has shape [5, 8] in the file but the model expects [3, 8]"), e.getMessage());
            assertTrue(e.getMessage().contains("nothing was loaded"), e.getMessage());
            // the encoder tensors were fine, but a failed load must not half-load them
            assertArrayEquals(before, b.parameters().get("encoder/stem/conv/weight").toFloatArray());
        }
    }

    @Test
    void prefixSaveAndLoadMovesOneComponent(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("encoder.safetensors");
        try (ModelGraph a = graph(1, 5)) {
            // one training-mode pass moves the BatchNorm running statistics away from their init
            try (NDManager m = a.manager().newSubManager()) {
                a.forward(Map.of("image", m.randomUniform(0, 1, new Shape(4, 1, 28, 28))), path -> true);
            }
            ModelWeights.save(a, file, Map.of(), "encoder");
            try (ModelGraph b = graph(2, 3)) {
                assertTrue(!java.util.Arrays.equals(
                        a.parameters().get("encoder/block1/bn2/running_var").toFloatArray(),
                        b.parameters().get("encoder/block1/bn2/running_var").toFloatArray()));
                ModelWeights.load(b, file, "encoder");
                assertArrayEquals(
                        a.parameters().get("encoder/block1/bn2/running_var").toFloatArray(),
                        b.parameters().get("encoder/block1/bn2/running_var").toFloatArray());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelWeights.load(b, file));
                assertTrue(e.getMessage().contains("tensor head/fc/weight [3, 8] is missing"), e.getMessage());
            }
        }
    }
}
