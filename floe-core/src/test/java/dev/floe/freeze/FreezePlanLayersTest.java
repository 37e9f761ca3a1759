package dev.floe.freeze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.floe.components.ConvEncoder;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Linear;
import dev.floe.nn.ParamScope;
import dev.floe.optim.OptimizerSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-layer plan table: one row per declared layer, or per component without a layer order. */
class FreezePlanLayersTest {

    /** A head that declares no layer order. */
    static final class Plain extends Component {
        private Linear fc;

        Plain() {
            super("plain", Role.HEAD, List.of(PortSpec.of("in", "[batch, 8]")), List.of(PortSpec.of("logits", "[batch, 3]")));
        }

        @Override
        protected void initialize(ParamScope scope) {
            fc = new Linear(scope.child("fc"), 8, 3);
        }

        @Override
        public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
            return Map.of("logits", fc.forward(context, in.get("in")));
        }
    }

    static Map<String, String> rows(String table) {
        Map<String, String> rows = new java.util.LinkedHashMap<>();
        table.lines().skip(1).filter(l -> !l.startsWith("trainable ")).forEach(l -> rows.put(l.split("\\s+")[0], l));
        return rows;
    }

    @Test
    void rowsFollowLayerOrdersAndSayStateLrBytesCacheAndRule() {
        try (ModelGraph g = ModelGraph.builder().input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name("encoder").widths(4, 8).build()).add(new Plain())
                .wire("image", "encoder.in").wire("encoder.features", "plain.in").output("logits", "plain.logits")
                .build()) {
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").train("encoder/block1/conv1/**", 0.1)
                    .build().resolve(g);
            OptimizerSpec adam = OptimizerSpec.adamW(0.01);
            String table = plan.explainLayers(adam, Set.of("encoder"));
            Map<String, String> rows = rows(table);

            assertEquals(List.of("encoder/stem", "encoder/block1", "plain"), List.copyOf(rows.keySet()), table);
            String stem = rows.get("encoder/stem");
            // conv 4·1·3·3 + bn scale, shift, mean, var 4 each = 52 params, 208 B; nothing trains
            assertTrue(stem.matches("encoder/stem\\s+52\\s+frozen\\s+-\\s+208\\s+0\\s+yes\\s+#1 freeze encoder/\\*\\*"), stem);
            String block1 = rows.get("encoder/block1");
            assertTrue(block1.contains(" frozen+train ") || block1.contains(" train+frozen "), block1);
            assertTrue(block1.contains(" 0.001 "), block1); // 0.01 × 0.1
            assertTrue(block1.contains("(+1 more)"), block1);
            // conv1: 8·4·3·3 = 288 trainable parameters, AdamW 8 B each
            assertTrue(block1.contains(" 2,304 "), block1);
            String plain = rows.get("plain");
            assertTrue(plain.matches("plain\\s+27\\s+train\\s+0\\.01\\s+108\\s+216\\s+no\\s+\\(default: train\\)"), plain);
        }
    }

    @Test
    void activationColumnsShowLayersOwnBytesAndTheRestOfTheirComponent() {
        try (ModelGraph g = ModelGraph.builder().input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name("encoder").widths(4, 8).build()).add(new Plain())
                .wire("image", "encoder.in").wire("encoder.features", "plain.in").output("logits", "plain.logits")
                .build()) {
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").build().resolve(g);
            Map<String, LayerActivation> act = Map.of(
                    "encoder", new LayerActivation(false, 10_000, 4_000),
                    "encoder/stem", new LayerActivation(false, 3_000, 3_000),
                    "encoder/block1", new LayerActivation(true, 6_000, 500),
                    "plain", new LayerActivation(false, 40, 40));
            String table = plan.explainLayers(OptimizerSpec.adamW(0.01), Set.of(), act);
            Map<String, String> rows = rows(table);

            assertTrue(table.lines().findFirst().orElseThrow().matches(".*cached\\s+checkpointed\\s+act_B\\s+act_kept_B\\s+rule"), table);
            assertTrue(rows.get("encoder/stem").matches(".*\\s+no\\s+no\\s+3,000\\s+3,000\\s+#1.*"), rows.get("encoder/stem"));
            assertTrue(rows.get("encoder/block1").matches(".*\\s+no\\s+yes\\s+6,000\\s+500\\s+#1.*"), rows.get("encoder/block1"));
            // plain declares no layers: its row is the whole component
            assertTrue(rows.get("plain").matches(".*\\s+no\\s+no\\s+40\\s+40\\s+\\(default.*"), rows.get("plain"));
            assertEquals(plan.explainLayers(OptimizerSpec.adamW(0.01), Set.of()),
                    plan.explainLayers(OptimizerSpec.adamW(0.01), Set.of(), Map.of()), "no activations, no columns");
        }
    }
}
