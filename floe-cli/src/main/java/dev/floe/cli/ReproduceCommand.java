package dev.floe.cli;

import dev.floe.run.RunDiff;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import dev.floe.run.Reproduction;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe reproduce RUN_DIR --out DIR}: reruns a run from its {@code manifest.json} alone and
 * shows how the new run differs from it.
 *
 * <p>Before anything runs, the manifest's config is checked against its hash and every file the run
 * read (data, init weights) against the SHA-256 it had then; a changed or missing file is an error
 * that names it. The rerun writes a normal run folder (with its own manifest, which names the run it
 * reproduces). On one engine thread the new weights file is byte-identical and the metrics equal.
 * Exit code 0 when config, plans, components, data and results are the same (times and memory may
 * differ), 3 when the rerun gave different results, 2 for bad input.
 */
@Command(
        name = "reproduce",
        mixinStandardHelpOptions = true,
        description = "Rerun a run from its manifest.json (config, data and init files checked first) and show what"
                + " differs. Exit 0 when the results are the same, 3 when they differ, 2 for bad input.")
final class ReproduceCommand implements Callable<Integer> {

    /** Exit code when the rerun's results differ from the original's. */
    static final int DIFFERENT = 3;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of the run to reproduce (holds manifest.json)")
    Path runDir;

    @Mixin
    RunFolderOptions folder = new RunFolderOptions();

    @Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        Path out = folder.out;
        if (out == null) {
            throw new IllegalArgumentException("give --out DIR, the folder for the new run (it must not be " + runDir + ")");
        }
        if (out.toAbsolutePath().normalize().equals(runDir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out " + out + " is the run being reproduced; give another folder");
        }
        RunManifest original = RunManifests.read(runDir);
        Reproduction reproduction = Reproduction.of(original);
        if (Files.exists(out)) {
            OutputDir.prepare(out, "reproduce", folder.force); // refuses a used folder before anything is printed
        }
        stdout.printf("reproduce %s (%s, recipe %s)%n", runDir, original.id(), original.recipeSha256().substring(0, 12));
        TrainCommand train = new TrainCommand();
        train.folder = folder;
        train.registryOptions = registryOptions;
        train.pinning = reproduction::pin; // a tag that moved since still gives the version the run used
        if (original.recipe().registry() != null) {
            // the run's --swap options, as given then
            for (RunManifest.SourcedRecord r : original.recipe().registry()) {
                if (r.key().startsWith("--swap ")) {
                    train.swap.swaps.put(r.component(), r.ref());
                }
            }
        }
        train.train(stdout, reproduction.configBytes(), reproduction.source(), reproduction.base(), original.id(),
                reproduction::checkData);
        RunManifest again = RunManifests.read(out);
        RunDiff diff = RunDiff.of(original, again);
        stdout.print(diff.render(runDir.toString(), out.toString()));
        boolean same = diff.sameRecipeAndResults();
        stdout.println(same
                ? "reproduced: same config, plans, components (weights before and after), data and results"
                : "NOT reproduced: see the sections above that differ");
        stdout.flush();
        return same ? 0 : DIFFERENT;
    }
}
