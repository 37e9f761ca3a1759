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
        try (TrainedRun trained = TrainedRun.open(run)) {
            ExperimentConfig cfg = trained.config();
            Path base = trained.baseDir();
            ModelGraph graph = trained.graph();
            Map.Entry<String, TensorSpec> input = graph.inputs().entrySet().iterator().next();
            if (graph.inputs().size() != 1 || input.getValue().rank() != 4) {
                throw new IllegalArgumentException("floe attribute draws image runs (one input [batch, channels, height,"
                        + " width]); run " + run + " has inputs " + graph.inputs());
            }
            String output = graph.outputs().keySet().iterator().next();
            Dataset data = evaluationImages(cfg, base);
            int k = Math.min(examples, data.size());
            float[][] x = new float[k][];
            int[] predicted = new int[k];
            for (int i = 0; i < k; i++) {
                x[i] = data.features(i);
            }
            float[][] logits = Attributions.outputs(graph, output, x);
            for (int i = 0; i < k; i++) {
                predicted[i] = argmax(logits[i]);
            }
            List<Attributions.Attribution> ig = Attributions.integratedGradients(graph, output, x,
                    new float[x[0].length], predicted, steps);
            long[] chw = data.featureShape();
            for (int i = 0; i < k; i++) {
                Attributions.Attribution a = ig.get(i);
                pictures.add(Heatmaps.png(Heatmaps.saliency(x[i], chw, a.values())));
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
        }
        Path dir = OutputDir.prepare(out, "attribute", force);
        for (int i = 0; i < pictures.size(); i++) {
            AtomicFiles.writeBytes(dir.resolve(fileName(i)), pictures.get(i));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("run", run.toString());
        summary.put("method", "integrated gradients from an all-zero image, " + steps + " midpoint steps, for the"
                + " predicted class; red = raises that logit, blue = lowers it");
        summary.put("examples", rows);
        AtomicFiles.writeString(dir.resolve(SUMMARY), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
        stdout.printf(Locale.ROOT, "wrote %d saliency picture(s) and %s to %s%n", pictures.size(), SUMMARY, dir);
        stdout.flush();
        return 0;
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
