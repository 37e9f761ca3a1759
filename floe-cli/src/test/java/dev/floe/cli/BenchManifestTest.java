package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe bench} writes a manifest beside its results: its settings and every ratio it measured
 * (two quick benches here; the whole {@code --quick} run takes about two minutes).
 */
class BenchManifestTest {

    @Test
    void theBenchFolderHoldsAManifestWithItsSettingsAndRatios(@TempDir Path tmp) {
        Path out = tmp.resolve("bench");
        assertEquals(0, FloeMain.commandLine().execute("bench", "--quick", "--no-torch", "--only", "B4,B6", "--out",
                out.toString()));
        assertTrue(Files.isRegularFile(out.resolve("bench-results.json")));
        RunManifest m = RunManifests.read(out);
        assertEquals("bench", m.command());
        assertEquals("quick", m.recipe().settings().get("name").asText());
        assertNotNull(m.outcome());
        assertFalse(m.outcome().metrics().isEmpty(), "the ratios are recorded");
        assertTrue(m.outcome().metrics().keySet().stream().allMatch(k -> k.matches("B\\d+.*\\.ratio_to_(limit|peer)")),
                m.outcome().metrics().toString());
    }
}
