package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.run.RunDiff;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe demo} writes a manifest beside its results: settings, seed, data files, and every configuration's accuracy. */
class DemoManifestTest {

    @Test
    void theDemoFolderHoldsAManifestWithItsSettingsDataAndResults(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo");
        assertEquals(0, FloeMain.commandLine().execute("demo", "--quick", "--no-progress", "--out", out.toString()));
        RunManifest m = RunManifests.read(out);
        assertEquals("demo images", m.command());
        assertNull(m.recipe().config(), "not made from a config");
        assertEquals(m.recipe().settings().get("seed").asLong(), m.recipe().seed());
        assertEquals(4, m.recipe().files().size(), "the four Fashion-MNIST files");
        assertTrue(m.recipe().files().stream().allMatch(f -> f.sha256().length() == 64), m.recipe().files().toString());
        assertNotNull(m.outcome());
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        for (JsonNode r : results) {
            assertEquals(r.get("accuracy").asDouble(), m.outcome().metrics().get(r.get("name").asText() + ".accuracy"), 0.0);
        }
        assertTrue(RunDiff.of(m, m).sameRecipeAndResults());
    }
}
