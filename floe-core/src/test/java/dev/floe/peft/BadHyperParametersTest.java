package dev.floe.peft;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method's spec refuses an out-of-range hyper-parameter in one line naming the module, the
 * field (as the config spells it) and a usual value to use instead.
 */
class BadHyperParametersTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("lora rank 0", (Supplier<?>) () -> new LoraSpec("qv", 0, 4, 0, "encoder/**"),
                        new String[] {"lora 'qv'", "rank must be at least 1, found 0", "typical ranks are 4 to 16"}),
                Arguments.of("lora negative alpha", (Supplier<?>) () -> new LoraSpec("qv", 2, -1, 0, "encoder/**"),
                        new String[] {"lora 'qv'", "alpha must be a finite number > 0, found -1.0", "alpha = rank"}),
                Arguments.of("lora dropout 1", (Supplier<?>) () -> new LoraSpec("qv", 2, 2, 1, "encoder/**"),
                        new String[] {"lora 'qv'", "dropout must be in [0, 1), found 1.0", "0 turns it off"}),
                Arguments.of("dora rank 0", (Supplier<?>) () -> new DoraSpec("d", 0, 4, 0, "encoder/**"),
                        new String[] {"dora 'd'", "rank must be at least 1, found 0", "4 to 16"}),
                Arguments.of("dora negative alpha", (Supplier<?>) () -> new DoraSpec("d", 2, -2, 0, "encoder/**"),
                        new String[] {"dora 'd'", "alpha must be a finite number > 0, found -2.0", "alpha = rank"}),
                Arguments.of("adapter bottleneck 0", (Supplier<?>) () -> AdapterSpec.of("ffn", 0, "encoder/**"),
                        new String[] {"adapter 'ffn'", "bottleneck must be at least 1, found 0", "16 to 64"}),
                Arguments.of("prompt 0 tokens", (Supplier<?>) () -> new PromptSpec("soft", 0, "encoder"),
                        new String[] {"prompt 'soft'", "virtual_tokens must be at least 1, found 0", "8 to 32"}),
                Arguments.of("prefix 0 positions", (Supplier<?>) () -> new PrefixSpec("pfx", -3, "encoder"),
                        new String[] {"prefix 'pfx'", "virtual_tokens", "found -3", "10 to 30"}),
                Arguments.of("ia3 bad name", (Supplier<?>) () -> new Ia3Spec("a/b", "encoder/**", ""),
                        new String[] {"ia3 name 'a/b' is not allowed", "use letters, digits"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedNamingTheModuleTheFieldAndTheFix(String what, Supplier<?> make, String[] fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::get, what);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "missing '" + f + "' in: " + e.getMessage());
        }
        assertTrue(e.getMessage().lines().count() == 1, "one line: " + e.getMessage());
    }
}
