package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.YAML;
import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.error;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.run.Experiment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointingConfigTest {

    @TempDir
    Path base;

    private static String with(String checkpointing) {
        return YAML.replace("optimizer:", "checkpointing: " + checkpointing + "\noptimizer:");
    }

    @Test
    void checkpointingIsOptionalAndReadAsAListOfGlobs() {
        assertEquals(List.of(), parse(YAML).checkpointing());
        assertEquals(List.of("encoder/block*", "head"), parse(with("[\"encoder/block*\", head]")).checkpointing());
    }

    @Test
    void aGlobThatMatchesNoSegmentNamesTheNearestSegmentsAtItsKey() throws Exception {
        ExperimentConfig c = parse(with("[head, \"encoder/blocks*\"]"));
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.build(c, base).close());
        assertEquals("checkpointing[1]", e.where());
        assertMentions(e, "'encoder/blocks*' matches no segment", "encoder/block1", "fix the glob");
        try (Experiment ok = Experiment.build(parse(with("[\"encoder/*\"]")), base)) {
            assertEquals(List.of("encoder/*"), ok.config().checkpointing());
        }
    }

    @Test
    void aGlobThatCannotBeAPathIsRefusedAtItsKey() {
        ConfigException e = error("optimizer:", "checkpointing: [\"encoder/{a\"]\noptimizer:");
        assertEquals("checkpointing[0]", e.where());
        assertMentions(e, "unclosed '{'");
    }
}
