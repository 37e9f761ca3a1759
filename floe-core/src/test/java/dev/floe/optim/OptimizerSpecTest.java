package dev.floe.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OptimizerSpecTest {

    @Test
    void factoriesUseTheUsualDefaults() {
        OptimizerSpec.AdamW adam = OptimizerSpec.adamW(3e-4);
        assertEquals(new OptimizerSpec.AdamW(3e-4, 0.9, 0.999, 1e-8, 0.01), adam);
        assertEquals("adamw", adam.name());
        OptimizerSpec.Sgd sgd = OptimizerSpec.sgd(0.1, 0.9);
        assertEquals(new OptimizerSpec.Sgd(0.1, 0.9, 0.0), sgd);
        assertEquals("sgd", sgd.name());
        assertEquals(0.1, sgd.lr());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("lr", "0.0", "> 0", () -> OptimizerSpec.adamW(0)),
                bad("lr", "NaN", "> 0", () -> OptimizerSpec.sgd(Double.NaN, 0)),
                bad("lr", "Infinity", "finite", () -> OptimizerSpec.adamW(Double.POSITIVE_INFINITY)),
                bad("beta1", "1.0", "[0, 1)", () -> new OptimizerSpec.AdamW(1e-3, 1.0, 0.999, 1e-8, 0)),
                bad("beta2", "-0.1", "[0, 1)", () -> new OptimizerSpec.AdamW(1e-3, 0.9, -0.1, 1e-8, 0)),
                bad("eps", "0.0", "> 0", () -> new OptimizerSpec.AdamW(1e-3, 0.9, 0.999, 0, 0)),
                bad("weightDecay", "-0.01", ">= 0", () -> new OptimizerSpec.AdamW(1e-3, 0.9, 0.999, 1e-8, -0.01)),
                bad("momentum", "1.5", "[0, 1)", () -> OptimizerSpec.sgd(0.1, 1.5)),
                bad("weightDecay", "NaN", ">= 0", () -> new OptimizerSpec.Sgd(0.1, 0, Double.NaN)));
    }

    private static Arguments bad(String field, String value, String range, Executable make) {
        return Arguments.of(field, value, range, make);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalid")
    void invalidHyperparametersAreRefusedWithFieldValueAndRange(
            String field, String value, String range, Executable make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make);
        String message = e.getMessage();
        assertTrue(message.contains(" " + field + " "), message);
        assertTrue(message.contains(value), message);
        assertTrue(message.contains(range), message);
    }
}
