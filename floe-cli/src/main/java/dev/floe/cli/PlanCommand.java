package dev.floe.cli;

import dev.floe.config.ConfigException;
import dev.floe.config.Experiment;
import dev.floe.config.ExperimentConfig;
import dev.floe.freeze.FreezePlan;
import dev.floe.io.AtomicFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe plan CONFIG [--json FILE]}: builds the config's model, resolves its freeze policy and
 * prints, per parameter, whether it trains, the deciding rule, its learning-rate scale and its
 * optimizer bytes. No data is read and nothing trains.
 */
@Command(
        name = "plan",
        mixinStandardHelpOptions = true,
        description = "Show which parameters of an experiment config's model train and which are frozen,"
                + " with the deciding rule, learning-rate scale and optimizer memory. Exit code 2 when the"
                + " config is invalid or a policy rule matches no parameter.")
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

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ExperimentConfig cfg = ExperimentConfig.load(config);
        try (Experiment experiment = build(cfg, config)) {
            FreezePlan plan = experiment.plan();
            if (STDOUT.equals(json)) {
                out.println(plan.toJson(experiment.optimizer()));
            } else {
                out.print(plan.explain(experiment.optimizer()));
                if (json != null) {
                    Path file = Path.of(json);
                    AtomicFiles.writeString(file, plan.toJson(experiment.optimizer()) + "\n");
                    out.println("wrote " + file);
                }
            }
        }
        out.flush();
        return 0;
    }

    /** {@link Experiment#build} with relative paths taken from the config's folder and errors naming the file. */
    static Experiment build(ExperimentConfig cfg, Path configFile) {
        try {
            return Experiment.build(cfg, folderOf(configFile));
        } catch (ConfigException e) {
            throw e.withSource(configFile.toString());
        }
    }

    /** The folder relative paths in a config start from. */
    static Path folderOf(Path configFile) {
        return configFile.toAbsolutePath().normalize().getParent();
    }
}
