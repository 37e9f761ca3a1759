package dev.floe.cli;

import dev.floe.bench.BenchHarness;
import dev.floe.bench.BenchResult;
import dev.floe.bench.BenchSettings;
import dev.floe.bench.SoakResult;
import dev.floe.bench.SoakSettings;
import dev.floe.data.FashionMnist;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code floe bench}: B1-B6, Floe against its limits and peers, as ratios measured in one run; with
 * {@code --soak}, only S1, the native-memory soak.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Time Floe against its limits (bare DJL loops) and peers (PyTorch eager) in one process,"
                + " A/B interleaved after warm-up; writes bench-results.json with medians and ratios."
                + " --soak runs only S1: 10,000 training steps of the demo's encoder, live native arrays and RSS"
                + " every 500 steps, and whether they stay flat.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--out", description = "output folder (default: a new folder under runs/)")
    Path out;

    @Option(names = "--force", description = "overwrite an existing output folder")
    boolean force;

    @Option(names = "--quick", description = "smaller sizes and fewer trials (under a minute);"
            + " with --soak, 2,000 steps sampled every 100")
    boolean quick;

    @Option(names = "--soak", description = "run only S1, the native-memory soak (10,000 steps, several minutes)")
    boolean soak;

    @Option(names = "--no-torch", description = "skip the PyTorch peer")
    boolean noTorch;

    @Option(names = "--only", split = ",", paramLabel = "ID",
            description = "run only these benches, e.g. --only B7 or --only B1,B5 (B1 and B2 run together)")
    java.util.List<String> only = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (soak) {
            return soak();
        }
        java.util.Set<String> selected = new java.util.LinkedHashSet<>();
        for (String id : only) {
            String upper = id.strip().toUpperCase(java.util.Locale.ROOT);
            if (!BenchHarness.benchIds().contains(upper)) {
                System.err.println("floe: --only " + id + " is not a bench; benches are "
                        + String.join(", ", BenchHarness.benchIds()));
                return 2;
            }
            selected.add(upper);
        }
        Path dir = OutputDir.prepare(out, "bench", force);
        BenchSettings settings = quick ? BenchSettings.quick() : BenchSettings.full();
        if (noTorch) {
            settings = settings.withoutTorchPeer();
        }
        String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");
        System.out.println("floe bench (" + settings.name() + ", engine threads " + threads + ")");
        RunManifest manifest = RunManifests.startCommand("bench", settings, 0, Map.of());
        RunManifests.write(dir, manifest);
        BenchHarness.Report report = BenchHarness.run(settings, selected, dir, line -> System.out.println("  " + line));
        Map<String, Double> metrics = new TreeMap<>();
        for (BenchResult b : report.benches()) {
            if (b.ratioToLimit() != null) {
                metrics.put(b.id() + ".ratio_to_limit", b.ratioToLimit());
            }
            if (b.ratioToPeer() != null) {
                metrics.put(b.id() + ".ratio_to_peer", b.ratioToPeer());
            }
        }
        RunManifests.write(dir, RunManifests.finishCommand(manifest, metrics, 0, report.wallSeconds()));
        System.out.println();
        System.out.print(BenchHarness.table(report.benches()));
        String phases = BenchHarness.phaseTable(report.benches());
        if (!phases.isEmpty()) {
            System.out.println();
            System.out.println("phases of training steps (wall time per optimizer step):");
            System.out.print(phases);
        }
        System.out.printf(java.util.Locale.ROOT, "peak RSS %.0f MiB, %.0f s%n", report.peakRssMb(), report.wallSeconds());
        System.out.println("wrote " + report.results());
        return 0;
    }

    private Integer soak() throws Exception {
        Path datasets = FashionMnist.locateDatasets();
        Path dir = OutputDir.prepare(out, "soak", force);
        SoakSettings settings = quick ? SoakSettings.quick() : SoakSettings.full();
        String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");
        System.out.println("floe bench --soak (" + settings.name() + ", engine threads " + threads + ")");
        RunManifest manifest = RunManifests.startCommand("bench soak", settings, 0, Map.of());
        RunManifests.write(dir, manifest);
        BenchHarness.SoakReport report = BenchHarness.runSoak(settings, datasets, dir, line -> System.out.println("  " + line));
        SoakResult soak = report.soak();
        RunManifests.write(dir, RunManifests.finishCommand(manifest, Map.of(
                "array_growth", (double) soak.arrayGrowth(), "rss_growth_mb", soak.rssGrowthMb()), 0, report.wallSeconds()));
        System.out.println();
        System.out.print(BenchHarness.soakTable(report.soak()));
        System.out.printf(java.util.Locale.ROOT, "peak RSS %.0f MiB, %.0f s%n", report.peakRssMb(), report.wallSeconds());
        System.out.println("wrote " + report.results());
        return 0;
    }
}
