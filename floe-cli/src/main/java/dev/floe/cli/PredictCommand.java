package dev.floe.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.run.Predictor;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe predict RUN_DIR --input FILE [--out FILE] [--force] [--explain [--top K] [--steps N]]}:
 * the predicted class and class probabilities of every example of a file, read as the run's config
 * reads its data (labels optional); with {@code --explain} also the {@code K} inputs contributing
 * most to the predicted class (integrated gradients, {@link Predictor#explain}). Written as CSV or
 * JSON Lines by the {@code --out} extension, atomically and never over an existing file without
 * {@code --force}; CSV on stdout without {@code --out}.
 */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description = "Predict every example of a file with a finished run's saved weights: predicted class and class"
                + " probabilities, as CSV or JSON Lines (by --out extension; CSV on stdout without --out).")
final class PredictCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run")
    Path run;

    @Option(names = "--input", paramLabel = "FILE", required = true,
            description = "examples to predict, in the run's data format (CSV, JSON Lines or CSV text, IDX images);"
                    + " labels optional")
    Path input;

    @Option(names = "--labels", paramLabel = "FILE", description = "IDX runs: the labels file of the --input images")
    Path labels;

    @Option(names = "--out", paramLabel = "FILE", description = "where to write: .csv or .jsonl (default: CSV on stdout)")
    Path out;

    @Option(names = "--force", description = "replace an existing --out file")
    boolean force;

    @Option(names = "--explain",
            description = "also write the inputs that contribute most to each predicted class (integrated gradients:"
                    + " CSV columns / tokens / pixels, with their contribution to the class's logit)")
    boolean explain;

    @Option(names = "--top", paramLabel = "K", description = "with --explain: inputs per example (default 5)")
    Integer top;

    @Option(names = "--steps", paramLabel = "N",
            description = "with --explain: integrated-gradients path points per example (default 32; more is slower"
                    + " and closer to exact)")
    Integer steps;

    /** Inputs listed per example with {@code --explain} when {@code --top} is not given. */
    static final int DEFAULT_TOP = 5;
    /** Integrated-gradients path points with {@code --explain} when {@code --steps} is not given. */
    static final int DEFAULT_STEPS = 32;

    @Override
    public Integer call() throws Exception {
        boolean jsonl = false;
        if (out != null) {
            String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
            jsonl = name.endsWith(".jsonl") || name.endsWith(".ndjson");
            if (!jsonl && !name.endsWith(".csv")) {
                throw new IllegalArgumentException("--out " + out + ": cannot tell the format from the name; end it in"
                        + " .csv or .jsonl");
            }
            if (Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + " is a folder; give a file name ending in .csv or"
                        + " .jsonl");
            }
            if (Files.exists(out) && !force) {
                throw new IllegalArgumentException("--out " + out + " already exists; give another file, or --force to"
                        + " replace it");
            }
        }
        if (!explain && (top != null || steps != null)) {
            throw new IllegalArgumentException((top != null ? "--top" : "--steps") + " sets how --explain explains;"
                    + " add --explain, or leave it out");
        }
        int k = top == null ? DEFAULT_TOP : top;
        int n = steps == null ? DEFAULT_STEPS : steps;
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException((k < 1 ? "--top " + k : "--steps " + n) + " must be at least 1; give a positive"
                    + " count, or leave the option out for its default (--top " + DEFAULT_TOP + ", --steps " + DEFAULT_STEPS + ")");
        }
        List<Predictor.Explanation> explained;
        List<String> classes;
        Predictor opened;
        try (dev.floe.registry.RegistrySource registry = registryOptions.source()) {
            opened = Predictor.open(run, registry);
        }
        try (Predictor predictor = opened) {
            explained = explain ? predictor.explain(input, labels, k, n)
                    : predictor.predict(input, labels).stream().map(p -> new Predictor.Explanation(p, List.of())).toList();
            classes = predictor.classNames();
        }
        boolean labelled = !explained.isEmpty() && explained.get(0).prediction().trueLabel() >= 0;
        int shown = explain ? k : 0;
        String text = jsonl ? jsonl(explained, classes, labelled, explain) : csv(explained, classes, labelled, shown);
        PrintWriter stdout = spec.commandLine().getOut();
        if (out == null) {
            stdout.print(text);
        } else {
            AtomicFiles.writeString(out, text);
            stdout.printf(Locale.ROOT, "wrote %,d predictions to %s%n", explained.size(), out);
        }
        stdout.flush();
        return 0;
    }

    /**
     * {@code index,predicted[,label],p_<class>...[,input_1,contribution_1,...,input_K,contribution_K]},
     * one row per example; the explanation columns only when {@code top > 0} (empty cells when an
     * example has fewer inputs).
     */
    static String csv(List<Predictor.Explanation> predictions, List<String> classes, boolean labelled, int top) {
        StringBuilder sb = new StringBuilder("index,predicted");
        if (labelled) {
            sb.append(",label");
        }
        for (String c : classes) {
            sb.append(',').append(cell("p_" + c));
        }
        for (int j = 1; j <= top; j++) {
            sb.append(",input_").append(j).append(",contribution_").append(j);
        }
        sb.append('\n');
        for (Predictor.Explanation e : predictions) {
            Predictor.Prediction p = e.prediction();
            sb.append(p.index()).append(',').append(cell(p.label()));
            if (labelled) {
                sb.append(',').append(cell(classes.get(p.trueLabel())));
            }
            for (double v : p.probabilities()) {
                sb.append(',').append(String.format(Locale.ROOT, "%.6g", v));
            }
            for (int j = 0; j < top; j++) {
                if (j < e.top().size()) {
                    Predictor.Contribution c = e.top().get(j);
                    sb.append(',').append(cell(c.input())).append(',').append(String.format(Locale.ROOT, "%.6g", c.value()));
                } else {
                    sb.append(",,");
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String cell(String s) {
        return s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 ? s : '"' + s.replace("\"", "\"\"") + '"';
    }

    /**
     * {@code {"index": 0, "predicted": "spam", ["label": "ham",] "probabilities": {"ham": 0.1, "spam": 0.9}
     * [, "explanation": [{"input": "free", "position": 3, "contribution": 1.2}, ...]]}} per line.
     */
    static String jsonl(List<Predictor.Explanation> predictions, List<String> classes, boolean labelled,
            boolean explained) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        var line = Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        for (Predictor.Explanation e : predictions) {
            Predictor.Prediction p = e.prediction();
            ObjectNode n = Json.mapper().createObjectNode();
            n.put("index", p.index());
            n.put("predicted", p.label());
            if (labelled) {
                n.put("label", classes.get(p.trueLabel()));
            }
            ObjectNode probs = n.putObject("probabilities");
            for (int k = 0; k < classes.size(); k++) {
                probs.put(classes.get(k), p.probabilities().get(k));
            }
            if (explained) {
                ArrayNode top = n.putArray("explanation");
                for (Predictor.Contribution c : e.top()) {
                    ObjectNode o = top.addObject();
                    o.put("input", c.input());
                    o.put("position", c.position());
                    o.put("contribution", c.value());
                }
            }
            sb.append(line.writeValueAsString(n)).append('\n');
        }
        return sb.toString();
    }
}
