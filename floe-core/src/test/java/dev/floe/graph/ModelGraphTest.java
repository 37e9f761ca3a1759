package dev.floe.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.components.MlpHead;
import dev.floe.nn.ForwardContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelGraphTest {

    private static Mlp mlp(String name, long in, long out) {
        return Mlp.builder().name(name).inputs(in).hidden(8).outputs(out).build();
    }

    private static GraphException buildFails(ModelGraph.Builder b) {
        return assertThrows(GraphException.class, b::build);
    }

    @Test
    void shapeMismatchNamesBothPortsAndTheFix() {
        GraphException e = buildFails(ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("encoder", 4, 64))
                .add(LinearHead.of("head", 128, 3))
                .wire("x", "encoder.in")
                .wire("encoder.out", "head.in")
                .output("logits", "head.logits"));
        assertEquals(GraphException.Kind.SHAPE_MISMATCH, e.kind());
        assertEquals(
                "port encoder.out is [batch, 64] but head.in expects [batch, 128] (dimension 1 is 64 where 128 is"
                        + " expected); set head.in to [batch, 64] or add an adapter between them",
                e.getMessage());
    }

    @Test
    void dtypeMismatchNamesTypes() {
        GraphException e = buildFails(ModelGraph.builder()
                .input("tokens", TensorSpec.of("[batch, 4]", ElementType.INT64))
                .add(mlp("encoder", 4, 8))
                .wire("tokens", "encoder.in")
                .output("y", "encoder.out"));
        assertEquals(GraphException.Kind.DTYPE_MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("port tokens is [batch, 4] int64 but encoder.in expects [batch, 4]"), e.getMessage());
        assertTrue(e.getMessage().contains("dtype int64 where float32 is expected"), e.getMessage());
    }

    @Test
    void unknownComponentListsTheKnownOnes() {
        GraphException e = buildFails(ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("encoder", 4, 8))
                .add(LinearHead.of("head", 8, 3))
                .wire("x", "encoder.in")
                .wire("encoder.out", "hed.in")
                .output("logits", "head.logits"));
        assertEquals(GraphException.Kind.UNKNOWN_COMPONENT, e.kind());
        assertEquals("wire encoder.out -> hed.in: no component named 'hed'; components are [encoder, head]", e.getMessage());
    }

    @Test
    void unknownPortListsTheComponentsPorts() {
        GraphException e = buildFails(ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("encoder", 4, 8))
                .add(LinearHead.of("head", 8, 3))
                .wire("x", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits"));
        assertEquals(GraphException.Kind.UNKNOWN_PORT, e.kind());
        assertEquals(
                "wire encoder.features -> head.in: component encoder has no output port 'features'; its outputs are [out]",
                e.getMessage());
    }

    @Test
    void cycleIsNamedInDataFlowOrder() {
        GraphException e = buildFails(ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(mlp("a", 8, 8))
                .add(mlp("b", 8, 8))
                .wire("b.out", "a.in")
                .wire("a.out", "b.in")
                .output("y", "b.out"));
        assertEquals(GraphException.Kind.CYCLE, e.kind());
        assertTrue(e.getMessage().startsWith("the graph has a cycle: "), e.getMessage());
        assertTrue(e.getMessage().contains("a -> b -> a") || e.getMessage().contains("b -> a -> b"), e.getMessage());
    }

    @Test
    void unconnectedRequiredInputIsNamed() {
        GraphException e = buildFails(ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("encoder", 4, 8))
                .add(LinearHead.of("head", 8, 3))
                .wire("x", "encoder.in")
                .output("logits", "head.logits"));
        assertEquals(GraphException.Kind.UNCONNECTED_INPUT, e.kind());
        assertEquals(
                "input head.in [batch, 8] is required but nothing is wired to it; wire a graph input or a component"
                        + " output to it",
                e.getMessage());
    }

    @Test
    void inputWiredTwiceAndDuplicateNamesAndMissingOutputFail() {
        assertEquals(GraphException.Kind.INPUT_WIRED_TWICE, buildFails(ModelGraph.builder()
                        .input("x", TensorSpec.of("[batch, 4]"))
                        .add(mlp("e", 4, 4))
                        .wire("x", "e.in")
                        .wire("x", "e.in")
                        .output("y", "e.out"))
                .kind());
        assertEquals(GraphException.Kind.DUPLICATE_NAME, buildFails(ModelGraph.builder()
                        .input("x", TensorSpec.of("[batch, 4]"))
                        .add(mlp("e", 4, 4))
                        .add(mlp("e", 4, 4))
                        .wire("x", "e.in")
                        .output("y", "e.out"))
                .kind());
        GraphException none = buildFails(ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("e", 4, 4))
                .wire("x", "e.in"));
        assertEquals(GraphException.Kind.NO_OUTPUT, none.kind());
    }

    @Test
    void oneEncoderFeedsTwoHeadsAndForwardReturnsNamedOutputs() {
        try (ModelGraph g = ModelGraph.builder()
                        .input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                        .add(ConvEncoder.builder().name("encoder").widths(8, 16).build())
                        .add(LinearHead.of("digits", 16, 10))
                        .add(MlpHead.of("parity", 16, 12, 2, 0.5f))
                        .wire("image", "encoder.in")
                        .wire("encoder.features", "digits.in")
                        .wire("encoder.features", "parity.in")
                        .output("digit_logits", "digits.logits")
                        .output("parity_logits", "parity.logits")
                        .seed(7)
                        .build();
                NDManager m = g.manager().newSubManager()) {
            NDArray x = m.randomUniform(0, 1, new Shape(3, 1, 28, 28));
            Map<String, NDArray> out = g.forward(Map.of("image", x), ForwardContext.INFERENCE);
            assertEquals(List.of("digit_logits", "parity_logits"), List.copyOf(out.keySet()));
            assertEquals(new Shape(3, 10), out.get("digit_logits").getShape());
            assertEquals(new Shape(3, 2), out.get("parity_logits").getShape());
            assertTrue(g.parameters().containsKey("encoder/block1/conv1/weight"));
            assertTrue(g.parameters().containsKey("parity/fc2/bias"));
        }
    }

    @Test
    void badInputArrayIsNamedAtForward() {
        try (ModelGraph g = ModelGraph.builder()
                        .input("x", TensorSpec.of("[batch, 4]"))
                        .add(mlp("e", 4, 2))
                        .wire("x", "e.in")
                        .output("y", "e.out")
                        .build();
                NDManager m = g.manager().newSubManager()) {
            GraphException e = assertThrows(GraphException.class,
                    () -> g.forward(Map.of("x", m.zeros(new Shape(2, 5))), ForwardContext.INFERENCE));
            assertEquals("graph input 'x': shape (2, 5) where [batch, 4] is expected; reshape the batch to [batch, 4] or declare the input differently", e.getMessage());
        }
    }

    @Test
    void initialValuesDependOnNamesNotOnInsertionOrder() {
        float[] first;
        float[] second;
        try (ModelGraph g = ModelGraph.builder().input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("a", 4, 4)).add(mlp("b", 4, 4))
                .wire("x", "a.in").wire("a.out", "b.in").output("y", "b.out").seed(3).build()) {
            first = g.parameters().get("b/fc1/weight").toFloatArray();
        }
        try (ModelGraph g = ModelGraph.builder().input("x", TensorSpec.of("[batch, 4]"))
                .add(mlp("z", 4, 4)).add(mlp("b", 4, 4)).add(mlp("a", 4, 4))
                .wire("x", "z.in").wire("z.out", "a.in").wire("a.out", "b.in").output("y", "b.out").seed(3).build()) {
            second = g.parameters().get("b/fc1/weight").toFloatArray();
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(first, second);
    }
}
