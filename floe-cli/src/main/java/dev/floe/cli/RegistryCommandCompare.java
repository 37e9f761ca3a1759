package dev.floe.cli;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.registry.ComponentVersion;
import dev.floe.registry.VersionComparison;
import dev.floe.run.ExperimentResult;
import dev.floe.train.EvalResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code floe registry compare NAME@A NAME@B --config exp.yaml}: trains the config once with each
 * version swapped in (as {@code floe train --swap}) and prints their metrics side by side. Nothing
 * is written; each training is the one {@code floe train CONFIG --swap C=NAME@X} would run.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Train a config once with each version swapped in (as floe train --swap) and print the"
                + " metrics side by side; writes nothing.")
final class RegistryCommandCompare extends RegistryCommand.Sub {

    @Parameters(index = "0", paramLabel = "A", description = "first version, e.g. fmnist-encoder@1")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "second version, e.g. fmnist-encoder@prod")
    String b;

    @Option(names = "--config", required = true, paramLabel = "CONFIG", description = "experiment config (YAML)")
    Path config;

    @Option(names = "--component", paramLabel = "C",
            description = "the config's component to replace; default the versions' component name in their graph")
    String component;

    @Override
    int run(PrintWriter out) {
        ExperimentConfig cfg = ExperimentConfig.load(config);
        List<String> refs = List.of(a, b);
        VersionComparison compared;
        try {
            compared = VersionComparison.run(cfg, PlanCommand.folderOf(config), parent.location(), component, refs);
        } catch (ConfigException e) {
            throw e.withSource(config.toString());
        }
        String target = compared.component();
        List<ComponentVersion> versions = compared.runs().stream().map(VersionComparison.Run::version).toList();
        List<ExperimentResult> results = compared.runs().stream().map(VersionComparison.Run::result).toList();
        out.printf(Locale.ROOT, "%-16s %22s %22s%n", "component " + target, refs.get(0), refs.get(1));
        row(out, "version", versions, v -> v.ref().toString());
        rowResults(out, "eval accuracy", results, r -> eval(r) == null ? "-" : fmt("%.4f", eval(r).accuracy()));
        rowResults(out, "eval loss", results, r -> eval(r) == null ? "-" : fmt("%.4f", eval(r).loss()));
        rowResults(out, "eval examples", results, r -> eval(r) == null ? "-" : fmt("%,d", eval(r).examples()));
        rowResults(out, "steps", results, r -> fmt("%,d", r.training().steps()));
        rowResults(out, "trainable params", results, r -> fmt("%,d", r.trainableParams()));
        rowResults(out, "train seconds", results, r -> fmt("%.1f", r.training().trainSeconds()));
        return 0;
    }

    private static EvalResult eval(ExperimentResult r) {
        return r.training().finalEval();
    }

    private static String fmt(String format, Object value) {
        return String.format(Locale.ROOT, format, value);
    }

    private static void row(PrintWriter out, String label, List<ComponentVersion> vs,
            java.util.function.Function<ComponentVersion, String> f) {
        out.printf(Locale.ROOT, "%-16s %22s %22s%n", label, f.apply(vs.get(0)), f.apply(vs.get(1)));
    }

    private static void rowResults(PrintWriter out, String label, List<ExperimentResult> rs,
            java.util.function.Function<ExperimentResult, String> f) {
        out.printf(Locale.ROOT, "%-16s %22s %22s%n", label, f.apply(rs.get(0)), f.apply(rs.get(1)));
    }
}
