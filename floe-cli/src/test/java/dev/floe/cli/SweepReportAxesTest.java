package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.sweep.SweepRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A sweep's report compares along its axes only when the variants form a grid. */
class SweepReportAxesTest {

    private static SweepRun run(String variant, Map<String, String> axes) {
        return new SweepRun(variant + "-s1", variant, axes, 1, Path.of("runs", variant + "-s1"), SweepRun.FINISHED, null, 0);
    }

    @Test
    void aFullGridIsAGrid() {
        assertTrue(SweepCommand.isGrid(List.of(
                run("a-x", Map.of("policy", "a", "lr", "x")), run("a-y", Map.of("policy", "a", "lr", "y")),
                run("b-x", Map.of("policy", "b", "lr", "x")), run("b-y", Map.of("policy", "b", "lr", "y")))));
    }

    @Test
    void anExplicitListSettingDifferentKeysOrMissingCombinationsIsNot() {
        // variants that set different keys (as an explicit list does)
        assertFalse(SweepCommand.isGrid(List.of(run("frozen", Map.of("peft", "null", "policy", "p")),
                run("lora", Map.of("peft.lora", "[...]")), run("base", Map.of()))));
        // the same keys, but not every combination
        assertFalse(SweepCommand.isGrid(List.of(run("a-x", Map.of("policy", "a", "lr", "x")),
                run("b-y", Map.of("policy", "b", "lr", "y")))));
    }
}
