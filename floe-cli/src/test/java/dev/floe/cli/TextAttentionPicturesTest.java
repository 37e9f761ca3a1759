package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.components.LinearHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.text.MiniLm;
import dev.floe.text.Tokenizer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class TextAttentionPicturesTest {

    @Test
    void oneHeatmapPerLayerAndARolloutSizedToTheTokens() throws Exception {
        try (ModelGraph g = ModelGraph.builder()
                        .input("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64))
                        .input("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64))
                        .add(TransformerEncoder.builder().name("encoder").vocab(MiniLm.CONFIG.vocab()).hidden(16).layers(2)
                                .heads(2).maxPositions(32).build())
                        .add(LinearHead.of("head", 16, 2))
                        .wire("input_ids", "encoder.input_ids")
                        .wire("attention_mask", "encoder.attention_mask")
                        .wire("encoder.pooled", "head.in")
                        .output("logits", "head.logits")
                        .build();
                Tokenizer tok = MiniLm.newTokenizer()) {
            String text = "the cat sat on the mat";
            Map<String, byte[]> files = TextAttentionPictures.draw(g, "encoder", tok, text);
            assertEquals(List.of("layer-0.png", "layer-1.png", TextAttentionPictures.ROLLOUT), List.copyOf(files.keySet()));
            int tokens = tok.tokens(text).size();
            for (byte[] png : files.values()) {
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
                assertEquals(true, image.getWidth() > tokens * Heatmaps.CELL && image.getHeight() > tokens * Heatmaps.CELL,
                        image.getWidth() + "x" + image.getHeight());
            }
            assertThrows(IllegalArgumentException.class, () -> TextAttentionPictures.draw(g, "head", tok, text));
            Map<String, byte[]> withHeads = TextAttentionPictures.draw(g, "encoder", tok, text, true);
            assertEquals(List.of("layer-0.png", "layer-0-head-0.png", "layer-0-head-1.png", "layer-1.png",
                    "layer-1-head-0.png", "layer-1-head-1.png", TextAttentionPictures.ROLLOUT), List.copyOf(withHeads.keySet()));
            for (byte[] png : withHeads.values()) {
                assertTrue(ImageIO.read(new ByteArrayInputStream(png)).getWidth() > tokens * Heatmaps.CELL);
            }
            Map<String, byte[]> all = ExplainTextCommand.explain(g, "encoder", tok, text);
            com.fasterxml.jackson.databind.JsonNode summary = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(all.get(ExplainTextCommand.SUMMARY));
            assertEquals(tokens, summary.get("tokens").size());
            assertEquals(2, summary.get("logits").size());
            com.fasterxml.jackson.databind.JsonNode ig = summary.get("token_attributions");
            assertEquals(tokens, ig.get("per_token").size());
            double sum = 0;
            for (com.fasterxml.jackson.databind.JsonNode v : ig.get("per_token")) {
                sum += v.asDouble();
            }
            double change = ig.get("logit").asDouble() - ig.get("baseline_logit").asDouble();
            assertEquals(change, sum, 0.02 * Math.abs(change) + 1e-4, "token attributions add up to the logit change");
            assertEquals(4, all.size());
        }
    }
}
