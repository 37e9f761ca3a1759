package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import dev.floe.report.Png;
import dev.floe.train.LrFinder;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe lr-find} on the Fashion-MNIST example: a curve, a suggestion with its rule, and a guarded folder. */
class LrFindCommandTest {

    @TempDir
    Path dir;

    @Test
    void itSweepsTheExamplesPolicyAndWritesTheCurveAndASuggestion() throws Exception {
        Path out = dir.resolve("lr");
        Result r = floe("lr-find", PlanCommandTest.EXAMPLE.toString(), "--out", out.toString(), "--steps", "40",
                "--start-lr", "1e-5", "--end-lr", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("suggested optimizer.lr: "), r.out());
        JsonNode json = Json.mapper().readTree(out.resolve(LrFindCommand.JSON_FILE).toFile());
        double suggested = json.get("suggested_lr").asDouble();
        assertTrue(suggested >= 1e-5 && suggested <= 1, "within the sweep: " + suggested);
        assertTrue(json.get("rule").asText().equals(LrFinder.RULE) || json.get("rule").asText().equals(LrFinder.FALLBACK_RULE));
        assertEquals(0.005, json.get("config_lr").asDouble());
        // the example's policy: encoder/block2 at lr_scale 0.1 and the head at 1; the rest of the encoder frozen
        java.util.Map<Double, Integer> tensorsByScale = new java.util.TreeMap<>();
        json.get("groups").forEach(g -> tensorsByScale.merge(g.get("lr_scale").asDouble(), g.get("tensors").asInt(), Integer::sum));
        assertEquals(java.util.Map.of(0.1, 9, 1.0, 2), tensorsByScale, "block2's 9 tensors at 0.1, the head's 2 at 1");
        JsonNode points = json.get("points");
        assertTrue(points.size() > 5 && points.size() <= 40, "steps: " + points.size());
        assertEquals(1e-5, points.get(0).get("lr").asDouble(), 1e-15);
        // the model is left as it was: the weights hash after the sweep is the hash before, which is the hash of
        // the model the config builds
        String before = json.get("weights_before").asText();
        assertEquals(before, json.get("weights_after").asText());
        assertTrue(json.get("optimizer_state_restored").asBoolean());
        try (dev.floe.run.Experiment fresh = PlanCommand.build(dev.floe.config.ExperimentConfig.load(PlanCommandTest.EXAMPLE),
                PlanCommandTest.EXAMPLE)) {
            assertEquals(dev.floe.io.Fingerprint.weights(fresh.graph().parameters().values()), before);
        }
        assertTrue(r.out().contains("(weights " + before + " before and after)"), r.out());
        BufferedImage png = Png.decode(Files.readAllBytes(out.resolve(LrFindCommand.PNG_FILE)));
        assertTrue(png.getWidth() > 300 && png.getHeight() > 200);

        Result again = floe("lr-find", PlanCommandTest.EXAMPLE.toString(), "--out", out.toString(), "--steps", "10");
        assertEquals(2, again.code());
        assertTrue(again.err().startsWith("floe: output folder " + out + " already holds a run"), again.err());
    }

    @Test
    void onATextLoraConfigOnlyTheLoraFactorsAndTheHeadAreSwept() throws Exception {
        Files.writeString(dir.resolve("train.jsonl"), String.join("\n",
                "{\"text\": \"cheap pills buy now\", \"label\": \"spam\"}", "{\"text\": \"meeting at noon\", \"label\": \"ham\"}",
                "{\"text\": \"win money fast\", \"label\": \"spam\"}", "{\"text\": \"lunch on friday\", \"label\": \"ham\"}") + "\n");
        Files.writeString(dir.resolve("test.jsonl"), "{\"text\": \"win cheap pills\", \"label\": \"spam\"}\n");
        Path config = Files.writeString(dir.resolve("lora.yaml"), PredictTextLoraTest.CONFIG.replace("MERGE", "false")
                .replace("- {train: \"head/**\"}", "- {train: \"head/**\", lr_scale: 10}"));
        Path out = dir.resolve("text");
        Result r = floe("lr-find", config.toString(), "--out", out.toString(), "--steps", "12");
        assertEquals(0, r.code(), r.err());
        java.util.Map<Double, Integer> tensorsByScale = new java.util.TreeMap<>();
        Json.mapper().readTree(out.resolve(LrFindCommand.JSON_FILE).toFile()).get("groups")
                .forEach(g -> tensorsByScale.merge(g.get("lr_scale").asDouble(), g.get("tensors").asInt(), Integer::sum));
        assertEquals(java.util.Map.of(1.0, 4, 10.0, 2), tensorsByScale,
                "A and B on query and value at the base rate, the head's weight and bias at 10x; the encoder is frozen");
    }

    @Test
    void badSettingsAreOneLineAndWriteNothing() {
        Path out = dir.resolve("never");
        Result r = floe("lr-find", PlanCommandTest.EXAMPLE.toString(), "--out", out.toString(), "--start-lr", "1",
                "--end-lr", "0.1");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: --start-lr 1.0 --end-lr 0.1"), r.err());
        assertEquals(1, r.err().strip().lines().count());
        assertFalse(Files.exists(out));
    }
}
