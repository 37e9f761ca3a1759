package dev.floe.cli;

import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.data.Dataset;
import dev.floe.explain.Attributions;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.run.TrainedRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * {@code floe attribute RUN_DIR --examples K --out DIR}: saliency pictures for the first K evaluation
 * images of a finished image run. The run's model is rebuilt from its manifest's config and loaded
 * from its {@code weights.safetensors}; each example gets integrated gradients (from a black image)
 * for the class the model predicts, drawn as a PNG beside the image, and {@code attributions.json}
 * lists per example the label, the prediction, the logit at the image and at the baseline, and the
 * sum of the attributions (which should be their difference).
 *
 * <p>For a text run (a graph input {@code input_ids}) each evaluation text gets integrated gradients
 * at its encoder's embeddings from a baseline of padding ids (same length and mask), for the
 * predicted class: {@code tokens.html} shows the texts' word pieces coloured by their attribution,
 * with label and prediction, and {@code attributions.json} holds the numbers per token.
 */
@Command(
        name = "attribute",
        mixinStandardHelpOptions = true,
        description = "Saliency pictures (integrated gradients from a black image, for the predicted class) of the"
                + " first evaluation images of a finished image run, as PNGs beside attributions.json.")
final class AttributeCommand implements Callable<Integer> {

    static final String WEIGHTS = TrainedRun.WEIGHTS;
    static final String SUMMARY = "attributions.json";

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run")
    Path run;

    @Option(names = "--examples", paramLabel = "K", defaultValue = "8", description = "how many evaluation images (default 8)")
    int examples;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "64",
            description = "integrated-gradients path points per image (default 64)")
    int steps;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "folder for the PNGs and attributions.json")
    Path out;

    @Option(names = "--force", description = "write into a folder that already holds files")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (examples < 1) {
            throw new IllegalArgumentException("--examples must be at least 1, found " + examples);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, found " + steps);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        List<byte[]> pictures = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        String page = null;
        try (TrainedRun trained = registryOptions.open(run)) {
            if (trained.graph().inputs().containsKey(dev.floe.text.TokenizedExamples.INPUT_IDS)) {
                if (compare != null) {
                    throw new IllegalArgumentException("--compare draws image runs side by side; run " + run + " is a"
                            + " text run: use floe explain-text " + run + " --compare " + compare + " \"TEXT\"");
                }
                return attributeTexts(trained, stdout);
            }
            Dataset data = evaluationImages(trained.config(), trained.baseDir());
            Saliency a = saliency(trained, run, data);
            if (compare == null) {
                a.pictures().forEach(p -> pictures.add(Heatmaps.png(p)));
                rows.addAll(a.rows());
            } else {
                Saliency b;
                try (TrainedRun other = registryOptions.open(compare)) {
                    b = saliency(other, compare, data);
                }
                String labelA = "A: " + run.getFileName();
                String labelB = "B: " + compare.getFileName();
                StringBuilder html = new StringBuilder(TokenHighlights.pageStart("floe attribute: " + labelA + " vs " + labelB));
                html.append("<p>Integrated gradients from an all-zero image, ").append(steps).append(" steps, for each"
                        + " run's predicted class, on the evaluation images of run A. Red raises that logit, blue lowers"
                        + " it.</p>\n<table><tr><th>#</th><th>label</th><th>predicted A / B</th><th>correlation</th>"
                        + "<th>").append(TokenHighlights.escape(labelA)).append(" | ").append(TokenHighlights.escape(labelB))
                        .append("</th></tr>\n");
                for (int i = 0; i < a.rows().size(); i++) {
                    byte[] png = Heatmaps.png(TokenHighlights.sideBySide(a.pictures().get(i), labelA, b.pictures().get(i), labelB));
                    pictures.add(png);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("example", i);
                    row.put("file", fileName(i));
                    row.put("label", data.label(i));
                    Map<String, Object> ra = new LinkedHashMap<>(a.rows().get(i));
                    Map<String, Object> rb = new LinkedHashMap<>(b.rows().get(i));
                    for (Map<String, Object> r : List.of(ra, rb)) {
                        r.remove("example");
                        r.remove("file");
                        r.remove("label");
                    }
                    row.put("a", ra);
                    row.put("b", rb);
                    float[] va = a.values().get(i);
                    float[] vb = b.values().get(i);
                    double mean = meanAbsDifference(va, vb);
                    double corr = correlation(va, vb);
                    row.put("mean_abs_difference", mean);
                    row.put("correlation", corr);
                    rows.add(row);
                    html.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%d</td><td>%s / %s</td><td>%.3f</td><td>%s</td></tr>%n",
                            i, data.label(i), ra.get("predicted"), rb.get("predicted"), corr, TokenHighlights.image(png, fileName(i))));
                }
                page = html.append("</table>\n").append(TokenHighlights.pageEnd()).toString();
            }
        }
        Path dir = OutputDir.prepare(out, "attribute", force);
        for (int i = 0; i < pictures.size(); i++) {
            AtomicFiles.writeBytes(dir.resolve(fileName(i)), pictures.get(i));
        }
        if (page != null) {
            AtomicFiles.writeString(dir.resolve(COMPARE_PAGE), page);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("run", run.toString());
        if (compare != null) {
            summary.put("compare", compare.toString());
        }
        summary.put("method", "integrated gradients from an all-zero image, " + steps + " midpoint steps, for the"
                + " predicted class; red = raises that logit, blue = lowers it"
                + (compare == null ? "" : "; per example, run A's picture left, run B's right, mean |IG_A - IG_B| and"
                        + " the correlation of the two attributions over the pixels"));
        summary.put("examples", rows);
        AtomicFiles.writeString(dir.resolve(SUMMARY), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
        stdout.printf(Locale.ROOT, "wrote %d saliency picture(s), %s%s to %s%n", pictures.size(), SUMMARY,
                page != null ? " and " + COMPARE_PAGE : "", dir);
        stdout.flush();
        return 0;
    }

    static final String COMPARE_PAGE = "compare.html";

    @Option(names = "--compare", paramLabel = "RUN_B",
            description = "image runs: a second finished run whose saliency of the same images goes beside this run's")
    Path compare;

    /** One run's saliency pictures (not yet encoded), summary rows and raw attributions, per example. */
    private record Saliency(List<java.awt.image.BufferedImage> pictures, List<Map<String, Object>> rows,
            List<float[]> values) {}

    /** Integrated gradients of {@code trained} for its predicted class on the first {@code --examples} of {@code data}. */
    private Saliency saliency(TrainedRun trained, Path dir, Dataset data) {
        ModelGraph graph = trained.graph();
        Map.Entry<String, TensorSpec> input = graph.inputs().entrySet().iterator().next();
        if (graph.inputs().size() != 1 || input.getValue().rank() != 4) {
            throw new IllegalArgumentException("floe attribute draws image runs (one input [batch, channels, height,"
                    + " width]); run " + dir + " has inputs " + graph.inputs());
        }
        String output = graph.outputs().keySet().iterator().next();
        int k = Math.min(examples, data.size());
        float[][] x = new float[k][];
        int[] predicted = new int[k];
        for (int i = 0; i < k; i++) {
            x[i] = data.features(i);
        }
        float[][] logits;
        try {
            logits = Attributions.outputs(graph, output, x);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("run " + dir + " cannot take the images of run " + run + " (shape "
                    + java.util.Arrays.toString(data.featureShape()) + ", its input is " + input.getValue() + "): "
                    + e.getMessage(), e);
        }
        for (int i = 0; i < k; i++) {
            predicted[i] = argmax(logits[i]);
        }
        List<Attributions.Attribution> ig = Attributions.integratedGradients(graph, output, x,
                new float[x[0].length], predicted, steps);
        long[] chw = data.featureShape();
        List<java.awt.image.BufferedImage> pictures = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Attributions.Attribution a = ig.get(i);
            pictures.add(Heatmaps.saliency(x[i], chw, a.values()));
            values.add(a.values());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("example", i);
            row.put("file", fileName(i));
            row.put("label", data.label(i));
            row.put("predicted", predicted[i]);
            row.put("logit", a.output());
            row.put("baseline_logit", a.baselineOutput());
            row.put("attribution_sum", a.sum());
            rows.add(row);
        }
        return new Saliency(pictures, rows, values);
    }

    static double meanAbsDifference(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return a.length == 0 ? 0 : s / a.length;
    }

    /** Pearson correlation of two attributions (0 when either is constant). */
    static double correlation(float[] a, float[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    static final String TOKENS_PAGE = "tokens.html";

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "text runs: the tokenizer.json whose word pieces name the token ids (default: MiniLM's, bundled)")
    Path tokenizerFile;

    /** The text-run branch: token attributions of the first evaluation texts, as tokens.html and attributions.json. */
    private int attributeTexts(TrainedRun trained, PrintWriter stdout) throws java.io.IOException {
        ModelGraph graph = trained.graph();
        String encoder = graph.components().stream().filter(c -> c instanceof dev.floe.components.TransformerEncoder)
                .map(dev.floe.graph.Component::name).findFirst().orElseThrow(() -> new IllegalArgumentException(
                        "run " + run + " feeds input_ids but has no transformer encoder to attribute through"));
        if (!(trained.evaluationData() instanceof dev.floe.text.TokenizedExamples data)) {
            throw new IllegalArgumentException("run " + run + " feeds input_ids but its evaluation data is not text");
        }
        TokenNames names = TokenNames.of(tokenizerFile, dev.floe.text.MiniLm.TOKENIZER_RESOURCE);
        String output = trained.output();
        List<String> labels = trained.labels();
        int k = Math.min(examples, data.size());
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder page = new StringBuilder(TokenHighlights.pageStart("floe attribute: " + run.getFileName()));
        page.append("<p>Integrated gradients at ").append(TokenHighlights.escape(encoder)).append("/embeddings from a"
                + " padding-id baseline, ").append(steps).append(" steps, for the predicted class: red tokens raise its"
                + " logit, blue ones lower it (hover for the value).</p>\n<table><tr><th>#</th><th>label</th>"
                + "<th>predicted</th><th>tokens</th><th>logit − baseline</th><th>sum of attributions</th></tr>\n");
        for (int i = 0; i < k; i++) {
            long[] ids = data.ids(i);
            long[] mask = new long[ids.length];
            java.util.Arrays.fill(mask, 1L);
            Map<String, long[][]> in = new LinkedHashMap<>();
            for (String name : graph.inputs().keySet()) {
                in.put(name, new long[][] {name.equals(dev.floe.text.TokenizedExamples.INPUT_IDS) ? ids
                        : name.equals(dev.floe.text.TokenizedExamples.ATTENTION_MASK) ? mask : new long[ids.length]});
            }
            Map<String, long[][]> baseline = new LinkedHashMap<>(in);
            baseline.put(dev.floe.text.TokenizedExamples.INPUT_IDS, new long[][] {new long[ids.length]});
            float[] logits = dev.floe.explain.Attention.record(graph, in).outputs().get(output).values();
            int predicted = argmax(logits);
            Attributions.SegmentAttribution ig = Attributions.integratedGradientsAt(graph, encoder + "/embeddings",
                    output, in, baseline, predicted, steps);
            List<String> tokens = new ArrayList<>();
            for (long id : ids) {
                tokens.add(names.name(id));
            }
            float[] perToken = ig.perPosition();
            double[] v = new double[perToken.length];
            for (int j = 0; j < v.length; j++) {
                v[j] = perToken[j];
            }
            String label = className(labels, data.label(i));
            String pred = className(labels, predicted);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("example", i);
            row.put("label", label);
            row.put("predicted", pred);
            row.put("tokens", tokens);
            row.put("per_token", perToken);
            row.put("logit", ig.attribution().output());
            row.put("baseline_logit", ig.attribution().baselineOutput());
            row.put("attribution_sum", ig.attribution().sum());
            rows.add(row);
            page.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%s</td><td>%s%s</td><td>%s</td><td>%.4f</td>"
                    + "<td>%.4f</td></tr>%n", i, TokenHighlights.escape(label), TokenHighlights.escape(pred),
                    pred.equals(label) ? "" : " ✗", TokenHighlights.tokens(tokens, v),
                    ig.attribution().output() - ig.attribution().baselineOutput(), ig.attribution().sum()));
        }
        page.append("</table>\n").append(TokenHighlights.pageEnd());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("run", run.toString());
        summary.put("method", "integrated gradients at " + encoder + "/embeddings from the padding-id baseline, " + steps
                + " steps, for the predicted class; per_token sums each token's embedding attributions");
        summary.put("examples", rows);
        Path dir = OutputDir.prepare(out, "attribute", force);
        AtomicFiles.writeString(dir.resolve(TOKENS_PAGE), page.toString());
        AtomicFiles.writeString(dir.resolve(SUMMARY), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
        stdout.printf(Locale.ROOT, "wrote token attributions of %d text(s) to %s and %s in %s%n", k, TOKENS_PAGE, SUMMARY, dir);
        stdout.flush();
        return 0;
    }

    private static String className(List<String> labels, int k) {
        return labels != null && k >= 0 && k < labels.size() ? labels.get(k) : Integer.toString(k);
    }

    static String fileName(int example) {
        return String.format(Locale.ROOT, "example-%03d.png", example);
    }

    /** The evaluation set (test files or held-out part), or the training set when there is none. */
    private static Dataset evaluationImages(ExperimentConfig cfg, Path base) {
        ExperimentData data = ExperimentData.load(cfg, base);
        dev.floe.data.Examples examples = data.eval() != null ? data.eval() : data.train();
        if (!(examples instanceof dev.floe.data.Examples.Numeric numeric)) {
            throw new IllegalArgumentException("floe attribute draws image runs; the run's data ("
                    + examples.name() + ") is not numeric image data");
        }
        return numeric.data();
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
