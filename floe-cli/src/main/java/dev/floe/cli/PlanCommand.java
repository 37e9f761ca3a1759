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
                out.println(jsonStages(experiment));
            } else {
                out.print(SwapOptions.lines(experiment));
                out.print(explainStages(experiment, params));
                out.print(activationLines(experiment, cfg));
                out.print(dataLines(files));
                if (json != null) {
                    Path file = Path.of(json);
                    AtomicFiles.writeString(file, jsonStages(experiment) + "\n");
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
        List<FreezePlan> plans = experiment.plans();
        java.util.function.Function<FreezePlan, String> table = plan -> params
                ? plan.explain(experiment.optimizer())
                : plan.explainLayers(experiment.optimizer(), cachedComponents(plan));
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
     * Per component and layer: whether {@code checkpointing} checkpoints it and the bytes it keeps for
     * the backward pass of one {@code training.batch_size} batch without and with checkpointing
     * (measured on one all-zero batch under the first stage's plan).
     */
    static String activationLines(Experiment experiment, ExperimentConfig cfg) {
        String nl = System.lineSeparator();
        dev.floe.train.GradientCheckpointing ckpt =
                dev.floe.train.GradientCheckpointing.of(experiment.graph(), cfg.checkpointing());
        dev.floe.train.ActivationEstimate est;
        try {
            est = dev.floe.train.ActivationEstimate.measure(experiment.graph(),
                    experiment.plans().get(0).trainingContext(), ckpt,
                    Map.of("batch", (long) cfg.training().batchSize()));
        } catch (IllegalArgumentException e) {
            return "activation memory: not estimated (" + e.getMessage() + ")" + nl;
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "activation memory kept for backward, batch %d (checkpointing: %s)%n", cfg.training().batchSize(),
                cfg.checkpointing().isEmpty() ? "none" : String.join(", ", cfg.checkpointing())));
        String row = "  %-28s %-12s %12s %12s%n";
        sb.append(String.format(Locale.ROOT, row, "segment", "checkpointed", "without", "with"));
        for (dev.floe.train.ActivationEstimate.Row r : est.rows()) {
            sb.append(String.format(Locale.ROOT, row, r.path(), r.checkpointed() ? "yes" : "no",
                    dev.floe.train.ActivationEstimate.mib(r.bytes()), dev.floe.train.ActivationEstimate.mib(r.keptBytes())));
        }
        sb.append(String.format(Locale.ROOT, row, "total", "", dev.floe.train.ActivationEstimate.mib(est.totalBytes()),
                dev.floe.train.ActivationEstimate.mib(est.totalKeptBytes())));
        return sb.toString();
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

    /** One plan (single stage) or {@code {"stages": [{"name", "epochs", "plan"}...]}}. */
    static String jsonStages(Experiment experiment) throws java.io.IOException {
        List<FreezePlan> plans = experiment.plans();
        if (plans.size() == 1) {
            return plans.get(0).toJson(experiment.optimizer());
        }
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        com.fasterxml.jackson.databind.node.ObjectNode root = mapper.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode arr = root.putArray("stages");
        for (int i = 0; i < plans.size(); i++) {
            Stage st = experiment.schedule().stages().get(i);
            com.fasterxml.jackson.databind.node.ObjectNode n = arr.addObject();
            n.put("name", st.name());
            n.put("epochs", st.epochs());
            n.put("lr_schedule", st.lr().describe());
            n.set("plan", mapper.readTree(plans.get(i).toJson(experiment.optimizer())));
        }
        return mapper.writeValueAsString(root);
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
