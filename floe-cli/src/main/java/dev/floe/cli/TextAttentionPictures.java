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
 * its head-averaged attention ({@code layer-<i>.png}) and, when asked, each head's attention
 * ({@code layer-<i>-head-<h>.png}), and the attention rollout over all layers ({@code rollout.png}),
 * each with the text's word pieces on both axes. Everything comes from one
 * inference pass ({@link Attention#record(ModelGraph, Tokenizer.Encoded)}).
 */
final class TextAttentionPictures {

    static final String ROLLOUT = "rollout.png";

    private TextAttentionPictures() {}

    /** {@link #draw(ModelGraph, String, Tokenizer, String, boolean)} without the per-head pictures. */
    static Map<String, byte[]> draw(ModelGraph graph, String component, Tokenizer tokenizer, String text) {
        return draw(graph, component, tokenizer, text, false);
    }

    /**
     * @param component the encoder's component name, e.g. {@code encoder}
     * @param heads whether to draw every head of every layer too
     * @return PNG bytes by file name: each layer (its heads after it), then the rollout
     * @throws IllegalArgumentException when the component recorded no attention
     */
    static Map<String, byte[]> draw(ModelGraph graph, String component, Tokenizer tokenizer, String text, boolean heads) {
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
            files.put(String.format(Locale.ROOT, "layer-%d.png", i),
                    Heatmaps.png(Heatmaps.matrix(mean, tokens, layer + ": attention, mean over heads (row: query)")));
            if (heads) {
                dev.floe.explain.Observed p = recording.probabilities(layer); // (B, nh, T, T)
                int t = (int) p.shape()[2];
                for (int h = 0; h < p.shape()[1]; h++) {
                    float[][] a = new float[t][t];
                    for (int q = 0; q < t; q++) {
                        for (int k = 0; k < t; k++) {
                            a[q][k] = p.get(0, h, q, k);
                        }
                    }
                    files.put(String.format(Locale.ROOT, "layer-%d-head-%d.png", i, h), Heatmaps.png(Heatmaps.matrix(a,
                            tokens, String.format(Locale.ROOT, "%s: attention, head %d (row: query)", layer, h))));
                }
            }
            i++;
        }
        float[][] roll = Attention.rollout(recording, component, 0);
        files.put(ROLLOUT, Heatmaps.png(Heatmaps.matrix(roll, tokens, component + ": attention rollout (row: output token)")));
        return files;
    }
}
