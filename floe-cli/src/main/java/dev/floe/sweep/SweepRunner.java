package dev.floe.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Hashing;
import dev.floe.io.Json;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;

/**
 * Runs a {@link Sweep} into an output folder through a {@link SweepExecutor}, resumably.
 *
 * <p>The folder holds {@code configs/<id>.yaml} (each run's config), {@code runs/<id>/} (ordinary run
 * folders made by {@code floe train}), {@code feature-cache/} (shared by every run), {@code logs/}
 * (each worker's output and error) and {@value #STATE} (the run list with each run's status, rewritten
 * atomically as runs end). Run folders are recorded as absolute paths, so the state and the report
 * name them whatever the working directory of the sweep and of their reader.
 *
 * <p>Before anything runs, every run folder that exists is classified: finished with the same config
 * bytes and unchanged input files (their SHA-256 as its manifest records them) — skipped; unfinished
 * with a checkpoint and the same config — resumed ({@code floe train --resume}, which checks the rest
 * of the recipe); unfinished without a checkpoint — started again; anything else (made by a different
 * config) — refused, or with {@code force} replaced.
 */
public final class SweepRunner {

    /** The run list, rewritten as runs end. */
    public static final String STATE = "sweep-state.json";
    /** Layout version of {@value #STATE}. */
    public static final String STATE_FORMAT = "floe-sweep-state/1";
    static final String RUNS = "runs";
    static final String CONFIGS = "configs";
    static final String CACHE = "feature-cache";
    static final String LOGS = "logs";
    private static final String METRICS = "metrics.json";
    private static final ObjectMapper JSON = Json.mapper();

    private SweepRunner() {}

    /** What to do with a run folder found at the start. */
    private enum Found { NONE, DONE, RESUME, RESTART, STALE }

    /**
     * Runs every run of the sweep that has not finished, {@code executor.parallelism()} at once, seed
     * by seed (all variants of the first seed, then of the next).
     *
     * @param sweep the sweep
     * @param executor runs the variants
     * @param listener told of each run's progress
     * @throws IOException if a run folder or the sweep's summary cannot be written
     * @param out the sweep's output folder
     * @param force reuse a folder that holds something else than this sweep's runs, and replace run
     *     folders made by a different config
     * @param extraArguments further {@code floe train} arguments for every run
     * @return every run, in sweep order, with how it ended
     * @throws IllegalArgumentException before anything runs, when {@code out} cannot be used (naming
     *     why and the fix)
     */
    public static List<SweepRun> run(Sweep sweep, Path out, SweepExecutor executor, boolean force,
            List<String> extraArguments, RunListener listener) throws IOException {
        prepare(sweep, out, force);
        List<SweepRun> runs = new ArrayList<>();
        List<RunSpec> todo = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        Map<String, byte[]> configs = new LinkedHashMap<>();
        Map<String, Found> found = new LinkedHashMap<>();
        for (Variant v : sweep.variants()) {
            for (long seed : sweep.seeds()) {
                String id = v.name() + "-s" + seed;
                // absolute: sweep-state.json and sweep.json name the run wherever they are read from
                Path dir = out.toAbsolutePath().normalize().resolve(RUNS).resolve(id);
                byte[] config = sweep.configBytes(v, seed);
                Found f = classify(dir, config);
                configs.put(id, config);
                found.put(id, f);
                if (f == Found.STALE) {
                    stale.add(id);
                }
                runs.add(new SweepRun(id, v.name(), v.axes(), seed, dir,
                        f == Found.DONE ? SweepRun.SKIPPED : SweepRun.PENDING, null, 0));
            }
        }
        if (!stale.isEmpty() && !force) {
            throw new IllegalArgumentException(out.resolve(RUNS) + " holds runs made by a different config than the"
                    + " sweep gives them now: " + String.join(", ", stale) + "; give another --out, or add --force to"
                    + " replace them (finished runs whose config is unchanged are kept)");
        }
        for (SweepRun r : runs) {
            Found f = found.get(r.id());
            Path config = out.resolve(CONFIGS).resolve(r.id() + ".yaml");
            AtomicFiles.writeBytes(config, configs.get(r.id()));
            if (f == Found.DONE) {
                continue;
            }
            if (f == Found.RESTART || f == Found.STALE) {
                AtomicFiles.deleteTree(r.dir());
            }
            todo.add(new RunSpec(r.id(), r.variant(), r.axes(), r.seed(), config.toAbsolutePath(), sweep.baseDir(),
                    r.dir().toAbsolutePath(), out.resolve(CACHE).toAbsolutePath(), f == Found.RESUME, extraArguments));
        }
        // seed by seed: the variants of one seed finish together (comparable early) and share its prefix features
        todo.sort(java.util.Comparator.comparingInt(r -> sweep.seeds().indexOf(r.seed())));
        Files.createDirectories(out.resolve(RUNS));
        writeState(sweep, out, runs);

        BlockingQueue<RunResult> ended = new LinkedBlockingQueue<>();
        for (RunSpec spec : todo) {
            executor.submit(spec, listener).whenComplete((result, failure) -> ended.add(result != null ? result
                    : new RunResult(spec, false, -1, "the executor failed: " + failure, 0)));
        }
        for (int i = 0; i < todo.size(); i++) {
            RunResult result;
            try {
                result = ended.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("the sweep was interrupted; run the same command again to resume it", e);
            }
            boolean done = result.finished() && Files.exists(result.spec().runDir().resolve(METRICS));
            String error = done ? null : result.error() != null ? result.error()
                    : "the worker exited normally but the run folder has no " + METRICS;
            for (int k = 0; k < runs.size(); k++) {
                if (runs.get(k).id().equals(result.spec().id())) {
                    runs.set(k, runs.get(k).with(done ? SweepRun.FINISHED : SweepRun.FAILED, error, result.seconds()));
                }
            }
            writeState(sweep, out, runs);
        }
        return runs;
    }

    /**
     * How many of the sweep's runs {@code out} already holds finished (and would skip).
     *
     * @param sweep the sweep
     * @param out the sweep's output folder
     * @return the number of finished runs
     */
    public static int finishedBefore(Sweep sweep, Path out) {
        int n = 0;
        for (Variant v : sweep.variants()) {
            for (long seed : sweep.seeds()) {
                Path dir = out.resolve(RUNS).resolve(v.name() + "-s" + seed);
                n += classify(dir, sweep.configBytes(v, seed)) == Found.DONE ? 1 : 0;
            }
        }
        return n;
    }

    /** Creates the folder, or checks that it holds this sweep (or nothing). */
    private static void prepare(Sweep sweep, Path out, boolean force) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file, expected a folder; choose another path");
        }
        Path state = out.resolve(STATE);
        if (Files.isRegularFile(state)) {
            JsonNode s;
            try {
                s = JSON.readTree(state.toFile());
            } catch (IOException e) {
                s = JSON.createObjectNode();
            }
            String before = s.path("sweep_file").asText("");
            String now = sweep.file().toAbsolutePath().normalize().toString();
            if (!before.equals(now) && !force) {
                throw new IllegalArgumentException("--out " + out + " holds the runs of the sweep " + (before.isEmpty()
                        ? "in an unreadable " + STATE : before) + ", not of " + now + "; give another --out, or add"
                        + " --force to run this sweep there");
            }
        } else if (Files.isDirectory(out) && !force) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.anyMatch(f -> !f.getFileName().toString().equals(SweepLock.FILE))) {
                    throw new IllegalArgumentException("--out " + out + " is not empty and holds no " + STATE + ", so it"
                            + " is not a sweep's folder; give another --out, or add --force to use it anyway");
                }
            }
        }
        Files.createDirectories(out);
    }

    /** What the run folder holds, compared with the config the run would get now. */
    private static Found classify(Path dir, byte[] config) {
        if (!Files.exists(dir)) {
            return Found.NONE;
        }
        boolean checkpoint = Files.exists(dir.resolve("checkpoints").resolve("LATEST"));
        RunManifest m;
        try {
            m = RunManifests.read(dir);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            return checkpoint ? Found.STALE : Found.RESTART;
        }
        boolean sameConfig = m.recipe().config() != null && Hashing.sha256Hex(config).equals(m.recipe().config().sha256());
        if (m.outcome() != null && Files.exists(dir.resolve(METRICS))) {
            return sameConfig && filesUnchanged(m) ? Found.DONE : Found.STALE;
        }
        if (!checkpoint) {
            return Found.RESTART; // killed before its first checkpoint: nothing to keep
        }
        return sameConfig ? Found.RESUME : Found.STALE;
    }

    private static boolean filesUnchanged(RunManifest m) {
        for (RunManifest.FileRecord f : m.recipe().files()) {
            try {
                if (!Hashing.sha256Hex(Path.of(f.path())).equals(f.sha256())) {
                    return false;
                }
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        return true;
    }

    /** Writes {@value #STATE} atomically. */
    static void writeState(Sweep sweep, Path out, List<SweepRun> runs) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", STATE_FORMAT);
        root.put("sweep_file", sweep.file().toAbsolutePath().normalize().toString());
        root.put("base", sweep.baseFile().toString());
        root.set("runs", runList(runs));
        AtomicFiles.writeString(out.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    /** The runs as a JSON list: id, variant, axes, seed, dir, status, error, seconds. */
    static ArrayNode runList(List<SweepRun> runs) {
        ArrayNode list = JSON.createArrayNode();
        for (SweepRun r : runs) {
            ObjectNode n = list.addObject();
            n.put("id", r.id());
            n.put("variant", r.variant());
            n.set("axes", JSON.valueToTree(r.axes()));
            n.put("seed", r.seed());
            n.put("dir", r.dir().toString());
            n.put("status", r.status());
            n.put("error", r.error());
            n.put("seconds", r.seconds());
        }
        return list;
    }
}
