package dev.floe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.data.Examples;
import dev.floe.io.Json;
import dev.floe.run.ExperimentResult;
import dev.floe.run.TrainedRun;
import dev.floe.train.EvalResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe eval RUN_DIR [--data FILE [--labels FILE]] [--json]}: the loss, accuracy, per-class
 * precision, recall and F1, macro-F1 and confusion matrix of a finished run's saved weights, on the
 * run's own evaluation data (then equal, bit for bit, to the run's reported final evaluation) or on
 * another labelled file read as the run's config reads its data.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Score a finished run's saved weights: loss, accuracy, per-class precision/recall/F1, macro-F1"
                + " and the confusion matrix, on the run's evaluation data or on --data FILE.")
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run")
    Path run;

    @Option(names = "--data", paramLabel = "FILE",
            description = "labelled file to score, read as the run's config reads its data (default: the run's"
                    + " evaluation data)")
    Path data;

    @Option(names = "--labels", paramLabel = "FILE", description = "IDX runs: the labels file of the --data images")
    Path labels;

    @Option(names = "--json", description = "print the results as one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (labels != null && data == null) {
            throw new IllegalArgumentException("--labels " + labels + " is the labels file of --data images; give"
                    + " --data too");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (TrainedRun trained = registryOptions.open(run)) {
            Examples examples = data == null ? trained.evaluationData() : trained.read(data, labels, true).examples();
            EvalResult r = trained.evaluate(examples);
            if (json) {
                ObjectNode root = Json.mapper().createObjectNode();
                root.put("run", run.toString());
                root.put("data", data == null ? "the run's evaluation data (" + examples.name() + ")" : data.toString());
                root.put("examples", r.examples());
                root.put("loss", r.loss());
                root.put("accuracy", r.accuracy());
                ExperimentResult.putScores(root, r);
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
            } else {
                out.printf(Locale.ROOT, "data      %s%n", data == null ? "evaluation data of the run: " + examples.name()
                        : data.toString());
                out.printf(Locale.ROOT, "examples  %,d%n", r.examples());
                out.printf(Locale.ROOT, "loss      %.4f%n", r.loss());
                out.printf(Locale.ROOT, "accuracy  %.4f%n", r.accuracy());
                out.print(EvalText.macroF1Line(r));
                out.print(EvalText.perClass(r.confusion()));
                out.print(EvalText.matrix(r.confusion(), "floe eval --json"));
            }
            out.flush();
        }
        return 0;
    }
}
