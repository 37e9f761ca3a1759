package dev.floe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.engine.FloeEngine;
import dev.floe.engine.ProcessStats;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.train.StepPhases;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs B1-B12 in one process (B9's arms and B11's resident-set probes in child JVMs), or the S1
 * native-memory soak on its own, and writes {@value #RESULTS_FILE}.
 *
 * <p>Each bench times its arms interleaved after warm-up and reports medians; ratios are taken
 * within one run on one machine, so they compare, where absolute seconds would not. Engine threads
 * are whatever the JVM was started with ({@code -Dai.djl.pytorch.num_threads}; the launcher sets 1).
 */
public final class BenchHarness {

    /** File written into the output folder. */
    public static final String RESULTS_FILE = "bench-results.json";
    /** Version of the results file's layout. */
    public static final int FORMAT_VERSION = 1;

    /** What a run produced. */
    public record Report(BenchSettings settings, List<BenchResult> benches, double peakRssMb, Path results,
            double wallSeconds) {}

    private BenchHarness() {}

    /**
     * Runs every bench and writes the results file.
     *
     * @param settings sizes and repetitions
     * @param outDir an existing folder; {@value #RESULTS_FILE} in it is replaced atomically
     * @param log receives one progress line per bench
     * @return the results, sorted by id
     * @throws UncheckedIOException if the file cannot be written
     */
    public static Report run(BenchSettings settings, Path outDir, Consumer<String> log) {
        return run(settings, Set.of(), outDir, log);
    }

    /** The bench groups in the order they run; a group runs when one of its ids is selected. */
    private static final List<Group> GROUPS = List.of(
            new Group(List.of("B6"), (s, log) -> List.of(MlpBench.run(s, log))),
            new Group(List.of("B3"), (s, log) -> List.of(LoraBench.run(s, log))),
            new Group(List.of("B4"), (s, log) -> List.of(ProgressiveBench.run(s, log))),
            new Group(List.of("B1", "B2"), (s, log) -> PrefixBenches.runB2B1(s, log)),
            new Group(List.of("B5"), (s, log) -> List.of(PrefixBenches.runB5(s, log))),
            new Group(List.of("B7"), (s, log) -> ConvTrainBench.run(s, log)),
            new Group(List.of("B8"), (s, log) -> MiniLmBench.run(s, log)),
            new Group(List.of("B9"), (s, log) -> List.of(MemoryBench.run(s, log))),
            new Group(List.of("B10"), (s, log) -> List.of(ComputeBench.run(s, log))),
            new Group(List.of("B11"), (s, log) -> List.of(CheckpointBench.run(s, log))),
            new Group(List.of("B12"), (s, log) -> PeftMethodsBench.run(s, log)));
    /**
     * The bench ids that {@link #run(BenchSettings, Set, Path, Consumer)} accepts in {@code only}.
     *
     * @return the ids in the order the benches run (not sorted: benches that share set-up, such as
     *     {@code B1} and {@code B2}, are adjacent)
     */
    public static List<String> benchIds() {
        return GROUPS.stream().flatMap(g -> g.ids().stream()).toList();
    }

    /**
     * Runs the selected benches (all when {@code only} is empty) and writes the results file. Benches
     * that share set-up run together: selecting B1 also runs B2.
     *
     * @param settings sizes and repetitions
     * @param only bench ids such as {@code B7}; empty for all
     * @param outDir an existing folder; {@value #RESULTS_FILE} in it is replaced atomically
     * @param log receives one progress line per bench
     * @return the results, sorted by id
     * @throws IllegalArgumentException naming the id when {@code only} holds an unknown bench
     * @throws UncheckedIOException if the file cannot be written
     */
    public static Report run(BenchSettings settings, Set<String> only, Path outDir, Consumer<String> log) {
        for (String id : only) {
            if (!benchIds().contains(id)) {
                throw new IllegalArgumentException("no bench " + id + "; benches are " + String.join(", ", benchIds())
                        + "; pass some of them to --only, separated by commas");
            }
        }
        long start = System.nanoTime();
        FloeEngine.get();
        List<BenchResult> results = new ArrayList<>();
        for (Group g : GROUPS) {
            if (only.isEmpty() || g.ids().stream().anyMatch(only::contains)) {
                results.addAll(g.bench().run(settings, log));
            }
        }
        results.sort(Comparator.comparingInt(BenchHarness::number).thenComparing(BenchResult::id)); // B2 before B11
        double wall = (System.nanoTime() - start) / 1e9;
        Path file = outDir.resolve(RESULTS_FILE);
        try {
            AtomicFiles.writeString(file, json(settings, results, wall));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
        return new Report(settings, List.copyOf(results), ProcessStats.peakRssMb(), file, wall);
    }

    /** The number in a bench id ({@code B7.2t} -> 7). */
    private static int number(BenchResult r) {
        String digits = r.id().replaceAll("^\\D*(\\d+).*$", "$1");
        return digits.matches("\\d+") ? Integer.parseInt(digits) : Integer.MAX_VALUE;
    }

    /** Benches that run together and what runs them. */
    private record Group(List<String> ids, Bench bench) {}

    /** Runs one group of benches. */
    @FunctionalInterface
    private interface Bench {
        List<BenchResult> run(BenchSettings settings, Consumer<String> log);
    }

    /** What a soak run produced. */
    public record SoakReport(SoakResult soak, double peakRssMb, Path results, double wallSeconds) {}

    /**
     * Runs only S1, the native-memory soak, and writes the results file with an empty {@code benches}
     * list and a {@code soak} section.
     *
     * @return the soak's samples and verdicts
     * @param settings steps and sampling
     * @param datasets the {@code datasets/} folder holding the bundled Fashion-MNIST
     * @param outDir an existing folder; {@value #RESULTS_FILE} in it is replaced atomically
     * @param log receives the set-up line and one line per sample
     * @throws UncheckedIOException if the file cannot be written
     */
    public static SoakReport runSoak(SoakSettings settings, Path datasets, Path outDir, Consumer<String> log) {
        long start = System.nanoTime();
        FloeEngine.get();
        SoakResult soak = SoakBench.run(settings, datasets, log);
        double wall = (System.nanoTime() - start) / 1e9;
        Path file = outDir.resolve(RESULTS_FILE);
        try {
            ObjectMapper mapper = Json.mapper();
            ObjectNode root = root(mapper, wall, settings);
            root.putArray("benches");
            soakJson(root.putObject("soak"), soak);
            AtomicFiles.writeString(file, mapper.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
        return new SoakReport(soak, ProcessStats.peakRssMb(), file, wall);
    }

    /**
     * The soak's samples as a fixed-width table (step, live arrays, RSS, heap used and committed,
     * direct buffers, loss, seconds), then
     * the growth of each series from the baseline sample against its limit, and the verdict.
     *
     * @param soak the soak result
     * @return the text, lines ending in a newline
     */
    public static String soakTable(SoakResult soak) {
        StringBuilder sb = new StringBuilder();
        String head = "%6s %11s %9s %9s %9s %9s %8s %8s%n";
        sb.append(String.format(Locale.ROOT, head, "step", "live_arrays", "rss_mb", "heap_mb", "heap_cmt", "direct_mb",
                "loss", "seconds"));
        for (SoakResult.Sample x : soak.samples()) {
            sb.append(String.format(Locale.ROOT, "%6d %11d %9.1f %9.1f %9.1f %9.1f %8s %8.1f%n", x.step(),
                    x.liveArrays(), x.rssMb(), x.heapUsedMb(), x.heapCommittedMb(), x.directMb(),
                    Double.isNaN(x.loss()) ? "-" : String.format(Locale.ROOT, "%.4f", x.loss()), x.seconds()));
        }
        int base = soak.settings().baselineStep();
        sb.append(String.format(Locale.ROOT, "%s from step %d to the last sample: live arrays %+d (limit %d: %s),"
                        + " RSS %+.1f MiB at most (limit %.0f MiB: %s)%n",
                soak.id(), base, soak.arrayGrowth(), soak.arrayGrowthLimit(), soak.arraysFlat() ? "flat" : "GROWS",
                soak.rssGrowthMb(), soak.rssGrowthLimitMb(), soak.rssFlat() ? "flat" : "GROWS"));
        sb.append(String.format(Locale.ROOT, "%d steps in %.0f s (%.1f ms per step)%n", soak.settings().steps(),
                soak.trainSeconds(), soak.trainSeconds() / soak.settings().steps() * 1e3));
        return sb.toString();
    }

    /**
     * A fixed-width table of the results, one line per bench.
     *
     * @param results the results
     * @return the text, lines ending in a newline
     */
    public static String table(List<BenchResult> results) {
        StringBuilder sb = new StringBuilder();
        String head = "%-4s %-15s %12s %12s %9s %12s %9s %8s %5s%n";
        sb.append(String.format(Locale.ROOT, head, "id", "unit", "floe_ms", "limit_ms", "x_limit", "peer_ms", "x_peer",
                "target", "met"));
        for (BenchResult r : results) {
            sb.append(String.format(Locale.ROOT, head, r.id(), r.unit(), fmt(r.seconds() * 1e3),
                    r.limitSeconds() == null ? "-" : fmt(r.limitSeconds() * 1e3),
                    r.ratioToLimit() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.ratioToLimit()),
                    r.peerSeconds() == null ? "-" : fmt(r.peerSeconds() * 1e3),
                    r.ratioToPeer() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.ratioToPeer()),
                    r.target() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.target()),
                    r.met() ? "yes" : "no"));
        }
        return sb.toString();
    }

    /**
     * The phase split of every bench that has one: one line per arm with milliseconds per step
     * of batch assembly, forward, backward, optimizer, metric read-back and the rest.
     *
     * @param results the benches
     * @return the lines, or an empty string when no bench split its steps
     */
    public static String phaseTable(List<BenchResult> results) {
        StringBuilder sb = new StringBuilder();
        for (BenchResult r : results) {
            for (BenchResult.Phases p : r.phases()) {
                sb.append(String.format(Locale.ROOT, "%-6s %-16s %s%n", r.id(), p.arm(), p.split().perStepLine()));
            }
        }
        return sb.toString();
    }

    private static String fmt(double ms) {
        return String.format(Locale.ROOT, "%.3f", ms);
    }

    /** The file's head: version, environment, wall time, the process's peak RSS and the settings. */
    private static ObjectNode root(ObjectMapper mapper, double wallSeconds, Object settings) {
        ObjectNode root = mapper.createObjectNode();
        root.put("format_version", FORMAT_VERSION);
        ObjectNode env = root.putObject("environment");
        env.put("engine_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        env.put("interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "default"));
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("java", System.getProperty("java.version"));
        env.put("os_arch", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("engine", FloeEngine.get().getEngineName() + " " + FloeEngine.get().getVersion());
        root.put("wall_seconds", wallSeconds);
        root.put("peak_rss_mb", ProcessStats.peakRssMb());
        root.set("settings", mapper.valueToTree(settings));
        return root;
    }

    private static void soakJson(ObjectNode o, SoakResult soak) {
        o.put("id", soak.id());
        o.put("title", "native-memory soak: live native arrays and RSS over a long training run");
        o.put("model", soak.model());
        o.put("data", soak.data());
        o.put("batch", SoakSettings.BATCH);
        o.put("steps", soak.settings().steps());
        o.put("sample_every", soak.settings().sampleEvery());
        o.put("baseline_step", soak.settings().baselineStep());
        o.put("trainable_params", soak.trainableParams());
        ArrayNode arr = o.putArray("samples");
        for (SoakResult.Sample x : soak.samples()) {
            ObjectNode s = arr.addObject();
            s.put("step", x.step());
            s.put("live_arrays", x.liveArrays());
            s.put("rss_mb", x.rssMb());
            s.put("heap_used_mb", x.heapUsedMb());
            s.put("heap_committed_mb", x.heapCommittedMb());
            s.put("direct_mb", x.directMb());
            if (Double.isNaN(x.loss())) {
                s.putNull("loss");
            } else {
                s.put("loss", x.loss());
            }
            s.put("seconds", x.seconds());
        }
        o.put("array_growth", soak.arrayGrowth());
        o.put("array_growth_limit", soak.arrayGrowthLimit());
        o.put("arrays_flat", soak.arraysFlat());
        o.put("rss_growth_mb", soak.rssGrowthMb());
        o.put("rss_growth_limit_mb", soak.rssGrowthLimitMb());
        o.put("rss_flat", soak.rssFlat());
        o.put("train_seconds", soak.trainSeconds());
        o.put("wall_seconds", soak.wallSeconds());
        o.put("notes", "growth = the largest value of a sample after baseline_step minus the value at baseline_step;"
                + " samples are taken between optimizer steps, after the batch's arrays are closed; loss is the"
                + " trainer's running mean over the current epoch; RSS rises until the first young garbage"
                + " collection (Java heap pages touched for the first time, batch inputs' direct buffers awaiting"
                + " collection), so the baseline comes after it");
    }

    static String json(BenchSettings settings, List<BenchResult> results, double wallSeconds) throws IOException {
        ObjectMapper mapper = Json.mapper();
        ObjectNode root = root(mapper, wallSeconds, settings);
        ArrayNode arr = root.putArray("benches");
        for (BenchResult r : results) {
            ObjectNode o = arr.addObject();
            o.put("id", r.id());
            o.put("title", r.title());
            o.put("unit", r.unit());
            o.put("seconds", r.seconds());
            o.put("limit_seconds", r.limitSeconds());
            o.put("ratio_to_limit", r.ratioToLimit());
            o.put("peer", r.peer());
            o.put("peer_seconds", r.peerSeconds());
            o.put("ratio_to_peer", r.ratioToPeer());
            o.put("target", r.target());
            o.put("target_on", r.targetOn());
            o.put("met", r.met());
            o.put("notes", r.notes());
            BenchResult.Memory m = r.memory();
            ObjectNode mem = o.putObject("memory");
            mem.put("parameter_bytes", m.parameterBytes());
            mem.put("gradient_bytes", m.gradientBytes());
            mem.put("optimizer_bytes", m.optimizerBytes());
            mem.put("trainable_params", m.trainableParams());
            mem.put("peak_rss_mb", m.peakRssMb());
            ArrayNode phases = o.putArray("phases");
            for (BenchResult.Phases p : r.phases()) {
                ObjectNode ph = phases.addObject();
                ph.put("arm", p.arm());
                StepPhases x = p.split();
                ph.put("steps", x.steps());
                ph.put("examples", x.examples());
                ph.put("data_seconds", x.dataSeconds());
                ph.put("forward_seconds", x.forwardSeconds());
                ph.put("backward_seconds", x.backwardSeconds());
                ph.put("optimizer_seconds", x.optimizerSeconds());
                ph.put("metrics_seconds", x.metricsSeconds());
                ph.put("other_seconds", x.otherSeconds());
                ph.put("total_seconds", x.totalSeconds());
                ph.put("native_arrays", x.nativeArrays());
            }
            BenchResult.Activations a = r.activations();
            if (a != null) {
                ObjectNode act = o.putObject("activations");
                act.put("kept_bytes", a.keptBytes());
                act.put("peer_kept_bytes", a.peerKeptBytes());
                act.put("ratio", a.ratio());
                act.put("target", a.target());
                act.put("rss_growth_mb", a.rssGrowthMb());
                act.put("peer_rss_growth_mb", a.peerRssGrowthMb());
                act.put("rss_ratio", a.rssRatio());
            }
        }
        return mapper.writeValueAsString(root) + "\n";
    }
}
