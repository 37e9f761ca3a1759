package dev.floe.cli;

import dev.floe.config.ConfigException;
import dev.floe.run.Experiment;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.run.ExperimentResult;
import dev.floe.freeze.FreezePlan;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Hashing;
import dev.floe.io.ModelWeights;
import dev.floe.train.EpochMetrics;
import dev.floe.train.EvalResult;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import dev.floe.train.TrainingListener;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe train CONFIG --out DIR [--force] [--no-progress]}: runs an experiment config and
 * saves the run.
 *
 * <p>Everything is checked before the run folder is created: the config, the graph, the init
 * weights, the policy and the data. The folder then gets, each written atomically:
 * {@code config.yaml} (the exact bytes used), {@code config.resolved.json} (defaults filled in) and
 * {@code plan.txt} before training; {@code weights.safetensors} (metadata naming the config's
 * SHA-256) and last {@code metrics.json} after it, so a folder without {@code metrics.json} holds a
 * run that did not finish.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Train the model an experiment config describes and save config, plan, metrics and"
                + " weights in the output folder. Exit code 2 when the config is invalid; nothing is written then.")
final class TrainCommand implements Callable<Integer> {

    static final String CONFIG_FILE = "config.yaml";
    static final String RESOLVED_FILE = "config.resolved.json";
    static final String PLAN_FILE = "plan.txt";
    static final String WEIGHTS_FILE = "weights.safetensors";
    static final String METRICS_FILE = "metrics.json";
    /** Text runs: the class names in label order, {@code {"labels": [...]}}. */
    static final String LABELS_FILE = dev.floe.run.TrainedRun.LABELS;
    /** With {@code data.normalize}: the shift and scale per feature fitted on the training split. */
    static final String NORMALIZATION_FILE = dev.floe.run.TrainedRun.NORMALIZATION;
    /** Weights metadata key holding the config's SHA-256. */
    static final String CONFIG_HASH_KEY = "floe.config_sha256";
    /** Checkpoint metadata key holding the run's manifest id. */
    static final String RUN_ID_KEY = "floe.run_id";
    /** Weights and checkpoint metadata key holding the SHA-256 of the run's recipe. */
    static final String RECIPE_KEY = "floe.recipe_sha256";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment config (YAML)")
    Path config;

    @Mixin
    RunFolderOptions folder = new RunFolderOptions();

    @Option(names = "--resume", paramLabel = "DIR",
            description = "continue the run in DIR from its newest checkpoint (same config required)")
    Path resume;

    @Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Mixin
    SwapOptions swap = new SwapOptions();

    @Option(names = "--base-dir", paramLabel = "DIR",
            description = "folder the config's relative paths start from (default: the config file's folder)")
    Path baseDir;

    @Option(names = "--feature-cache", paramLabel = "DIR",
            description = "share frozen-prefix features with other runs through DIR (safe for several processes at"
                    + " once); default: a cache in memory for this run only")
    Path featureCache;

    /** Wraps the registry a config's components resolve through (floe reproduce pins recorded versions). */
    java.util.function.UnaryOperator<dev.floe.config.ComponentSource> pinning = source -> source;

    /** Sub-folder of a run folder holding its checkpoints. */
    static final String CHECKPOINTS = "checkpoints";

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (resume != null) {
            if (folder.out != null && !folder.out.toAbsolutePath().normalize().equals(resume.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException(
                        "--out " + folder.out + " and --resume " + resume + " differ; a resumed run continues in its own folder,"
                                + " so give only --resume");
            }
            if (!Files.isDirectory(resume.resolve(CHECKPOINTS))) {
                throw new IllegalArgumentException(
                        "--resume " + resume + " holds no checkpoints (no " + CHECKPOINTS + "/ folder); give the folder"
                                + " of a run started by floe train");
            }
            if (Files.exists(resume.resolve(METRICS_FILE))) {
                throw new IllegalArgumentException(
                        "--resume " + resume + ": the run has finished (it has " + METRICS_FILE + "), so there is"
                                + " nothing to resume and its results stay as they are; to train again, give a new"
                                + " --out, or the same folder with --force");
            }
        } else if (folder.out != null && Files.exists(folder.out)) {
            OutputDir.prepare(folder.out, "train", folder.force); // refuses a used folder now, before any work
        }
        byte[] yaml = ExperimentConfig.read(config);
        Path base = baseDir != null ? baseDir.toAbsolutePath().normalize() : PlanCommand.folderOf(config);
        return train(stdout, yaml, config.toString(), base, null, data -> { });
    }

    /**
     * Runs a config given as bytes: checks everything (config, graph, init weights, policy, data)
     * before the run folder is made, then trains into it and writes config, plan, weights, metrics and
     * {@code manifest.json}. With {@code --resume} the run folder's manifest keeps its id.
     *
     * @param source the config's name in messages and in the manifest
     * @param base the folder the config's relative paths start from
     * @param reproduces the id of the run this one reproduces, or null
     * @param dataCheck a further check of the data read, before the run folder is made
     * @return the exit code
     */
    int train(PrintWriter stdout, byte[] yaml, String source, Path base, String reproduces,
            java.util.function.Consumer<ExperimentData> dataCheck) throws Exception {
        ExperimentConfig cfg = ExperimentConfig.parse(yaml, source);
        long started = System.nanoTime();
        try (Experiment experiment = attributed(source, () -> {
                    try (dev.floe.registry.RegistrySource registry = registryOptions.source()) {
                        return Experiment.build(cfg, base, pinning.apply(registry), swap.swaps);
                    }
                })) {
            experiment.sharedFeatureCache(featureCache);
            ExperimentData data = attributed(source, () -> ExperimentData.load(cfg, base));
            attributed(source, () -> {
                experiment.check(data);
                return null;
            });
            dataCheck.accept(data);
            RunManifest manifest = RunManifests.start(reproduces == null ? "train" : "reproduce", source, base, yaml,
                    cfg, experiment, data, reproduces);
            if (resume != null && Files.exists(resume.resolve(RunManifests.FILE))) {
                RunManifest before = RunManifests.read(resume);
                if (!before.recipeSha256().equals(manifest.recipeSha256())) {
                    throw new IllegalArgumentException("--resume " + resume + " was made by a different run: its"
                            + " manifest's recipe (config, data, init weights, graph, plans) has SHA-256 "
                            + before.recipeSha256() + ", this one " + manifest.recipeSha256() + "; resume with the config"
                            + " and data that made it, or start a new run in another folder");
                }
                manifest = before;
            }
            boolean existed = resume != null || (folder.out != null && Files.exists(folder.out));
            Path dir = resume != null ? resume : OutputDir.prepare(folder.out, "train", folder.force);
            if (resume == null) {
                removeRunFiles(dir); // --force: the old run's files go, so nothing of it mixes with the new one
            }
            try {
                return run(stdout, yaml, cfg, experiment, data, dir, manifest, started);
            } catch (Exception e) {
                if (resume == null && !Files.exists(dir.resolve(CHECKPOINTS).resolve("LATEST"))) {
                    // nothing resumable was made: leave no half-made run behind
                    if (existed) {
                        removeRunFiles(dir);
                    } else {
                        AtomicFiles.deleteTree(dir);
                    }
                }
                throw e;
            }
        }
    }

    /** Files a run folder holds; removed before a forced rerun and after a run that failed before its first checkpoint. */
    private static void removeRunFiles(Path dir) throws java.io.IOException {
        for (String f : new String[] {CONFIG_FILE, RESOLVED_FILE, PLAN_FILE, WEIGHTS_FILE, METRICS_FILE, CHECKPOINTS,
                RunManifests.FILE, LABELS_FILE, NORMALIZATION_FILE}) {
            AtomicFiles.deleteTree(dir.resolve(f));
        }
    }

    private int run(PrintWriter stdout, byte[] yaml, ExperimentConfig cfg, Experiment experiment,
            ExperimentData data, Path dir, RunManifest manifest, long started) throws java.io.IOException {
        String sha = manifest.recipe().config().sha256();
        FreezePlan plan = experiment.plan();
        stdout.printf(Locale.ROOT, "config  %s (sha256 %s)%n", manifest.recipe().config().source(), sha.substring(0, 12));
        stdout.printf(Locale.ROOT, "data    train %,d examples, %d classes%s; %s%n", data.train().size(),
                data.train().numClasses(), data.labels() == null ? "" : " " + data.labels(),
                data.eval() == null ? "no evaluation set" : "eval " + String.format(Locale.ROOT, "%,d", data.eval().size()) + " examples");
        stdout.printf(Locale.ROOT, "model   %,d params: %,d trainable, %,d frozen, %,d buffers; %s state %,d B%n",
                plan.totalCount(), plan.trainableCount(), plan.frozenCount(), plan.bufferCount(),
                experiment.optimizer().name(), plan.optimizerBytes(experiment.optimizer()));
        stdout.printf(Locale.ROOT, "run     %s%n", dir);
        stdout.print(SwapOptions.lines(experiment));
        if (!swap.swaps.isEmpty()) {
            stdout.print(PlanCommand.explainStages(experiment)); // the plan of the swapped graph
        }
        stdout.flush();

        if (resume == null) {
            AtomicFiles.writeBytes(dir.resolve(CONFIG_FILE), yaml);
            AtomicFiles.writeString(dir.resolve(RESOLVED_FILE), cfg.toJson());
            AtomicFiles.writeString(dir.resolve(PLAN_FILE), PlanCommand.explainStages(experiment));
            if (data.labels() != null) {
                AtomicFiles.writeString(dir.resolve(LABELS_FILE), labelsJson(data.labels()));
            }
            if (data.normalization() != null) {
                AtomicFiles.writeString(dir.resolve(NORMALIZATION_FILE), data.normalization().toJson());
            }
            RunManifests.write(dir, manifest);
        } else {
            stdout.printf(Locale.ROOT, "resume  from the newest checkpoint in %s%n", dir.resolve(CHECKPOINTS));
        }

        ExperimentResult result = experiment.train(data, listener(stdout), dir.resolve(CHECKPOINTS),
                resume != null, manifest.recipeSha256(), Map.of(RUN_ID_KEY, manifest.id(), RECIPE_KEY, manifest.recipeSha256()));

        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(CONFIG_HASH_KEY, sha);
        metadata.put("floe.config", Path.of(manifest.recipe().config().source()).getFileName().toString());
        metadata.put("floe.seed", Long.toString(cfg.seed()));
        metadata.put(RECIPE_KEY, manifest.recipeSha256()); // not the run id: a reproduction writes the same bytes
        ModelWeights.save(experiment.graph(), dir.resolve(WEIGHTS_FILE), metadata);
        AtomicFiles.writeString(dir.resolve(METRICS_FILE), result.toJson(sha));
        RunManifests.write(dir, RunManifests.finish(manifest, experiment.graph(), result, dir.resolve(WEIGHTS_FILE),
                (System.nanoTime() - started) / 1e9));
        stdout.print(stageTable(result));
        EvalResult fin = result.training().finalEval();
        if (fin != null && fin.confusion() != null) {
            stdout.print(EvalText.macroF1Line(fin));
            stdout.print(EvalText.matrix(fin.confusion(), METRICS_FILE));
        }
        stdout.println(finalLine(result, dir));
        stdout.flush();
        return 0;
    }

    /** Per-epoch lines on {@code out}, and the progress bar on the terminal when wanted. */
    private TrainingListener listener(PrintWriter out) {
        ProgressListener bar = folder.progress("train");
        return new TrainingListener() {
            @Override
            public void epochStarted(int epoch, int total, int batches) {
                bar.epochStarted(epoch, total, batches);
            }

            @Override
            public void batchFinished(int epoch, int batch, int batches, double loss, double accuracy, double perSecond) {
                bar.batchFinished(epoch, batch, batches, loss, accuracy, perSecond);
            }

            @Override
            public void epochFinished(EpochMetrics m) {
                bar.epochFinished(m);
                out.println(epochLine(m, bar.epochs()));
                out.flush();
            }
        };
    }

    /** {@code {"labels": [...]}}: label {@code k} of the model's output is {@code labels[k]}. */
    static String labelsJson(java.util.List<String> labels) throws java.io.IOException {
        com.fasterxml.jackson.databind.node.ObjectNode root = dev.floe.io.Json.mapper().createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode list = root.putArray("labels");
        labels.forEach(list::add);
        return dev.floe.io.Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    static String epochLine(EpochMetrics m, int epochs) {
        String eval = Double.isNaN(m.evalAccuracy())
                ? ""
                : String.format(Locale.ROOT, "  eval loss %.4f acc %.3f", m.evalLoss(), m.evalAccuracy());
        return String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f acc %.3f%s  %.2f s  %.0f ex/s",
                m.epoch(), epochs, m.trainLoss(), m.trainAccuracy(), eval, m.seconds(), m.examplesPerSecond());
    }

    /** One row per stage: epochs run, best metric and epoch, early stop, seconds, trainable parameters. */
    static String stageTable(ExperimentResult r) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-20s %7s %12s %10s %8s %9s %9s %12s%n";
        sb.append(String.format(Locale.ROOT, fmt, "stage", "epochs", "best_metric", "best_epoch", "stopped", "restored",
                "seconds", "trainable"));
        for (dev.floe.train.StageResult st : r.training().stages()) {
            sb.append(String.format(Locale.ROOT, fmt, st.name(), st.epochs().size(),
                    Double.isFinite(st.bestMetric()) ? String.format(Locale.ROOT, "%.4f", st.bestMetric()) : "-",
                    st.bestEpoch() == 0 ? "-" : Integer.toString(st.bestEpoch()),
                    st.stoppedEarly() ? "early" : "budget",
                    st.restoredBest() ? "yes" : "no",
                    String.format(Locale.ROOT, "%.2f", st.seconds()),
                    String.format(Locale.ROOT, "%,d", st.trainableParams())));
        }
        return sb.toString();
    }

    static String finalLine(ExperimentResult r, Path dir) {
        EvalResult fin = r.training().finalEval();
        String eval = fin == null
                ? "no evaluation set"
                : String.format(Locale.ROOT, "eval accuracy %.3f (loss %.4f, %,d examples)", fin.accuracy(), fin.loss(),
                        fin.examples());
        return String.format(Locale.ROOT, "done: %s after %,d steps in %.1f s; wrote %s", eval, r.training().steps(),
                r.training().trainSeconds(), dir);
    }

    /** Runs {@code step}, attributing a config error it throws to the config file. */
    private static <T> T attributed(String source, Supplier<T> step) {
        try {
            return step.get();
        } catch (ConfigException e) {
            throw e.withSource(source);
        }
    }

    static String sha256(byte[] bytes) {
        return Hashing.sha256Hex(bytes);
    }
}
