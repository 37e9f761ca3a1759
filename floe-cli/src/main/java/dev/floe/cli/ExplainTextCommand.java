package dev.floe.cli;

import dev.floe.components.TransformerEncoder;
import dev.floe.explain.Attention;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.run.TrainedRun;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.text.MiniLm;
import dev.floe.text.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe explain-text RUN_DIR "text" --out DIR}: attention pictures of a finished text run for one
 * text: per layer of its transformer encoder the head-averaged attention, and the attention rollout,
 * with the word pieces on both axes, plus {@code explanation.json} (tokens, the graph's outputs and
 * their argmax, and per token the integrated-gradients attribution of the first output's predicted
 * class through the encoder's embeddings, from a padding-id baseline).
 */
@Command(
        name = "explain-text",
        mixinStandardHelpOptions = true,
        description = "Attention heatmaps (per layer, mean over heads) and attention rollout of a finished text run"
                + " for one text, as PNGs with the word pieces on both axes, plus explanation.json.")
final class ExplainTextCommand implements Callable<Integer> {

    static final String SUMMARY = "explanation.json";
    /** Integrated-gradients path points for the token attributions. */
    static final int IG_STEPS = 64;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run of a text model")
    Path run;

    @Parameters(index = "1", paramLabel = "TEXT", description = "the text to explain")
    String text;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "folder for the PNGs and explanation.json")
    Path out;

    @Option(names = "--force", description = "write into a folder that already holds files")
    boolean force;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "tokenizer.json to encode the text with (default: MiniLM's word pieces, bundled)")
    Path tokenizerFile;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        Map<String, byte[]> files;
        try (TrainedRun trained = TrainedRun.open(run)) {
            ModelGraph graph = trained.graph();
            TransformerEncoder encoder = encoder(graph);
            int max = (int) Math.min(Integer.MAX_VALUE, encoder.config().maxPositions());
            try (Tokenizer tokenizer = tokenizerFile != null ? Tokenizer.fromFile(tokenizerFile, max)
                    : Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, max)) {
                files = explain(graph, encoder.name(), tokenizer, text);
            }
        }
        Path dir = OutputDir.prepare(out, "explain-text", force);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            AtomicFiles.writeBytes(dir.resolve(f.getKey()), f.getValue());
        }
        stdout.printf(Locale.ROOT, "wrote %d file(s) to %s%n", files.size(), dir);
        stdout.flush();
        return 0;
    }

    /**
     * Every file the command writes for {@code text}, by name: the pictures of
     * {@link TextAttentionPictures#draw} and {@value #SUMMARY}.
     */
    static Map<String, byte[]> explain(ModelGraph graph, String component, Tokenizer tokenizer, String text)
            throws java.io.IOException {
        Map<String, byte[]> files = new LinkedHashMap<>(TextAttentionPictures.draw(graph, component, tokenizer, text));
        Attention.Recording r = Attention.record(graph, tokenizer.encode(List.of(text)));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("text", text);
        summary.put("tokens", tokenizer.tokens(text));
        List<float[][]> attention = attention(r, component);
        summary.put("layers", r.layers().stream().filter(l -> l.startsWith(component + "/")).toList());
        summary.put("attention", attention);
        summary.put("rollout", Attention.rollout(r, component, 0));
        r.outputs().forEach((name, o) -> {
            summary.put(name, o.values());
            int best = 0;
            for (int i = 1; i < o.values().length; i++) {
                best = o.values()[i] > o.values()[best] ? i : best;
            }
            summary.put(name + "_argmax", best);
        });
        // the first output's predicted class, attributed to the tokens through the embeddings
        String first = r.outputs().keySet().iterator().next();
        float[] logits = r.outputs().get(first).values();
        int predicted = 0;
        for (int i = 1; i < logits.length; i++) {
            predicted = logits[i] > logits[predicted] ? i : predicted;
        }
        Tokenizer.Encoded enc = tokenizer.encode(List.of(text));
        Map<String, long[][]> in = new LinkedHashMap<>();
        in.put("input_ids", new long[][] {enc.inputIds()});
        in.put("attention_mask", new long[][] {enc.attentionMask()});
        Map<String, long[][]> baseline = new LinkedHashMap<>(in);
        baseline.put("input_ids", new long[][] {new long[enc.length()]});
        dev.floe.explain.Attributions.SegmentAttribution ig = dev.floe.explain.Attributions.integratedGradientsAt(
                graph, component + "/embeddings", first, in, baseline, predicted, IG_STEPS);
        summary.put("token_attributions", Map.of("class", predicted, "method", "integrated gradients at "
                + component + "/embeddings from the padding-id baseline, " + IG_STEPS + " steps", "per_token",
                ig.perPosition(), "logit", ig.attribution().output(), "baseline_logit", ig.attribution().baselineOutput()));
        summary.put("pictures", List.copyOf(files.keySet()));
        files.put(SUMMARY, (Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return files;
    }

    /** Per layer of {@code component}, in order, its attention averaged over heads (rows: queries, each summing to 1). */
    static List<float[][]> attention(Attention.Recording r, String component) {
        return r.layers().stream().filter(l -> l.startsWith(component + "/"))
                .map(l -> Attention.meanOverHeads(r, l, 0)).toList();
    }

    private TransformerEncoder encoder(ModelGraph graph) {
        for (Component c : graph.components()) {
            if (c instanceof TransformerEncoder t) {
                return t;
            }
        }
        throw new IllegalArgumentException("run " + run + " has no transformer encoder (its components are "
                + graph.components().stream().map(Component::name).toList() + "); floe explain-text explains text runs,"
                + " floe attribute image runs");
    }
}
