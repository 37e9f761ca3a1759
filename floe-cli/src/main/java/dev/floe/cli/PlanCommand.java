package dev.floe.cli;

import dev.floe.config.ConfigException;
import dev.floe.run.Experiment;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.freeze.FreezePlan;
import dev.floe.io.AtomicFiles;
import java.io.PrintWriter;
import dev.floe.schedule.Stage;
import java.nio.file.Path;
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
 * {@code floe plan CONFIG [--params] [--json FILE]}: builds the config's model, resolves its freeze
 * policy and prints, per declared layer (with {@code --params}: per parameter tensor), whether it
 * trains, the deciding rule, its learning rate and its parameter and optimizer bytes. The config's data files are checked to exist and open for reading, but their
 * contents are not read (that would take as long as loading them); {@code floe train} checks them.
 * Nothing trains.
 */
@Command(
        name = "plan",
        mixinStandardHelpOptions = true,
        description = "Show which layers of an experiment config's model train and which are frozen (one line per"
                + " declared layer; --params: per parameter tensor), with the deciding rule, learning rate, parameter"
                + " and optimizer memory and whether the feature cache serves it. Checks that the data files"
                + " exist and are readable, without reading them. Exit code 2 when the config is invalid, a"
                + " policy rule matches no parameter or a data file is missing or unreadable.")
final class PlanCommand implements Callable<Integer> {

    /** The {@code --json} value meaning standard output. */
    static final String STDOUT = "-";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment config (YAML)")
    Path config;

    @Option(names = "--json", paramLabel = "FILE",
            description = "write the plan as JSON to FILE (atomically); '-' prints the JSON instead of the table")
    String json;

    @Option(names = "--params", description = "one line per parameter tensor instead of one per layer")
    boolean params;

    @picocli.CommandLine.Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @picocli.CommandLine.Mixin
    SwapOptions swap = new SwapOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ExperimentConfig cfg = ExperimentConfig.load(config);
        try (Experiment experiment = build(cfg, config, registryOptions, swap.swaps)) {
            Map<String, Path> files = dataFiles(cfg, config);
            if (STDOUT.equals(json)) {
                out.println(jsonStages(experiment, cfg));
            } else {
                out.print(SwapOptions.lines(experiment));
                out.print(params ? explainStages(experiment, true) : explainStages(experiment, cfg));
                out.print(dataLines(files));
                if (json != null) {
                    Path file = Path.of(json);
                    AtomicFiles.writeString(file, jsonStages(experiment, cfg) + "\n");
                    out.println("wrote " + file);
                }
            }
        }
        out.flush();
        return 0;
    }

    /** The config's data files, checked to exist and be readable; errors name the config file and key. */
    static Map<String, Path> dataFiles(ExperimentConfig cfg, Path configFile) {
        try {
            return ExperimentData.locate(cfg, folderOf(configFile));
        } catch (ConfigException e) {
            throw e.withSource(configFile.toString());
        }
    }

    /** Which data files were found, and that only their presence was checked. */
    static String dataLines(Map<String, Path> files) {
        StringBuilder sb = new StringBuilder("data files: found and readable (contents not read; floe train checks them)")
                .append(System.lineSeparator());
        files.forEach((key, path) -> sb.append(String.format(Locale.ROOT, "  %-18s %s%n", key, path)));
        return sb.toString();
    }

    /** Every stage's plan as a table of parameter tensors (a single stage prints just its table). */
    static String explainStages(Experiment experiment) {
        return explainStages(experiment, true);
    }

    /**
     * Every stage's plan as a table (a single stage prints just its table): one row per parameter
     * tensor when {@code params}, else one per declared layer.
     */
    static String explainStages(Experiment experiment, boolean params) {
        return explainStages(experiment, plan -> params
                ? plan.explain(experiment.optimizer())
                : plan.explainLayers(experiment.optimizer(), cachedComponents(plan)));
    }

    /**
     * Every stage's per-layer table with the checkpointed and activation-bytes columns of
     * {@link #activations} for one {@code training.batch_size} batch, each followed by its activation
     * totals (or why they were not estimated).
     */
    static String explainStages(Experiment experiment, ExperimentConfig cfg) {
        return explainStages(experiment, plan -> {
            Activations a = activations(experiment, cfg, plan);
            return plan.explainLayers(experiment.optimizer(), cachedComponents(plan), a.bySegment()) + a.line();
        });
    }

    private static String explainStages(Experiment experiment, java.util.function.Function<FreezePlan, String> table) {
        List<FreezePlan> plans = experiment.plans();
        StringBuilder sb = new StringBuilder();
        experiment.peftSummary().forEach(line -> sb.append(line).append(System.lineSeparator()));
        if (plans.size() == 1) {
            return sb + table.apply(plans.get(0)) + cacheLine(plans.get(0));
        }
        List<Stage> stages = experiment.schedule().stages();
        for (int i = 0; i < plans.size(); i++) {
            Stage st = stages.get(i);
            sb.append(String.format(Locale.ROOT, "== stage %d/%d: %s — %d epoch(s), lr %s%s%n", i + 1, plans.size(),
                    st.name(), st.epochs(), st.lr().describe(),
                    st.earlyStopping() == null ? "" : ", early stopping " + st.earlyStopping()));
            sb.append(table.apply(plans.get(i)));
            sb.append(cacheLine(plans.get(i)));
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }

    /**
     * What one {@code training.batch_size} batch keeps for backward under {@code plan} (measured on one
     * all-zero batch, so it needs every symbolic input dimension other than {@code batch} fixed).
     *
     * @param bySegment per component and checkpointable layer; empty when not estimated
     * @param segments the same, as JSON-ready rows ({@code path, checkpointed, bytes, kept_bytes})
     * @param line one line: batch, checkpointed segments and the totals without and with checkpointing,
     *     or why nothing was estimated
     */
    record Activations(Map<String, dev.floe.freeze.LayerActivation> bySegment, String line,
            dev.floe.train.ActivationEstimate estimate) {}

    static Activations activations(Experiment experiment, ExperimentConfig cfg, FreezePlan plan) {
        String nl = System.lineSeparator();
        dev.floe.train.GradientCheckpointing ckpt =
                dev.floe.train.GradientCheckpointing.of(experiment.graph(), cfg.checkpointing());
        dev.floe.train.ActivationEstimate est;
        try {
            est = dev.floe.train.ActivationEstimate.measure(experiment.graph(), plan.trainingContext(), ckpt,
                    dims(experiment, cfg));
        } catch (IllegalArgumentException e) {
            return new Activations(Map.of(), "activation memory: not estimated (" + e.getMessage() + ")" + nl, null);
        }
        Map<String, dev.floe.freeze.LayerActivation> by = new java.util.LinkedHashMap<>();
        for (dev.floe.train.ActivationEstimate.Row r : est.rows()) {
            by.put(r.path(), new dev.floe.freeze.LayerActivation(r.checkpointed(), r.bytes(), r.keptBytes()));
        }
        Long seq = dims(experiment, cfg).get("seq");
        String line = String.format(Locale.ROOT,
                "activation memory kept for backward (act_B, act_kept_B), batch %d%s (checkpointing: %s): %s without"
                        + " checkpointing, %s with%n", cfg.training().batchSize(),
                seq == null ? "" : ", seq " + seq + " (the longest a batch of texts can be)",
                cfg.checkpointing().isEmpty() ? "none" : String.join(", ", cfg.checkpointing()),
                dev.floe.train.ActivationEstimate.mib(est.totalBytes()), dev.floe.train.ActivationEstimate.mib(est.totalKeptBytes()));
        return new Activations(by, line, est);
    }

    /** The components whose outputs the feature cache serves under this plan (none when it is off). */
    static java.util.Set<String> cachedComponents(FreezePlan plan) {
        dev.floe.cache.Prefix p = dev.floe.cache.Prefix.of(plan, plan.graph().outputs().keySet());
        return p.usable() ? java.util.Set.copyOf(p.components()) : java.util.Set.of();
    }

    /** Whether the frozen prefix's outputs can be cached in this plan, and why not. */
    static String cacheLine(FreezePlan plan) {
        dev.floe.cache.Prefix p = dev.floe.cache.Prefix.of(plan, plan.graph().outputs().keySet());
        return p.usable()
                ? "feature cache: on — frozen prefix " + p.components() + " computed once, training starts at " + p.boundary()
                        + System.lineSeparator()
                : "feature cache: off — " + p.whyOff() + System.lineSeparator();
    }

    /**
     * One plan (single stage) or {@code {"stages": [{"name", "epochs", "plan"}...]}}; each plan has
     * {@code "activations"}: {@code batch}, {@code checkpointing}, {@code segments} (per component and
     * checkpointable layer: {@code path, checkpointed, bytes, kept_bytes}), {@code total_bytes} and
     * {@code total_kept_bytes}, or {@code not_estimated} with the reason.
     */
    static String jsonStages(Experiment experiment, ExperimentConfig cfg) throws java.io.IOException {
        List<FreezePlan> plans = experiment.plans();
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        java.util.function.Function<FreezePlan, com.fasterxml.jackson.databind.JsonNode> planJson = plan -> {
            try {
                com.fasterxml.jackson.databind.node.ObjectNode n =
                        (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(plan.toJson(experiment.optimizer()));
                n.set("activations", activationsJson(mapper, experiment, cfg, activations(experiment, cfg, plan)));
                return n;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        if (plans.size() == 1) {
            return mapper.writeValueAsString(planJson.apply(plans.get(0)));
        }
        com.fasterxml.jackson.databind.node.ObjectNode root = mapper.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode arr = root.putArray("stages");
        for (int i = 0; i < plans.size(); i++) {
            Stage st = experiment.schedule().stages().get(i);
            com.fasterxml.jackson.databind.node.ObjectNode n = arr.addObject();
            n.put("name", st.name());
            n.put("epochs", st.epochs());
            n.put("lr_schedule", st.lr().describe());
            n.set("plan", planJson.apply(plans.get(i)));
        }
        return mapper.writeValueAsString(root);
    }

    /**
     * Sizes of the symbolic input dimensions for the estimate: {@code batch} is
     * {@code training.batch_size}; for text data, {@code seq} is {@code data.max_tokens} (default: 128,
     * at most the encoder's positions), the longest a batch can be (multi-task: the first task's data).
     */
    private static Map<String, Long> dims(Experiment experiment, ExperimentConfig cfg) {
        Map<String, Long> dims = new java.util.LinkedHashMap<>();
        dims.put("batch", (long) cfg.training().batchSize());
        // a multi-task config has no top-level data: the primary (first) task's data sets the lengths
        ExperimentConfig.Data data = cfg.data() != null ? cfg.data() : cfg.tasks().get(0).data();
        if ("text".equals(data.format())) {
            long positions = experiment.graph().components().stream()
                    .filter(c -> c instanceof dev.floe.components.TransformerEncoder)
                    .mapToLong(c -> ((dev.floe.components.TransformerEncoder) c).config().maxPositions())
                    .min().orElse(Long.MAX_VALUE);
            dims.put("seq", data.maxTokens() != null ? (long) data.maxTokens()
                    : Math.min(ExperimentConfig.Data.DEFAULT_MAX_TOKENS, positions));
        }
        return dims;
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode activationsJson(
            com.fasterxml.jackson.databind.ObjectMapper mapper, Experiment experiment, ExperimentConfig cfg, Activations a) {
        com.fasterxml.jackson.databind.node.ObjectNode n = mapper.createObjectNode();
        dims(experiment, cfg).forEach(n::put);
        cfg.checkpointing().forEach(n.putArray("checkpointing")::add);
        if (a.estimate() == null) {
            n.put("not_estimated", a.line().strip());
            return n;
        }
        com.fasterxml.jackson.databind.node.ArrayNode rows = n.putArray("segments");
        for (dev.floe.train.ActivationEstimate.Row r : a.estimate().rows()) {
            rows.addObject().put("path", r.path()).put("checkpointed", r.checkpointed()).put("bytes", r.bytes())
                    .put("kept_bytes", r.keptBytes());
        }
        n.put("total_bytes", a.estimate().totalBytes());
        n.put("total_kept_bytes", a.estimate().totalKeptBytes());
        return n;
    }

    /** {@link Experiment#build} with relative paths taken from the config's folder and errors naming the file. */
    static Experiment build(ExperimentConfig cfg, Path configFile) {
        return build(cfg, configFile, new RegistryCommandOptions());
    }

    /** As {@link #build(ExperimentConfig, Path)}, resolving {@code from: "registry:..."} components in {@code registry}. */
    static Experiment build(ExperimentConfig cfg, Path configFile, RegistryCommandOptions registry) {
        return build(cfg, configFile, registry, Map.of());
    }

    /** As {@link #build(ExperimentConfig, Path, RegistryCommandOptions)}, with {@code --swap}s (component to version). */
    static Experiment build(ExperimentConfig cfg, Path configFile, RegistryCommandOptions registry,
            Map<String, String> swaps) {
        try (dev.floe.registry.RegistrySource source = registry.source()) {
            return Experiment.build(cfg, folderOf(configFile), source, swaps);
        } catch (ConfigException e) {
            throw e.withSource(configFile.toString());
        }
    }

    /** The folder relative paths in a config start from. */
    static Path folderOf(Path configFile) {
        return configFile.toAbsolutePath().normalize().getParent();
    }
}
