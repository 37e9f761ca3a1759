package dev.floe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.engine.FloeEngine;
import dev.floe.engine.ProcessStats;
import dev.floe.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Runs B1-B6 in one process and writes {@value #RESULTS_FILE}.
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
        long start = System.nanoTime();
        FloeEngine.get();
        List<BenchResult> results = new ArrayList<>();
        results.add(MlpBench.run(settings, log));
        results.add(LoraBench.run(settings, log));
        results.add(ProgressiveBench.run(settings, log));
        results.addAll(PrefixBenches.runB2B1(settings, log));
        results.add(PrefixBenches.runB5(settings, log));
        results.sort(Comparator.comparing(BenchResult::id));
        double wall = (System.nanoTime() - start) / 1e9;
        Path file = outDir.resolve(RESULTS_FILE);
        try {
            AtomicFiles.writeString(file, json(settings, results, wall));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
        return new Report(settings, List.copyOf(results), ProcessStats.peakRssMb(), file, wall);
    }

    /** A fixed-width table of the results, one line per bench. */
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

    private static String fmt(double ms) {
        return String.format(Locale.ROOT, "%.3f", ms);
    }

    static String json(BenchSettings settings, List<BenchResult> results, double wallSeconds) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("format_version", FORMAT_VERSION);
        ObjectNode env = root.putObject("environment");
        env.put("engine_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        env.put("interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "default"));
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("java", System.getProperty("java.version"));
        env.put("os_arch", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("engine", FloeEngine.get().getEngineName() + " " + FloeEngine.get().getVersion());
        root.set("settings", mapper.valueToTree(settings));
        root.put("wall_seconds", wallSeconds);
        root.put("peak_rss_mb", ProcessStats.peakRssMb());
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
        }
        return mapper.writeValueAsString(root) + "\n";
    }
}
