package dev.floe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.data.FashionMnist;
import dev.floe.demo.TransferDemo;
import dev.floe.io.AtomicFiles;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code floe demo}: the transfer-learning comparison on bundled Fashion-MNIST. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Pretrain a conv encoder on 5 Fashion-MNIST classes, then learn the other 5 from a few labels:"
                + " scratch vs frozen encoder vs full fine-tuning vs top block unfrozen, at one budget.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", description = "output folder (default: a new folder under runs/)")
    Path out;

    @Option(names = "--force", description = "overwrite an existing output folder")
    boolean force;

    @Option(names = "--quick", description = "a small, fast version (used by the tests)")
    boolean quick;

    @Option(names = "--no-progress", description = "no progress bars")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        Path dir = OutputDir.prepare(out, "demo", force);
        TransferDemo.Settings settings = quick ? TransferDemo.Settings.quick() : TransferDemo.Settings.full();
        ProgressListener progress = new ProgressListener("train", !noProgress && System.console() != null);
        TransferDemo demo = new TransferDemo(settings, line -> System.out.println(line), progress);
        TransferDemo.Report report = demo.run(FashionMnist.locateDatasets());
        System.out.println();
        System.out.println(table(report));
        Path results = dir.resolve("results.json");
        AtomicFiles.writeString(results, resultsJson(report));
        System.out.println("wrote " + results);
        return 0;
    }

    static String table(TransferDemo.Report report) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-16s %9s %8s %10s %10s %12s %9s %9s%n";
        sb.append(String.format(Locale.ROOT, fmt, "configuration", "accuracy", "± std", "trainable", "total", "optim_bytes", "train_s", "rss_mb"));
        for (TransferDemo.ConfigResult r : report.results()) {
            sb.append(String.format(Locale.ROOT, "%-16s %9.3f %8.3f %10d %10d %12d %9.2f %9.0f%n",
                    r.name(), r.accuracy(), r.accuracyStd(), r.trainableParams(), r.totalParams(),
                    r.optimizerStateBytes(), r.trainSeconds(), r.peakRssMb()));
        }
        return sb.toString();
    }

    static String resultsJson(TransferDemo.Report report) throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode arr = json.createArrayNode();
        TransferDemo.Settings s = report.settings();
        for (TransferDemo.ConfigResult r : report.results()) {
            ObjectNode o = arr.addObject();
            o.put("name", r.name());
            o.put("description", r.description());
            o.put("accuracy", r.accuracy());
            o.put("accuracy_std", r.accuracyStd());
            ArrayNode per = o.putArray("accuracy_per_draw");
            for (double a : r.accuracies()) {
                per.add(a);
            }
            o.put("trainable_params", r.trainableParams());
            o.put("total_params", r.totalParams());
            o.put("optimizer_state_bytes", r.optimizerStateBytes());
            o.put("train_seconds", r.trainSeconds());
            o.put("peak_rss_mb", r.peakRssMb());
            o.put("steps", r.steps());
            o.put("labels_per_class", s.labelsPerClass());
            o.put("source_accuracy", report.sourceAccuracy());
            o.put("pretrain_seconds", report.pretrainSeconds());
        }
        return json.writeValueAsString(arr) + "\n";
    }
}
