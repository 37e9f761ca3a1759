package dev.floe.cli;

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
 * {@code floe predict RUN_DIR --input FILE [--out FILE] [--force]}: the predicted class and class
 * probabilities of every example of a file, read as the run's config reads its data (labels
 * optional). Written as CSV or JSON Lines by the {@code --out} extension, atomically and never over
 * an existing file without {@code --force}; CSV on stdout without {@code --out}.
 */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description = "Predict every example of a file with a finished run's saved weights: predicted class and class"
                + " probabilities, as CSV or JSON Lines (by --out extension; CSV on stdout without --out).")
final class PredictCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

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
        List<Predictor.Prediction> predictions;
        List<String> classes;
        try (Predictor predictor = Predictor.open(run)) {
            predictions = predictor.predict(input, labels);
            classes = predictor.classNames();
        }
        boolean labelled = !predictions.isEmpty() && predictions.get(0).trueLabel() >= 0;
        String text = jsonl ? jsonl(predictions, classes, labelled) : csv(predictions, classes, labelled);
        PrintWriter stdout = spec.commandLine().getOut();
        if (out == null) {
            stdout.print(text);
        } else {
            AtomicFiles.writeString(out, text);
            stdout.printf(Locale.ROOT, "wrote %,d predictions to %s%n", predictions.size(), out);
        }
        stdout.flush();
        return 0;
    }

    /** {@code index,predicted[,label],p_<class>...}, one row per example. */
    static String csv(List<Predictor.Prediction> predictions, List<String> classes, boolean labelled) {
        StringBuilder sb = new StringBuilder("index,predicted");
        if (labelled) {
            sb.append(",label");
        }
        for (String c : classes) {
            sb.append(',').append(cell("p_" + c));
        }
        sb.append('\n');
        for (Predictor.Prediction p : predictions) {
            sb.append(p.index()).append(',').append(cell(p.label()));
            if (labelled) {
                sb.append(',').append(cell(classes.get(p.trueLabel())));
            }
            for (double v : p.probabilities()) {
                sb.append(',').append(String.format(Locale.ROOT, "%.6g", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String cell(String s) {
        return s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 ? s : '"' + s.replace("\"", "\"\"") + '"';
    }

    /** {@code {"index": 0, "predicted": "spam", ["label": "ham",] "probabilities": {"ham": 0.1, "spam": 0.9}}} per line. */
    static String jsonl(List<Predictor.Prediction> predictions, List<String> classes, boolean labelled)
            throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (Predictor.Prediction p : predictions) {
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
            sb.append(Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(n)).append('\n');
        }
        return sb.toString();
    }
}
