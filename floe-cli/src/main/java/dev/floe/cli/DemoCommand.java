package dev.floe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.data.FashionMnist;
import dev.floe.demo.TextDemo;
import dev.floe.demo.TransferDemo;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.registry.RegistryLocation;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code floe demo}: the transfer-learning comparison on bundled Fashion-MNIST ({@code --task images},
 * the default) or the MiniLM fine-tuning comparison on bundled SpamAssassin mail ({@code --task text}).
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "images (default): pretrain a conv encoder on 5 Fashion-MNIST classes, then learn the other 5 from a few"
                    + " labels: scratch vs frozen encoder vs full fine-tuning vs top block unfrozen, at one budget. The"
                    + " pretrained encoder is published to OUT/registry as demo-encoder@1, which the other three load.",
            "text: spam vs ham with pretrained MiniLM, trained on easy-ham-1 + spam-1 and tested on hard-ham-1,"
                    + " easy-ham-2 and spam-2: frozen encoder + head vs LoRA r=8 (query, value) vs bottleneck adapters"
                    + " vs full fine-tuning, at one budget."
        })
final class DemoCommand implements Callable<Integer> {

    /** Which demo to run. */
    enum Task {
        images,
        text
    }

    @Option(names = "--task", description = "images or text (default: ${DEFAULT-VALUE})", defaultValue = "images")
    Task task;

    @Mixin
    RunFolderOptions folder = new RunFolderOptions();

    @Option(names = "--quick", description = "a small, fast version (used by the tests)")
    boolean quick;

    /** The image demo's registry folder inside the output folder; it holds the pretrained encoder. */
    static final String REGISTRY = "registry";
    /** The registry name of the image demo's pretrained encoder. */
    static final String ENCODER_NAME = "demo-encoder";


    @Override
    public Integer call() throws Exception {
        Path dir = OutputDir.prepare(folder.out, task == Task.text ? "demo-text" : "demo", folder.force);
        ProgressListener progress = folder.progress("train");
        Path datasets = FashionMnist.locateDatasets();
        long started = System.nanoTime();
        String json;
        RunManifest manifest;
        Map<String, Double> metrics = new LinkedHashMap<>();
        Map<String, String> weightsAfter = new LinkedHashMap<>();
        double trainSeconds = 0;
        if (task == Task.text) {
            TextDemo.Settings settings = quick ? TextDemo.Settings.quick() : TextDemo.Settings.full();
            manifest = RunManifests.startCommand("demo text", settings, settings.seed(), dataFiles(datasets, "spam-assassin"));
            RunManifests.write(dir, manifest);
            TextDemo.Report report = new TextDemo(settings, line -> System.out.println(line), progress).run(datasets);
            System.out.println();
            System.out.println(textTable(report));
            json = textResultsJson(report);
            for (TextDemo.ConfigResult r : report.results()) {
                metrics.put(r.name() + ".accuracy", r.accuracy());
                trainSeconds += r.trainSeconds();
            }
        } else {
            TransferDemo.Settings settings = quick ? TransferDemo.Settings.quick() : TransferDemo.Settings.full();
            manifest = RunManifests.startCommand("demo images", settings, settings.seed(),
                    dataFiles(datasets, FashionMnist.FOLDER));
            RunManifests.write(dir, manifest);
            Path registry = dir.resolve(REGISTRY);
            if (folder.force) {
                AtomicFiles.deleteTree(registry); // the overwritten run's registry: its version would not be this run's
            }
            TransferDemo demo = new TransferDemo(settings, line -> System.out.println(line), progress);
            TransferDemo.Report report = demo.run(datasets, new TransferDemo.Publish(RegistryLocation.folder(registry),
                    ENCODER_NAME, manifest.id(), manifest.recipeSha256(), manifest.command()));
            weightsAfter.put(TransferDemo.ENCODER, report.encoder().weightsHash());
            System.out.println();
            System.out.println(table(report));
            json = resultsJson(report);
            metrics.put("pretrain.source_accuracy", report.sourceAccuracy());
            trainSeconds += report.pretrainSeconds();
            for (TransferDemo.ConfigResult r : report.results()) {
                metrics.put(r.name() + ".accuracy", r.accuracy());
                metrics.put(r.name() + ".accuracy_std", r.accuracyStd());
                trainSeconds += r.trainSeconds();
            }
        }
        Path results = dir.resolve("results.json");
        AtomicFiles.writeString(results, json);
        RunManifest done = RunManifests.finishCommand(manifest, metrics, trainSeconds, (System.nanoTime() - started) / 1e9);
        if (!weightsAfter.isEmpty()) {
            RunManifest.Outcome o = done.outcome();
            done = done.finished(new RunManifest.Outcome(o.finishedAt(), weightsAfter, o.weightsFileSha256(), o.stages(),
                    o.finalEval(), o.steps(), o.trainSeconds(), o.wallSeconds(), o.peakRssMb(), o.optimizerStateBytes(),
                    o.metrics()));
        }
        RunManifests.write(dir, done);
        System.out.println("wrote " + results + " and " + dir.resolve(RunManifests.FILE));
        return 0;
    }

    /** The bundled data files of one data set folder, by name, for the manifest. */
    private static Map<String, Path> dataFiles(Path datasets, String folder) throws java.io.IOException {
        Map<String, Path> files = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> list = java.nio.file.Files.list(datasets.resolve(folder))) {
            for (Path f : list.filter(p -> p.getFileName().toString().endsWith(".gz")).toList()) {
                files.put(folder + "/" + f.getFileName(), f);
            }
        }
        return files;
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
        ObjectMapper json = Json.mapper();
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
            if (Double.isNaN(r.cacheSecondsSaved())) {
                o.putNull("cache_seconds_saved");
            } else {
                o.put("cache_seconds_saved", r.cacheSecondsSaved());
            }
            o.put("labels_per_class", s.labelsPerClass());
            o.put("source_accuracy", report.sourceAccuracy());
            if (r.encoder() == null) {
                o.putNull("encoder_from");
            } else {
                ObjectNode from = o.putObject("encoder_from");
                from.put("registry", REGISTRY);
                from.put("version", r.encoder().ref());
                from.put("blob_sha256", r.encoder().blobSha256());
                from.put("weights_hash", r.encoder().weightsHash());
            }
            o.put("pretrain_seconds", report.pretrainSeconds());
        }
        return Json.write(arr);
    }

    static String textTable(TextDemo.Report report) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-14s %8s %8s %8s %8s %10s %10s %12s %8s %8s %14s %7s%n";
        sb.append(String.format(Locale.ROOT, fmt, "configuration", "accuracy", "hard_ham", "easy_ham", "spam",
                "trainable", "total", "optim_bytes", "train_s", "cpu_s", "ms/text", "rss_mb"));
        for (TextDemo.ConfigResult r : report.results()) {
            Map<String, Double> c = r.accuracyByCorpus();
            String latency = Double.isNaN(r.latencyMsMerged())
                    ? String.format(Locale.ROOT, "%.1f", r.latencyMsPerExample())
                    : String.format(Locale.ROOT, "%.1f/%.1f mrg", r.latencyMsPerExample(), r.latencyMsMerged());
            sb.append(String.format(Locale.ROOT, "%-14s %8.3f %8s %8s %8s %10d %10d %12d %8.1f %8.1f %14s %7.0f%n",
                    r.name(), r.accuracy(), pct(c.get("hard-ham-1")), pct(c.get("easy-ham-2")), pct(c.get("spam-2")),
                    r.trainableParams(), r.totalParams(), r.optimizerStateBytes(), r.trainSeconds(),
                    r.trainCpuSeconds(), latency, r.peakRssMb()));
        }
        TextDemo.Settings s = report.settings();
        sb.append(String.format(Locale.ROOT,
                "budget: %d training examples per configuration (%d epochs x %d texts, batch %d), %d tokens per text;"
                        + " test %s; whole run %.0f s%n",
                s.epochs() * (long) report.trainSize(), s.epochs(), report.trainSize(), s.batchSize(), s.maxTokens(),
                report.testCounts(), report.totalSeconds()));
        return sb.toString();
    }

    private static String pct(Double accuracy) {
        return accuracy == null ? "-" : String.format(Locale.ROOT, "%.3f", accuracy);
    }

    static String textResultsJson(TextDemo.Report report) throws Exception {
        ObjectMapper json = Json.mapper();
        ArrayNode arr = json.createArrayNode();
        TextDemo.Settings s = report.settings();
        for (TextDemo.ConfigResult r : report.results()) {
            ObjectNode o = arr.addObject();
            o.put("name", r.name());
            o.put("description", r.description());
            o.put("accuracy", r.accuracy());
            ObjectNode per = o.putObject("accuracy_per_corpus");
            r.accuracyByCorpus().forEach(per::put);
            o.put("trainable_params", r.trainableParams());
            o.put("total_params", r.totalParams());
            o.put("optimizer_state_bytes", r.optimizerStateBytes());
            o.put("train_seconds", r.trainSeconds());
            o.put("train_cpu_seconds", r.trainCpuSeconds());
            o.put("peak_rss_mb", r.peakRssMb());
            o.put("latency_ms_per_example", r.latencyMsPerExample());
            if (!Double.isNaN(r.latencyMsMerged())) {
                o.put("latency_ms_per_example_merged", r.latencyMsMerged());
                o.put("merge_max_abs_logit_diff", r.mergeMaxAbsDiff());
            }
            o.put("eval_seconds", r.evalSeconds());
            o.put("steps", r.steps());
            o.put("train_examples_seen", r.examplesSeen());
            o.put("train_texts", report.trainSize());
            ObjectNode test = o.putObject("test_texts");
            report.testCounts().forEach(test::put);
            o.put("max_tokens", s.maxTokens());
            o.put("epochs", s.epochs());
            o.put("batch_size", s.batchSize());
            o.put("lr", s.lr());
            o.put("seed", s.seed());
            o.put("total_seconds", report.totalSeconds());
        }
        return Json.write(arr);
    }
}
