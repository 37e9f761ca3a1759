package dev.floe.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that writes a run folder shares: where, whether to replace, whether to draw progress. */
final class RunFolderOptions {

    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: a new folder under runs/)")
    Path out;

    @Option(names = "--force", description = "reuse a folder that holds a run, replacing the run's files")
    boolean force;

    @Option(names = "--no-progress", description = "no progress bars")
    boolean noProgress;

    /** A progress bar on the terminal, unless --no-progress or there is no terminal. */
    ProgressListener progress(String task) {
        return new ProgressListener(task, !noProgress && System.console() != null);
    }
}
