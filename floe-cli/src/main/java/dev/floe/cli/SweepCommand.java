package dev.floe.cli;

import dev.floe.sweep.LocalProcessExecutor;
import dev.floe.sweep.Sweep;
import dev.floe.sweep.SweepLock;
import dev.floe.sweep.SweepProgress;
import dev.floe.sweep.SweepRun;
import dev.floe.sweep.SweepRunner;
import dev.floe.report.Report;
import dev.floe.report.ReportRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe sweep SWEEP.yaml --out DIR [--workers N] [--force]}: runs every variant × seed of a
 * sweep file as an ordinary {@code floe train} run in a worker process, then writes the report
 * ({@link #report}). Everything in the sweep file is checked before
 * anything runs. Running the same command again skips finished runs and resumes killed ones.
 * Exit code 0 when every run finished, 1 when some failed (each recorded with its error), 2 for bad
 * input.
 */
@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        description = "Run every variant x seed of a sweep file (a base config, axes or a variant list, seeds) as"
                + " ordinary runs in worker processes; finished runs are skipped and killed ones resumed when the same"
                + " command runs again. Exit code 0 when all runs finished, 1 when some failed, 2 for bad input"
                + " (nothing runs then).")
final class SweepCommand implements Callable<Integer> {

    static final String SWEEP_JSON = "sweep.json";
    static final String REPORT_HTML = "report.html";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SWEEP", description = "sweep file (YAML), e.g. examples/sweep.yaml")
    Path sweepFile;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "the sweep's folder: run folders, configs, shared feature cache, logs, sweep-state.json, sweep.json")
    Path out;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
            description = "runs at once, each in its own JVM (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--force",
            description = "use a folder that holds something else, and replace runs made by a different config")
    boolean force;

    @Option(names = "--no-progress", description = "no progress bars")
    boolean noProgress;

    @Option(names = "--worker-jvm-option", paramLabel = "OPTION",
            description = "an option for the worker JVMs after the ones this JVM was started with, e.g."
                    + " --worker-jvm-option=-Xmx2g; repeatable")
    List<String> workerJvmOptions = new ArrayList<>();

    @Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (workers < 1) {
            throw new IllegalArgumentException("--workers is " + workers + "; give at least 1");
        }
        Sweep sweep;
        try (dev.floe.registry.RegistrySource source = registryOptions.source()) {
            sweep = Sweep.load(sweepFile, source);
        }
        int total = sweep.variants().size() * sweep.seeds().size();
        stdout.printf(Locale.ROOT, "sweep   %s: %d variants x %d seeds = %d runs, %d worker(s); base %s%n", sweepFile,
                sweep.variants().size(), sweep.seeds().size(), total, workers, sweep.baseFile());
        stdout.flush();
        List<String> extra = new ArrayList<>();
        if (registryOptions.registry != null) {
            extra.addAll(List.of("--registry", registryOptions.registry));
        }
        if (registryOptions.blobs != null) {
            extra.addAll(List.of("--blobs", registryOptions.blobs.toAbsolutePath().toString()));
        }
        List<SweepRun> runs;
        // one sweep at a time per folder, from classifying its runs to writing the report
        try (SweepLock lock = SweepLock.acquire(out)) {
            int before = SweepRunner.finishedBefore(sweep, out);
            try (LocalProcessExecutor executor = new LocalProcessExecutor(FloeMain.class.getName(), workers,
                            workerJvmOptions, out.resolve("logs"));
                    SweepProgress progress = new SweepProgress(stdout, total, before,
                            !noProgress && System.console() != null)) {
                runs = SweepRunner.run(sweep, out, executor, force, extra, progress);
            }
            report(sweepFile.getFileName().toString(), runs, out);
        }
        long finished = runs.stream().filter(r -> SweepRun.FINISHED.equals(r.status())).count();
        long skipped = runs.stream().filter(r -> SweepRun.SKIPPED.equals(r.status())).count();
        List<SweepRun> failed = runs.stream().filter(r -> SweepRun.FAILED.equals(r.status())).toList();
        stdout.printf(Locale.ROOT, "done: %d run(s) finished, %d skipped (finished before), %d failed; wrote %s%n",
                finished, skipped, failed.size(), out.resolve(SWEEP_JSON));
        stdout.flush();
        if (!failed.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("floe: " + failed.size() + " of " + runs.size() + " runs failed (" + failed.get(0).id() + ": "
                    + failed.get(0).error() + "); their errors are in " + out.resolve(SWEEP_JSON)
                    + "; run the same command again to retry them");
            err.flush();
            return 1;
        }
        return 0;
    }

    /**
     * Writes the sweep's report into {@code out}: {@code sweep.json} (every number per run and per
     * variant) and {@code report.html}, through {@link Report}. A run that did not finish is given to
     * the report with its error, so the report marks it failed. The sweep's own run list (statuses,
     * worker seconds) is {@code sweep-state.json}.
     */
    static void report(String title, List<SweepRun> runs, Path out) throws IOException {
        boolean grid = isGrid(runs);
        List<ReportRun> reported = runs.stream()
                .map(r -> new ReportRun(r.variant(), grid ? r.axes() : Map.of(VARIANT_AXIS, r.variant()), r.seed(), r.dir(),
                        r.done() ? null : (r.error() == null ? "did not finish (" + r.status() + ")" : r.error())))
                .toList();
        Report.build(title, reported).write(out.resolve(SWEEP_JSON), out.resolve(REPORT_HTML));
    }

    /** The one axis of a sweep whose variants are not a grid: each variant is compared with the first. */
    static final String VARIANT_AXIS = "variant";

    /**
     * Whether the variants form a grid: all set the same keys and every combination of their values
     * occurs. Only then does "one axis changes, the others stay equal" compare anything; an explicit
     * variant list that is no grid is reported with one axis, the variant.
     */
    static boolean isGrid(List<SweepRun> runs) {
        java.util.Set<Map<String, String>> combos = new java.util.HashSet<>();
        Map<String, java.util.Set<String>> values = new java.util.LinkedHashMap<>();
        java.util.Set<String> keys = null;
        for (SweepRun r : runs) {
            if (keys == null) {
                keys = r.axes().keySet();
            } else if (!keys.equals(r.axes().keySet())) {
                return false;
            }
            combos.add(r.axes());
            r.axes().forEach((k, v) -> values.computeIfAbsent(k, x -> new java.util.HashSet<>()).add(v));
        }
        long product = 1;
        for (java.util.Set<String> v : values.values()) {
            product *= v.size();
        }
        return keys != null && !keys.isEmpty() && combos.size() == product;
    }
}
