package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.exampleWith;
import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe attribute} on a run that {@code floe train} just made from the bundled example. */
class AttributeCommandTest {

    @Test
    void drawsOneSaliencyPicturePerExampleWhoseAttributionsAddUpToTheLogitChange(@TempDir Path dir) throws Exception {
        Path config = exampleWith(dir, "epochs: 10", "epochs: 1");
        Path run = dir.resolve("run");
        PlanCommandTest.Result trained = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, trained.code(), trained.err());

        Path out = dir.resolve("saliency");
        PlanCommandTest.Result r = floe("attribute", run.toString(), "--examples", "3", "--steps", "128", "--out", out.toString());

        assertEquals(0, r.code(), r.err());
        for (int i = 0; i < 3; i++) {
            BufferedImage png = ImageIO.read(out.resolve(AttributeCommand.fileName(i)).toFile());
            assertEquals(28 * Heatmaps.SCALE, png.getHeight());
            assertTrue(png.getWidth() > 2 * 28 * Heatmaps.SCALE, "the image and its overlay side by side");
        }
        JsonNode summary = new ObjectMapper().readTree(out.resolve(AttributeCommand.SUMMARY).toFile());
        assertEquals(3, summary.get("examples").size());
        for (JsonNode e : summary.get("examples")) {
            double change = e.get("logit").asDouble() - e.get("baseline_logit").asDouble();
            assertEquals(change, e.get("attribution_sum").asDouble(), 0.02 * Math.abs(change) + 1e-4, e.toString());
        }

        PlanCommandTest.Result again = floe("attribute", run.toString(), "--examples", "1", "--out", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().startsWith("floe: output folder " + out + " already holds a run"), again.err());

        Path text = dir.resolve("text");
        PlanCommandTest.Result notText = floe("explain-text", run.toString(), "a sentence", "--out", text.toString());
        assertEquals(2, notText.code());
        assertTrue(notText.err().startsWith("floe: run " + run + " has no transformer encoder"), notText.err());
        assertFalse(Files.exists(text));
    }

    @Test
    void aFolderWithoutARunIsRefusedWithoutWritingAnything(@TempDir Path dir) {
        Path out = dir.resolve("never");
        PlanCommandTest.Result r = floe("attribute", dir.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: " + dir + " has no manifest.json"), r.err());
        assertFalse(Files.exists(out));
    }
}
