package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.input;
import static dev.floe.peft.Fixtures.maxAbsDiff;
import static dev.floe.peft.Fixtures.outputs;
import static dev.floe.peft.Fixtures.randomize;
import static dev.floe.peft.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.AdapterSpec.Activation;
import dev.floe.train.Trainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AdaptersTest {

    private static final float[] X = input(8);

    @ParameterizedTest
    @EnumSource(Activation.class)
    void aFreshAdapterIsTheExactIdentityAndATrainedOneSwitchesOffExactly(Activation act) {
        try (ModelGraph g = graph(1)) {
            float[] base = outputs(g, X);
            List<String> layers = Adapters.inject(g, new AdapterSpec("ad", 4, "encoder/{fc1,fc2}", act));
            assertEquals(List.of("encoder/fc1", "encoder/fc2"), layers);
            assertArrayEquals(base, outputs(g, X), "up starts at zero: bit-identical outputs");

            Param down = g.parameters().get("encoder/fc1/adapter/ad/down/weight");
            assertEquals(ParamKind.ADAPTER, down.kind());
            assertEquals("ad", down.adapter());
            assertArrayEquals(new long[] {4, 16}, down.shape().getShape());
            assertArrayEquals(new long[] {16, 4}, g.parameters().get("encoder/fc1/adapter/ad/up/weight").shape().getShape());
            assertArrayEquals(new long[] {4}, g.parameters().get("encoder/fc2/adapter/ad/down/bias").shape().getShape());
            assertArrayEquals(new long[] {16}, g.parameters().get("encoder/fc2/adapter/ad/up/bias").shape().getShape());

            randomize(g, "ad", 3, 0.5, "/up/weight", "/down/bias");
            float[] adapted = outputs(g, X);
            assertTrue(maxAbsDiff(base, adapted) > 1e-2);
            Adapters.deactivate(g, "ad");
            assertArrayEquals(base, outputs(g, X));
            Adapters.activate(g, "ad");
            assertArrayEquals(adapted, outputs(g, X));
        }
    }

    @Test
    void adapterTrainingLeavesTheBaseBitIdentical() {
        try (ModelGraph g = graph(2)) {
            Adapters.inject(g, new AdapterSpec("task", 4, "encoder/{fc1,fc2}", Activation.GELU));
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").train("encoder/**/adapter/**").build().resolve(g);
            Map<String, float[]> before = snapshot(g);
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).output("logits")
                    .batchSize(16).epochs(1).seed(4).build()) {
                assertEquals(30, t.fit(Fixtures.blobs(480, 2), null).steps());
            }
            for (Param p : g.parameters().values()) {
                boolean same = Arrays.equals(before.get(p.path()), p.toFloatArray());
                if (p.path().startsWith("encoder/") && p.adapter() == null) {
                    assertTrue(same, p.path() + " is frozen and must be bit-identical");
                } else {
                    assertFalse(same, p.path() + " trains and must change");
                }
            }
        }
    }

    @Test
    void loraAndAdapterCoexistAndSwitchIndependently() {
        try (ModelGraph g = graph(3)) {
            float[] base = outputs(g, X);
            Lora.inject(g, LoraSpec.of("l", 2, "encoder/fc2"));
            Adapters.inject(g, AdapterSpec.of("ad", 4, "encoder/fc2"));
            randomize(g, "l", 1, 0.3, "/B");
            randomize(g, "ad", 2, 0.3, "/up/weight");
            Adapters.deactivate(g, "ad");
            float[] loraOnly = outputs(g, X);
            Lora.deactivate(g, "l");
            assertArrayEquals(base, outputs(g, X));
            Adapters.activate(g, "ad");
            assertTrue(maxAbsDiff(base, outputs(g, X)) > 1e-3);
            Adapters.deactivate(g, "ad");
            Lora.activate(g, "l");
            assertArrayEquals(loraOnly, outputs(g, X));
            assertEquals(List.of("l"), List.copyOf(Lora.attached(g).keySet()));
            assertEquals(List.of("ad"), List.copyOf(Adapters.attached(g).keySet()));
            IllegalArgumentException wrongKind = assertThrows(IllegalArgumentException.class, () -> Lora.merge(g, "ad"));
            assertTrue(wrongKind.getMessage().contains("is an adapter"), wrongKind.getMessage());
        }
    }

    @Test
    void badAdapterInputsChangeNothing() {
        try (ModelGraph g = graph(4)) {
            int params = g.parameters().size();
            IllegalArgumentException none = assertThrows(
                    IllegalArgumentException.class,
                    () -> Adapters.inject(g, AdapterSpec.of("a", 4, "encoder/**/attention/output/dense")));
            assertTrue(none.getMessage().contains("matches no Linear"), none.getMessage());
            IllegalArgumentException wide =
                    assertThrows(IllegalArgumentException.class, () -> Adapters.inject(g, AdapterSpec.of("a", 9, "encoder/**")));
            assertTrue(wide.getMessage().contains("encoder/out (out 8)"), wide.getMessage());
            assertEquals(params, g.parameters().size());
            assertTrue(g.activeAdapters().isEmpty());
            assertThrows(IllegalArgumentException.class, () -> AdapterSpec.of("a", 0, "encoder/**"));
            assertThrows(IllegalArgumentException.class, () -> new AdapterSpec("a", 4, "encoder/**", null));
            assertThrows(IllegalArgumentException.class, () -> Activation.parse("tanh"));
            assertThrows(IllegalArgumentException.class, () -> Adapters.activate(g, "nope"));
        }
    }
}
