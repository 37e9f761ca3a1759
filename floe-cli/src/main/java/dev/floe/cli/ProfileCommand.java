package dev.floe.cli;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.profile.FreezeAdvice;
import dev.floe.profile.GradientProfiler;
import dev.floe.profile.LayerProfile;
import dev.floe.profile.Profile;
import dev.floe.profile.report.ProfileCharts;
import dev.floe.profile.report.ProfileHtml;
import dev.floe.run.Experiment;
import dev.floe.schedule.Stage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe profile CONFIG --out DIR [--steps N] [--force]}: profiles the gradient flow of the
 * config's first stage ({@link GradientProfiler}) and writes {@code profile.json}, PNG charts and
 * {@code profile.html} into DIR; prints the per-layer table, the freeze advice and the advice as
 * policy rules to paste into the config.
 */
@Command(
        name = "profile",
        mixinStandardHelpOptions = true,
        description = "Run a few training steps of the config's first stage with every parameter receiving gradients"
                + " (frozen ones measured, not updated) and report per layer: gradient norms, update/weight ratios,"
                + " gradient flow, dead activations, time and memory; then advise what to freeze, unfreeze or slow"
                + " down, as policy rules. Writes profile.json, charts and profile.html into --out. Exit code 2 when"
                + " the config is invalid or the folder holds files (without --force); nothing is written then.")
final class ProfileCommand implements Callable<Integer> {

    static final String JSON_FILE = "profile.json";
    static final String HTML_FILE = "profile.html";
    /** Default number of profiled steps. */
    static final int DEFAULT_STEPS = 50;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment config (YAML)")
    Path config;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "folder for profile.json, charts and profile.html")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "optimizer steps to profile (default: ${DEFAULT-VALUE})")
    int steps = DEFAULT_STEPS;

    @Option(names = "--force", description = "write into a folder that already holds files, replacing the profile's files")
    boolean force;

    @Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, found " + steps);
        }
        if (Files.exists(out)) {
            OutputDir.prepare(out, "profile", force); // refuses a used folder now, before any work
        }
        ExperimentConfig cfg = ExperimentConfig.load(config);
        Path base = PlanCommand.folderOf(config);
        try (Experiment experiment = PlanCommand.build(cfg, config, registryOptions)) {
            ExperimentData data;
            try {
                data = ExperimentData.load(cfg, base);
                experiment.check(data);
            } catch (ConfigException e) {
                throw e.withSource(config.toString());
            }
            Stage stage = experiment.schedule().stages().get(0);
            ExperimentConfig.Training t = cfg.training();
            stdout.printf(Locale.ROOT, "profiling stage %s: %d steps of batch %d (%s, lr %s, %s)%n", stage.name(), steps,
                    t.batchSize(), experiment.optimizer().name(), experiment.optimizer().lr(), stage.lr().describe());
            stdout.flush();
            Profile profile = GradientProfiler.builder()
                    .plan(experiment.plans().get(0))
                    .optimizer(experiment.optimizer())
                    .steps(steps)
                    .batchSize(t.batchSize())
                    .seed(cfg.seed())
                    .clipGradNorm(t.clipGradNorm())
                    .lrSchedule(stage.lr())
                    .build()
                    .run(data.train());
            FreezeAdvice advice = FreezeAdvice.of(profile);
            Map<String, byte[]> charts = ProfileCharts.render(profile);
            String json = Json.write(profile.toJson(advice));
            String html = ProfileHtml.render(config.getFileName().toString(), profile, advice, charts);
            Path dir = OutputDir.prepare(out, "profile", force);
            AtomicFiles.writeString(dir.resolve(JSON_FILE), json);
            for (Map.Entry<String, byte[]> c : charts.entrySet()) {
                AtomicFiles.writeBytes(dir.resolve(c.getKey()), c.getValue());
            }
            AtomicFiles.writeString(dir.resolve(HTML_FILE), html);
            stdout.print(table(profile));
            stdout.println();
            stdout.println("advice (* = differs from the profiled plan):");
            stdout.print(advice.explain());
            stdout.println();
            stdout.println("as policy rules (replace the config's policy, stages or progressive with these):");
            stdout.print(advice.policyYaml());
            stdout.println();
            stdout.printf("wrote %s, %s, %s%n", dir.resolve(JSON_FILE), String.join(", ", charts.keySet()),
                    dir.resolve(HTML_FILE));
        }
        stdout.flush();
        return 0;
    }

    /** One row per layer: state, gradient norm (mean, trend), flow, update ratio, dead ReLU share, time and memory. */
    static String table(Profile p) {
        int w = Math.max(5, p.layers().stream().mapToInt(l -> l.layer().length()).max().orElse(5));
        String fmt = "%-" + w + "s  %-6s %9s  %9s %7s  %8s  %9s  %6s  %7s %7s %9s%n";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, fmt, "layer", "state", "params", "grad_norm",
                "trend", "in/out", "update/w", "relu≤0", "fwd_ms", "bwd_ms", "act_KiB"));
        for (LayerProfile l : p.layers()) {
            sb.append(String.format(Locale.ROOT, fmt, l.layer(), l.state(), String.format(Locale.ROOT, "%,d", l.params()),
                    String.format(Locale.ROOT, "%.2e", l.gradNorm().mean()),
                    String.format(Locale.ROOT, "%+.0f%%", 100 * l.gradNorm().relativeTrend()),
                    l.gradInOutRatio() == null ? "-" : String.format(Locale.ROOT, "%.2e", l.gradInOutRatio()),
                    l.updateRatio() == null ? "-" : String.format(Locale.ROOT, "%.2e", l.updateRatio().mean()),
                    l.reluDeadShare() == null ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * l.reluDeadShare()),
                    String.format(Locale.ROOT, "%.2f", l.forwardMillis()), String.format(Locale.ROOT, "%.2f", l.backwardMillis()),
                    String.format(Locale.ROOT, "%.0f", l.activationBytes() / 1024)));
        }
        sb.append(String.format(Locale.ROOT, "loss %.4f → %.4f over %d steps; per step forward %.2f ms, backward %.2f ms%n",
                p.loss().perStep()[0], p.loss().perStep()[p.loss().perStep().length - 1], p.steps(), p.forwardMillis(),
                p.backwardMillis()));
        return sb.toString();
    }
}
