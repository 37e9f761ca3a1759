package dev.floe.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Swapping a component of a built graph: a new checked graph, the heads' weights kept, ports checked. */
class ModelGraphWithReplacedTest {

    private static ModelGraph twoHeads(ConvEncoder encoder, long seed) {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 12, 12]"))
                .add(encoder)
                .add(LinearHead.of("digits", 8, 10))
                .add(LinearHead.of("parity", 8, 2))
                .wire("image", "encoder.in")
                .wire("encoder.features", "digits.in")
                .wire("encoder.features", "parity.in")
                .output("digit_logits", "digits.logits")
                .output("parity_logits", "parity.logits")
                .seed(seed)
                .build();
    }

    private static ConvEncoder encoder(long... widths) {
        return ConvEncoder.builder().name("encoder").input(1, 12, 12).widths(widths).build();
    }

    private static Map<String, float[]> values(ModelGraph g, String prefix) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Param p : g.parameters().values()) {
            if (p.path().startsWith(prefix)) {
                out.put(p.path(), p.toFloatArray());
            }
        }
        return out;
    }

    @Test
    void theHeadsKeepTheirWeightsAndTheEncoderComesWithItsOwn() {
        try (ModelGraph g = twoHeads(encoder(4, 8), 3);
                ModelGraph donor = twoHeads(encoder(4, 8), 99)) {
            Map<String, float[]> heads = values(g, "digits/");
            heads.putAll(values(g, "parity/"));
            Map<String, float[]> donorEncoder = values(donor, "encoder/");
            Component oldEncoder = g.component("encoder");
            try (ModelGraph swapped = g.withReplaced("encoder", donor.component("encoder"));
                    NDManager m = g.manager().newSubManager()) {
                assertSame(g.component("digits"), swapped.component("digits"));
                assertSame(donor.component("encoder"), swapped.component("encoder"));
                assertSame(oldEncoder, g.component("encoder"), "the original graph is unchanged");
                Map<String, float[]> after = values(swapped, "digits/");
                after.putAll(values(swapped, "parity/"));
                assertEquals(heads.keySet(), after.keySet());
                heads.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
                values(swapped, "encoder/").forEach((k, v) -> assertArrayEquals(donorEncoder.get(k), v, k));

                NDArray x = m.randomUniform(0, 1, new Shape(2, 1, 12, 12));
                Map<String, NDArray> viaSwap = swapped.forward(Map.of("image", x), ForwardContext.INFERENCE);
                NDArray donorFeatures = donor.forwardAll(Map.of("image", x), ForwardContext.INFERENCE,
                        List.of("encoder")).get("encoder.features");
                NDArray headOnDonor = g.forwardFrom(Map.of(), Map.of("encoder.features", donorFeatures),
                        ForwardContext.INFERENCE, List.of("digit_logits")).get("digit_logits");
                // the swapped graph computes the donor's features and this graph's head
                assertEquals(new Shape(2, 10), viaSwap.get("digit_logits").getShape());
                assertArrayEquals(headOnDonor.toFloatArray(), viaSwap.get("digit_logits").toFloatArray());
            }
            // closing the swapped graph freed nothing the original or the donor use
            try (NDManager m = g.manager().newSubManager()) {
                NDArray x = m.ones(new Shape(1, 1, 12, 12));
                assertEquals(new Shape(1, 2), g.forward(Map.of("image", x), ForwardContext.INFERENCE)
                        .get("parity_logits").getShape());
                assertEquals(new Shape(1, 2), donor.forward(Map.of("image", x), ForwardContext.INFERENCE)
                        .get("parity_logits").getShape());
            }
        }
    }

    @Test
    void aReplacementNeverBuiltIsInitialisedFromTheGraphsSeed() {
        try (ModelGraph g = twoHeads(encoder(4, 8), 3);
                ModelGraph fresh = twoHeads(encoder(4, 8), 3);
                ModelGraph swapped = g.withReplaced("encoder", encoder(4, 8))) {
            Map<String, float[]> expected = values(fresh, "encoder/");
            Map<String, float[]> found = values(swapped, "encoder/");
            assertEquals(expected.keySet(), found.keySet());
            expected.forEach((k, v) -> assertArrayEquals(v, found.get(k), k));
        }
    }

    @Test
    void aReplacementWithOtherPortsOrAnotherNameIsRefusedNamingWhatDiffers() {
        try (ModelGraph g = twoHeads(encoder(4, 8), 3)) {
            GraphException ports = assertThrows(GraphException.class, () -> g.withReplaced("encoder", encoder(4, 16)));
            assertEquals(GraphException.Kind.SHAPE_MISMATCH, ports.kind());
            assertEquals("output port features: expected [batch, 8], found [batch, 16]", ports.getMessage());

            GraphException input = assertThrows(GraphException.class, () -> g.withReplaced("encoder",
                    ConvEncoder.builder().name("encoder").input(3, 12, 12).widths(4, 8).build()));
            assertTrue(input.getMessage().startsWith("input port in: expected [batch, 1, 12, 12], found [batch, 3, 12, 12]"),
                    input.getMessage());

            GraphException named = assertThrows(GraphException.class, () -> g.withReplaced("encoder",
                    ConvEncoder.builder().name("backbone").input(1, 12, 12).widths(4, 8).build()));
            assertTrue(named.getMessage().contains("is named 'backbone'; name it encoder"), named.getMessage());

            GraphException missing = assertThrows(GraphException.class, () -> g.withReplaced("decoder", encoder(4, 8)));
            assertEquals(GraphException.Kind.UNKNOWN_COMPONENT, missing.kind());
        }
    }
}
