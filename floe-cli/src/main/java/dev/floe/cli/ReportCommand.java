package dev.floe.cli;

import dev.floe.report.Report;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe report RUN_DIR... --out FILE.html}: one self-contained HTML report (sortable table,
 * Pareto charts, accuracy bars, learning curves, per-variant comparisons) and its numbers as JSON,
 * from finished run folders. Runs made the same way but for the seed are one variant.
 */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = "Write one self-contained HTML report (sortable table, Pareto charts of accuracy against train"
                + " time and peak memory, accuracy bars, learning curves, comparisons) and sweep.json with every"
                + " number, from finished run folders. Runs whose recipes differ only in the seed form one variant;"
                + " a floe demo folder gives one variant per configuration it compared.")
final class ReportCommand implements Callable<Integer> {

    /** The JSON file's name when --json is not given: beside the page. */
    static final String DEFAULT_JSON = "sweep.json";

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "finished run folders (holding manifest.json)")
    List<Path> runs = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "the report page to write")
    Path out;

    @Option(names = "--json", paramLabel = "FILE.json",
            description = "where the numbers go (default: sweep.json beside the page)")
    Path json;

    @Option(names = "--title", paramLabel = "TEXT", description = "the page's heading (default: Floe report: N runs)")
    String title;

    @Option(names = "--force", description = "replace the page or JSON file if it exists")
    boolean force;

    @Override
    public Integer call() {
        Path jsonFile = json != null ? json : siblingJson(out);
        if (jsonFile.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--json and --out both name " + out + "; give the JSON file another name");
        }
        // the run folders first: a missing or wrong input is the first thing to fix, whatever the outputs
        Report report = Report.fromFolders(title != null ? title : "Floe report: " + runs.size()
                + (runs.size() == 1 ? " run folder" : " run folders"), runs);
        checkWritable(out, "--out");
        checkWritable(jsonFile, json != null ? "--json" : "the JSON file beside --out (" + DEFAULT_JSON + ")");
        report.write(jsonFile, out);
        PrintWriter stdout = spec.commandLine().getOut();
        report.summaries().forEach(stdout::println);
        stdout.println("wrote " + out + " and " + jsonFile + " (" + report.variantNames().size()
                + (report.variantNames().size() == 1 ? " variant)" : " variants)"));
        stdout.flush();
        return 0;
    }

    /** The nearest existing ancestor of {@code file} when it is a file (nothing can be created under it), else null. */
    private static Path existingAncestor(Path file) {
        Path p = file.toAbsolutePath().getParent();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null || Files.isDirectory(p) ? null : p;
    }

    private static Path siblingJson(Path page) {
        Path parent = page.toAbsolutePath().getParent();
        return parent == null ? Path.of(DEFAULT_JSON) : page.resolveSibling(DEFAULT_JSON);
    }

    /** Refuses a path that is a folder, or an existing file without --force, before anything is written. */
    private void checkWritable(Path file, String what) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(what + " " + file + " is a folder, expected a file path; name a file"
                    + " such as " + file.resolve(file == out ? "report.html" : DEFAULT_JSON));
        }
        Path blocking = existingAncestor(file);
        if (blocking != null) {
            throw new IllegalArgumentException(what + " " + file + " cannot be written: " + blocking
                    + " is a file, not a folder; choose another path");
        }
        if (Files.exists(file) && !force) {
            throw new IllegalArgumentException(file + " already exists (" + what + "); choose another path or add --force"
                    + " to replace it");
        }
    }
}
