package dev.floe.cli;

import dev.floe.bench.BenchHarness;
import dev.floe.bench.BenchSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code floe bench}: B1-B6, Floe against its limits and peers, as ratios measured in one run. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Time Floe against its limits (bare DJL loops) and peers (PyTorch eager) in one process,"
                + " A/B interleaved after warm-up; writes bench-results.json with medians and ratios.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--out", description = "output folder (default: a new folder under runs/)")
    Path out;

    @Option(names = "--force", description = "overwrite an existing output folder")
    boolean force;

    @Option(names = "--quick", description = "smaller sizes and fewer trials (under a minute)")
    boolean quick;

    @Option(names = "--no-torch", description = "skip the PyTorch peer")
    boolean noTorch;

    @Override
    public Integer call() throws Exception {
        Path dir = OutputDir.prepare(out, "bench", force);
        BenchSettings settings = quick ? BenchSettings.quick() : BenchSettings.full();
        if (noTorch) {
            settings = settings.withoutTorchPeer();
        }
        String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");
        System.out.println("floe bench (" + settings.name() + ", engine threads " + threads + ")");
        BenchHarness.Report report = BenchHarness.run(settings, dir, line -> System.out.println("  " + line));
        System.out.println();
        System.out.print(BenchHarness.table(report.benches()));
        System.out.printf(java.util.Locale.ROOT, "peak RSS %.0f MiB, %.0f s%n", report.peakRssMb(), report.wallSeconds());
        System.out.println("wrote " + report.results());
        return 0;
    }
}
