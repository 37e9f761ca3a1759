package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe explain-text} on a text run trained through {@code floe train} from a config: a tiny
 * two-layer {@code transformer} encoder with LoRA on its attention, trained a few steps on a tiny JSONL.
 */
class ExplainTextRunTest {

    static final String CONFIG = "seed: 5\n" + TinyTextRun.dataAndModel(2) + """
            PEFT
            policy:
              - {train: "head/**"}
            optimizer: {type: adamw, lr: 0.05}
            training: {epochs: 2, batch_size: 4}
            """;
    static final String LORA = """
            peft:
              lora:
                - {name: qv, target: "encoder/**/attention/self/{query,value}", rank: 2, alpha: 4}
            """;

    /** Trains the tiny text run into {@code dir/name}; with {@code lora} the attention gets LoRA adapters. */
    static Path trainTextRun(Path dir, String name, boolean lora) throws Exception {
        String[] spam = {"cheap pills buy now", "win money fast", "free prize claim today", "click here to win"};
        String[] ham = {"meeting at noon", "review the report", "lunch on friday", "notes from the call"};
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            train.append("{\"text\": \"").append(spam[i]).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"").append(ham[i]).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train.toString());
        Files.writeString(dir.resolve("test.jsonl"), """
                {"text": "win cheap pills", "label": "spam"}
                {"text": "the report at noon", "label": "ham"}
                """);
        Path config = Files.writeString(dir.resolve(name + ".yaml"), CONFIG.replace("PEFT\n", lora ? LORA : ""));
        Path run = dir.resolve(name);
        Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    @TempDir
    Path dir;

    @Test
    void explainsATextRunTrainedFromAConfig() throws Exception {
        Path run = trainTextRun(dir, "lora", true);
        Path out = dir.resolve("explained");
        Result r = floe("explain-text", run.toString(), "win cheap pills now", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode summary = Json.mapper().readTree(out.resolve(ExplainTextCommand.SUMMARY).toFile());
        int tokens = summary.get("tokens").size();
        assertTrue(tokens >= 6, summary.get("tokens").toString()); // [CLS] win cheap pills now [SEP]
        assertEquals(3, summary.get("pictures").size(), summary.get("pictures").toString());
        for (JsonNode name : summary.get("pictures")) {
            BufferedImage image = ImageIO.read(out.resolve(name.asText()).toFile());
            assertNotNull(image, name.asText());
            assertTrue(image.getWidth() > tokens * Heatmaps.CELL, name + ": " + image.getWidth());
        }
        JsonNode attention = summary.get("attention");
        assertEquals(2, attention.size(), "one matrix per layer");
        for (JsonNode layer : attention) {
            assertEquals(tokens, layer.size());
            for (JsonNode row : layer) {
                double sum = 0;
                for (JsonNode v : row) {
                    sum += v.asDouble();
                }
                assertEquals(1.0, sum, 1e-4, "an attention row is a distribution over the tokens");
            }
        }
        JsonNode ig = summary.get("token_attributions");
        assertEquals(tokens, ig.get("per_token").size());
        double sum = 0;
        for (JsonNode v : ig.get("per_token")) {
            sum += v.asDouble();
        }
        double change = ig.get("logit").asDouble() - ig.get("baseline_logit").asDouble();
        assertEquals(change, sum, 0.01 * Math.abs(change) + 1e-4, "token attributions add up to the logit change");
    }

    @Test
    void comparesTwoRunsOnTheSameTextSideBySide() throws Exception {
        Path frozen = trainTextRun(dir, "frozen", false);
        Path lora = trainTextRun(dir, "lora", true);
        Path single = dir.resolve("single");
        assertEquals(0, floe("explain-text", frozen.toString(), "claim your prize", "--out", single.toString()).code());
        Path out = dir.resolve("compared");
        Result r = floe("explain-text", frozen.toString(), "--compare", lora.toString(), "claim your prize",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());

        BufferedImage one = ImageIO.read(single.resolve("layer-1.png").toFile());
        BufferedImage both = ImageIO.read(out.resolve("layer-1.png").toFile());
        assertTrue(both.getWidth() > 2 * one.getWidth(), "both runs' heatmaps in one picture: " + both.getWidth());
        JsonNode summary = Json.mapper().readTree(out.resolve(ExplainTextCommand.SUMMARY).toFile());
        assertEquals(frozen.toString(), summary.get("a").get("run").asText());
        assertEquals(summary.get("a").get("explanation").get("tokens"), summary.get("b").get("explanation").get("tokens"));
        JsonNode differences = summary.get("differences");
        assertEquals(3, differences.size(), "two layers and the rollout: " + differences);
        JsonNode a0 = summary.get("a").get("explanation").get("attention").get(0);
        JsonNode b0 = summary.get("b").get("explanation").get("attention").get(0);
        double sum = 0;
        for (int i = 0; i < a0.size(); i++) {
            for (int j = 0; j < a0.size(); j++) {
                sum += Math.abs(a0.get(i).get(j).asDouble() - b0.get(i).get(j).asDouble());
            }
        }
        assertEquals(sum / (a0.size() * a0.size()), differences.get(0).get("mean_abs_difference").asDouble(), 1e-9);
        assertTrue(differences.get(0).get("mean_abs_difference").asDouble() > 0, "LoRA on the attention changes it");
        String page = Files.readString(out.resolve(ExplainTextCommand.COMPARE_PAGE));
        assertTrue(page.contains("A: frozen") && page.contains("B: lora") && page.contains("data:image/png;base64,"),
                page.substring(0, Math.min(500, page.length())));
        assertEquals(2 * a0.size(), page.split("<span class=\"t\"", -1).length - 1, "both runs' tokens highlighted");

        Path self = dir.resolve("self");
        assertEquals(0, floe("explain-text", lora.toString(), "--compare", lora.toString(), "claim your prize",
                "--out", self.toString()).code());
        for (JsonNode d : Json.mapper().readTree(self.resolve(ExplainTextCommand.SUMMARY).toFile()).get("differences")) {
            assertEquals(0.0, d.get("max_abs_difference").asDouble(), 0.0, "a run against itself: " + d);
        }
    }

    @Test
    void attributeHighlightsTheTokensOfATextRunsEvaluationTexts() throws Exception {
        Path run = trainTextRun(dir, "lora", true);
        Path out = dir.resolve("tokens");
        Result r = floe("attribute", run.toString(), "--examples", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode summary = Json.mapper().readTree(out.resolve(AttributeCommand.SUMMARY).toFile());
        JsonNode examples = summary.get("examples");
        assertEquals(2, examples.size());
        assertEquals("spam", examples.get(0).get("label").asText(), "labels by name, as test.jsonl has them");
        assertEquals(java.util.List.of("[CLS]", "win", "cheap", "pills", "[SEP]"),
                Json.mapper().convertValue(examples.get(0).get("tokens"), java.util.List.class));
        String page = Files.readString(out.resolve(AttributeCommand.TOKENS_PAGE));
        for (JsonNode e : examples) {
            assertEquals(e.get("tokens").size(), e.get("per_token").size());
            double sum = 0;
            for (JsonNode v : e.get("per_token")) {
                sum += v.asDouble();
            }
            double change = e.get("logit").asDouble() - e.get("baseline_logit").asDouble();
            assertEquals(change, sum, 0.01 * Math.abs(change) + 1e-4, "attributions add up to the logit change: " + e);
            assertTrue(page.contains(">" + e.get("predicted").asText() + "<") || page.contains(">" + e.get("predicted").asText() + " ✗<"), page);
        }
        assertEquals(5 + examples.get(1).get("tokens").size(), page.split("<span class=\"t\"", -1).length - 1);
        assertTrue(page.contains(">pills</span>"), page);
    }
}
