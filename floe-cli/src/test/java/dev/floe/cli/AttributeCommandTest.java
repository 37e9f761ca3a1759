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
    void comparePutsTwoRunsSaliencyOfTheSameImagesSideBySide(@TempDir Path dir) throws Exception {
        Path[] runs = new Path[2];
        for (int i = 0; i < 2; i++) {
            Path sub = Files.createDirectories(dir.resolve("c" + i));
            Path config = PlanCommandTest.exampleWith(sub, "epochs: 10", "epochs: 1");
            if (i == 1) {
                Files.writeString(config, Files.readString(config).replace("seed: 42", "seed: 7"));
            }
            runs[i] = dir.resolve("run" + i);
            PlanCommandTest.Result t = floe("train", config.toString(), "--out", runs[i].toString(), "--no-progress");
            assertEquals(0, t.code(), t.err());
        }
        Path single = dir.resolve("single");
        assertEquals(0, floe("attribute", runs[0].toString(), "--examples", "2", "--out", single.toString()).code());
        Path out = dir.resolve("both");
        PlanCommandTest.Result r = floe("attribute", runs[0].toString(), "--compare", runs[1].toString(), "--examples", "2",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage one = ImageIO.read(single.resolve(AttributeCommand.fileName(0)).toFile());
        BufferedImage both = ImageIO.read(out.resolve(AttributeCommand.fileName(0)).toFile());
        assertTrue(both.getWidth() > 2 * one.getWidth() && both.getHeight() > one.getHeight(),
                both.getWidth() + "x" + both.getHeight() + " vs " + one.getWidth() + "x" + one.getHeight());
        JsonNode summary = new ObjectMapper().readTree(out.resolve(AttributeCommand.SUMMARY).toFile());
        JsonNode alone = new ObjectMapper().readTree(single.resolve(AttributeCommand.SUMMARY).toFile());
        for (int i = 0; i < 2; i++) {
            JsonNode e = summary.get("examples").get(i);
            assertEquals(alone.get("examples").get(i).get("logit").asDouble(), e.get("a").get("logit").asDouble(), 1e-5,
                    "run A's numbers are the ones it gives alone");
            double corr = e.get("correlation").asDouble();
            assertTrue(corr > -1.0001 && corr < 1.0001 && e.get("mean_abs_difference").asDouble() > 0, e.toString());
        }
        String page = Files.readString(out.resolve(AttributeCommand.COMPARE_PAGE));
        assertTrue(page.contains("A: run0") && page.contains("B: run1") && page.contains("data:image/png;base64,"), page.substring(0, 300));
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
