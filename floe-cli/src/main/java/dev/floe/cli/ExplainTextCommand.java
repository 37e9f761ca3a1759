package dev.floe.cli;

import dev.floe.components.TransformerEncoder;
import dev.floe.explain.Attention;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.run.TrainedRun;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.report.Png;
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
 *
 * <p>With {@code --compare RUN_B} both runs explain the same text: each picture holds run A's on the
 * left and run B's on the right, {@code explanation.json} holds both runs' explanations ({@code a},
 * {@code b}) and per layer the mean and largest |attention_A − attention_B| ({@code differences}),
 * and {@code compare.html} shows the pictures and both runs' token attributions side by side.
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

    @picocli.CommandLine.Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run of a text model")
    Path run;

    @Parameters(index = "1", paramLabel = "TEXT", description = "the text to explain")
    String text;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "folder for the PNGs and explanation.json")
    Path out;

    @Option(names = "--compare", paramLabel = "RUN_B",
            description = "a second finished text run to explain the same text with, side by side")
    Path compare;

    @Option(names = "--force", description = "write into a folder that already holds files")
    boolean force;

    @Option(names = "--heads", description = "also draw every head of every layer (layer-<i>-head-<h>.png)")
    boolean heads;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "tokenizer.json to encode the text with (default: MiniLM's word pieces, bundled)")
    Path tokenizerFile;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        Map<String, byte[]> files = explainRun(run);
        if (compare != null) {
            files = compare(files, explainRun(compare));
        }
        Path dir = OutputDir.prepare(out, "explain-text", force);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            AtomicFiles.writeBytes(dir.resolve(f.getKey()), f.getValue());
        }
        stdout.printf(Locale.ROOT, "wrote %d file(s) to %s%n", files.size(), dir);
        stdout.flush();
        return 0;
    }

    /** {@link #explain} for the run in {@code dir}. */
    private Map<String, byte[]> explainRun(Path dir) throws java.io.IOException {
        try (TrainedRun trained = registryOptions.open(dir)) {
            ModelGraph graph = trained.graph();
            TransformerEncoder encoder = encoder(dir, graph);
            int max = (int) Math.min(Integer.MAX_VALUE, encoder.config().maxPositions());
            try (Tokenizer tokenizer = tokenizerFile != null ? Tokenizer.fromFile(tokenizerFile, max)
                    : Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, max)) {
                return explain(graph, encoder.name(), tokenizer, text, heads);
            }
        }
    }

    static final String COMPARE_PAGE = "compare.html";

    /**
     * The files of {@code --compare}: each picture of run A beside the same-named picture of run B
     * (pictures only one run has are kept as they are, named {@code a-} or {@code b-}),
     * {@value #SUMMARY} with both explanations and the per-layer attention differences, and
     * {@value #COMPARE_PAGE}.
     */
    private Map<String, byte[]> compare(Map<String, byte[]> a, Map<String, byte[]> b) throws java.io.IOException {
        String labelA = "A: " + run.getFileName();
        String labelB = "B: " + compare.getFileName();
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> f : a.entrySet()) {
            if (f.getKey().equals(SUMMARY)) {
                continue;
            }
            byte[] other = b.get(f.getKey());
            if (other == null) {
                files.put("a-" + f.getKey(), f.getValue());
            } else {
                files.put(f.getKey(), Heatmaps.png(TokenHighlights.sideBySide(read(f.getValue()), labelA, read(other), labelB)));
            }
        }
        b.forEach((name, png) -> {
            if (!name.equals(SUMMARY) && !a.containsKey(name)) {
                files.put("b-" + name, png);
            }
        });
        com.fasterxml.jackson.databind.JsonNode sa = Json.mapper().readTree(a.get(SUMMARY));
        com.fasterxml.jackson.databind.JsonNode sb = Json.mapper().readTree(b.get(SUMMARY));
        List<Map<String, Object>> differences = new java.util.ArrayList<>();
        int layers = Math.min(sa.get("attention").size(), sb.get("attention").size());
        for (int l = 0; l < layers; l++) {
            differences.add(difference("layer " + l, sa.get("attention").get(l), sb.get("attention").get(l)));
        }
        differences.add(difference("rollout", sa.get("rollout"), sb.get("rollout")));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("text", text);
        summary.put("a", Map.of("run", run.toString(), "explanation", sa));
        summary.put("b", Map.of("run", compare.toString(), "explanation", sb));
        summary.put("differences", differences);
        summary.put("pictures", List.copyOf(files.keySet()));
        files.put(COMPARE_PAGE, comparePage(labelA, sa, labelB, sb, differences, files)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        files.put(SUMMARY, (Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return files;
    }

    /** Mean and largest |a − b| over the cells of two same-sized attention matrices. */
    static Map<String, Object> difference(String what, com.fasterxml.jackson.databind.JsonNode a,
            com.fasterxml.jackson.databind.JsonNode b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(what + ": run A's attention covers " + a.size() + " tokens, run B's "
                    + b.size() + "; compare runs whose encoders take the same tokens (same --tokenizer, max_positions)");
        }
        double sum = 0;
        double max = 0;
        int cells = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).size(); j++) {
                double d = Math.abs(a.get(i).get(j).asDouble() - b.get(i).get(j).asDouble());
                sum += d;
                max = Math.max(max, d);
                cells++;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("what", what);
        m.put("mean_abs_difference", cells == 0 ? 0.0 : sum / cells);
        m.put("max_abs_difference", max);
        return m;
    }

    private String comparePage(String labelA, com.fasterxml.jackson.databind.JsonNode a, String labelB,
            com.fasterxml.jackson.databind.JsonNode b, List<Map<String, Object>> differences, Map<String, byte[]> pictures) {
        StringBuilder h = new StringBuilder(TokenHighlights.pageStart("floe explain-text: " + labelA + " vs " + labelB));
        h.append("<p>Text: <b>").append(TokenHighlights.escape(text)).append("</b></p>\n");
        h.append("<h2>Token attributions (integrated gradients, predicted class; red raises its logit, blue lowers it)"
                + "</h2>\n<table>\n");
        for (Object[] side : new Object[][] {{labelA, a}, {labelB, b}}) {
            com.fasterxml.jackson.databind.JsonNode s = (com.fasterxml.jackson.databind.JsonNode) side[1];
            com.fasterxml.jackson.databind.JsonNode ig = s.get("token_attributions");
            List<String> tokens = new java.util.ArrayList<>();
            s.get("tokens").forEach(t -> tokens.add(t.asText()));
            double[] v = new double[ig.get("per_token").size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = ig.get("per_token").get(i).asDouble();
            }
            h.append("<tr><th>").append(TokenHighlights.escape((String) side[0])).append("<br>class ")
                    .append(ig.get("class").asInt()).append("</th><td>").append(TokenHighlights.tokens(tokens, v))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Attention, mean |A − B| per layer</h2>\n<table><tr><th></th><th>mean</th><th>max</th></tr>\n");
        for (Map<String, Object> d : differences) {
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td></tr>%n", d.get("what"),
                    (double) d.get("mean_abs_difference"), (double) d.get("max_abs_difference")));
        }
        h.append("</table>\n");
        pictures.forEach((name, png) -> h.append("<h3>").append(TokenHighlights.escape(name)).append("</h3>\n")
                .append(TokenHighlights.image(png, name)).append('\n'));
        return h.append(TokenHighlights.pageEnd()).toString();
    }

    private static java.awt.image.BufferedImage read(byte[] png) {
        return Png.decode(png);
    }

    /**
     * Every file the command writes for {@code text}, by name: the pictures of
     * {@link TextAttentionPictures#draw} and {@value #SUMMARY}.
     */
    static Map<String, byte[]> explain(ModelGraph graph, String component, Tokenizer tokenizer, String text)
            throws java.io.IOException {
        return explain(graph, component, tokenizer, text, false);
    }

    /** {@link #explain(ModelGraph, String, Tokenizer, String)}, with each head's picture when {@code heads}. */
    static Map<String, byte[]> explain(ModelGraph graph, String component, Tokenizer tokenizer, String text, boolean heads)
            throws java.io.IOException {
        Map<String, byte[]> files = new LinkedHashMap<>(TextAttentionPictures.draw(graph, component, tokenizer, text, heads));
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

    private static TransformerEncoder encoder(Path run, ModelGraph graph) {
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
