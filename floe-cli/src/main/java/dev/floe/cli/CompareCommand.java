package dev.floe.cli;

import dev.floe.run.RunDiff;
import dev.floe.run.RunManifests;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe compare RUN_A RUN_B}: what differs between two runs, from their manifests — config keys,
 * freeze plans per parameter and stage, component weight hashes, data, seed, results, costs and versions.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = "Show what differs between two runs (config keys, freeze plans, component hashes, data,"
                + " results, time and memory), read from their manifest.json files.")
final class CompareCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_A", description = "first run folder")
    Path a;

    @Parameters(index = "1", paramLabel = "RUN_B", description = "second run folder")
    Path b;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        RunDiff diff = RunDiff.of(RunManifests.read(a), RunManifests.read(b));
        stdout.print(diff.render(a.toString(), b.toString()));
        stdout.flush();
        return 0;
    }
}
