package dev.floe.cli;

import dev.floe.explain.Attention;
import dev.floe.graph.ModelGraph;
import dev.floe.text.Tokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The pictures {@code floe explain-text} writes for one text: per transformer layer of an encoder,
 * its head-averaged attention ({@code layer-<i>.png}), and the attention rollout over all of them
 * ({@code rollout.png}), each with the text's word pieces on both axes. Everything comes from one
 * inference pass ({@link Attention#record(ModelGraph, Tokenizer.Encoded)}).
 */
final class TextAttentionPictures {

    static final String ROLLOUT = "rollout.png";

    private TextAttentionPictures() {}

    /**
     * @param component the encoder's component name, e.g. {@code encoder}
     * @return PNG bytes by file name, layers in order, then the rollout
     * @throws IllegalArgumentException when the component recorded no attention
     */
    static Map<String, byte[]> draw(ModelGraph graph, String component, Tokenizer tokenizer, String text) {
        Tokenizer.Encoded encoded = tokenizer.encode(List.of(text));
        List<String> tokens = tokenizer.tokens(text);
        Attention.Recording recording = Attention.record(graph, encoded);
        Map<String, byte[]> files = new LinkedHashMap<>();
        int i = 0;
        for (String layer : recording.layers()) {
            if (!layer.startsWith(component + "/")) {
                continue;
            }
            float[][] mean = Attention.meanOverHeads(recording, layer, 0);
            files.put(String.format(Locale.ROOT, "layer-%d.png", i++),
                    Heatmaps.png(Heatmaps.matrix(mean, tokens, layer + ": attention, mean over heads (row: query)")));
        }
        float[][] roll = Attention.rollout(recording, component, 0);
        files.put(ROLLOUT, Heatmaps.png(Heatmaps.matrix(roll, tokens, component + ": attention rollout (row: output token)")));
        return files;
    }
}
