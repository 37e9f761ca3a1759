package dev.floe.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.data.Examples;
import dev.floe.graph.ModelGraph;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Fingerprint;
import dev.floe.io.Hashing;
import dev.floe.io.Json;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serves the outputs of a frozen prefix so that later epochs, stages and experiments run only the
 * trainable part.
 *
 * <p>An entry is keyed by the {@link Fingerprint} of: this format's version, the prefix's component
 * names and boundary, the weights hash ({@link Fingerprint#weights}) of every prefix parameter and
 * buffer, and the data's {@link Examples#fingerprint()}. Any change in them misses. Disk entries
 * record the {@link #provenance} of the run that wrote them. Entries live in memory up to the
 * budget; beyond it, in the directory (when one is set) as raw little-endian float files with a
 * {@code meta.json} holding the version, shapes and SHA-256 of each file, written into a temporary
 * folder and renamed into place. A folder that is corrupted, half-written or of another version is
 * detected when opened, deleted and rebuilt, never used.
 *
 * <p>A {@linkplain #shared shared} cache writes every entry it computes to its directory, so that
 * other processes (the runs of a sweep) read it instead of computing it again. Several processes may
 * use one directory at once: an entry is computed under an exclusive lock on {@code KEY.lock} (a
 * process that wants an entry another one is computing waits for it and then reads it), each writer
 * fills its own temporary folder ({@code KEY.tmp-PID-N}) and renames it into place, a finished entry
 * is never replaced, and a temporary folder is removed only when the process that made it is gone.
 *
 * <p>One instance is not thread-safe.
 */
public final class FeatureCache implements AutoCloseable {

    /** Version written into keys and {@code meta.json}; a different one is never read. */
    public static final String FORMAT = "floe-feature-cache/1";
    /** Examples per prefix forward pass; larger batches ran 2–8× slower per example on one thread. */
    private static final int BATCH = 64;
    private static final ObjectMapper JSON = Json.mapper();
    /** Infix of a writer's temporary folder: {@code KEY.tmp-PID-N}. */
    private static final String TMP = ".tmp-";

    /**
     * Counters.
     *
     * @param hits entries served from memory or disk
     * @param misses entries computed
     * @param rebuilt disk entries found corrupted, half-written or of another version and rebuilt
     * @param computeSeconds time spent computing entries
     */
    public record Stats(long hits, long misses, long rebuilt, double computeSeconds) {}

    /** Serialises this JVM's holders of entry locks (a file lock is held per process, not per thread). */
    private static final Object LOCKS = new Object();
    /** Numbers the temporary folders this process writes. */
    private static final java.util.concurrent.atomic.AtomicLong TMP_SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    private final long memoryBudget;
    private final Path directory;
    private final boolean shared;
    private Map<String, String> provenance = Map.of();
    private final Map<String, Features> memory = new LinkedHashMap<>();
    private long memoryBytes;
    private long hits;
    private long misses;
    private long rebuilt;
    private double computeSeconds;

    private FeatureCache(long memoryBudget, Path directory, boolean shared) {
        this.memoryBudget = memoryBudget;
        this.directory = directory;
        this.shared = shared;
    }

    /**
     * A cache holding at most {@code bytes} in memory and nothing on disk.
     *
     * @param bytes memory budget in bytes for cached values; entries that do not fit are not cached
     * @return a new cache with empty counters
     */
    public static FeatureCache inMemory(long bytes) {
        return new FeatureCache(bytes, null, false);
    }

    /**
     * A cache holding at most {@code memoryBytes} in memory and the rest in {@code dir}.
     *
     * @param dir directory for entries beyond the memory budget; created when the first entry is
     *     written
     * @param memoryBytes memory budget in bytes before entries go to {@code dir}
     * @return a new cache with empty counters
     */
    public static FeatureCache onDisk(Path dir, long memoryBytes) {
        return new FeatureCache(memoryBytes, dir, false);
    }

    /**
     * A cache that writes every entry it computes into {@code dir} and reads entries other
     * processes wrote there; safe for several processes at once (see the class comment). Entries are
     * served memory-mapped from the directory.
     *
     * @param dir directory shared by the processes; created when the first entry is written
     * @return a new cache with empty counters
     */
    public static FeatureCache shared(Path dir) {
        return new FeatureCache(0, dir, true);
    }

    /**
     * Names recorded in the {@code meta.json} of every disk entry this cache writes from now on (for
     * example the run manifest's {@code floe.run_id} and {@code floe.recipe_sha256}), so an entry
     * tells which run made it. They play no part in the key.
     *
     * @param names key/value pairs to record; copied, later changes to the map are not seen
     * @return this cache
     */
    public FeatureCache provenance(Map<String, String> names) {
        this.provenance = Map.copyOf(names);
        return this;
    }

    /**
     * Counters so far.
     *
     * @return a snapshot of the hit, miss and rebuild counters; later lookups do not change it
     */
    public Stats stats() {
        return new Stats(hits, misses, rebuilt, computeSeconds);
    }

    /**
     * The prefix's boundary values for every example of {@code data}, from the cache or computed now
     * (in inference mode, which is how frozen components run).
     *
     * @param graph the graph whose prefix components compute the values
     * @param prefix the frozen prefix to cache, from {@link Prefix#of}; must be
     *     {@link Prefix#usable()}
     * @param data the examples, in the order the returned rows follow
     * @return null when the entry fits neither the memory budget nor a directory (then the caller
     *     runs the prefix as usual)
     */
    public Features features(ModelGraph graph, Prefix prefix, Examples data) {
        if (!prefix.usable()) {
            throw new IllegalArgumentException("the prefix cannot be cached: " + prefix.whyOff());
        }
        String key = key(graph, prefix, data);
        Features f = memory.get(key);
        if (f != null) {
            hits++;
            return f;
        }
        if (directory != null) {
            f = openFromDisk(key);
            if (f != null) {
                hits++;
                return f;
            }
        }
        if (shared) {
            f = computeShared(key, graph, prefix, data);
            memory.put(key, f); // memory-mapped: not counted against the memory budget
            return f;
        }
        f = computeTimed(graph, prefix, data);
        if (memoryBytes + f.bytes() <= memoryBudget) {
            memory.put(key, f);
            memoryBytes += f.bytes();
            return f;
        }
        if (directory != null) {
            writeToDisk(key, f);
            return openFromDisk(key);
        }
        return null;
    }

    /** Computes an entry, counting the miss and the time. */
    private Features computeTimed(ModelGraph graph, Prefix prefix, Examples data) {
        long start = System.nanoTime();
        Features f = compute(graph, prefix, data);
        double seconds = (System.nanoTime() - start) / 1e9;
        computeSeconds += seconds;
        misses++;
        return f.withComputeSeconds(seconds);
    }

    /**
     * Under the entry's file lock: reads the entry if another process wrote it meanwhile, else
     * computes and writes it.
     */
    private Features computeShared(String key, ModelGraph graph, Prefix prefix, Examples data) {
        try {
            Files.createDirectories(directory);
            synchronized (LOCKS) {
                try (FileChannel lockFile = FileChannel.open(directory.resolve(key + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                        java.nio.channels.FileLock lock = lockFile.lock()) {
                    Features done = openFromDisk(key);
                    if (done != null) {
                        hits++;
                        return done;
                    }
                    writeToDisk(key, computeTimed(graph, prefix, data));
                    Features written = openFromDisk(key);
                    if (written == null) {
                        throw new IllegalStateException("the feature cache entry " + directory.resolve(key)
                                + " did not read back after it was written; check the disk and remove the folder");
                    }
                    return written;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock feature cache entry " + directory.resolve(key) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The entry's key (exposed for tests and reports).
     *
     * @param graph the graph whose prefix weights enter the key
     * @param prefix the frozen prefix whose components and boundary enter the key
     * @param data the examples whose content enters the key
     * @return a hex digest that changes when the prefix weights, the boundary or the data change
     */
    public static String key(ModelGraph graph, Prefix prefix, Examples data) {
        List<Param> params = new ArrayList<>();
        for (Param p : graph.parameters().values()) {
            if (prefix.components().contains(p.path().substring(0, p.path().indexOf('/')))) {
                params.add(p);
            }
        }
        return Fingerprint.of(FORMAT)
                .putString(String.join(",", prefix.components()))
                .putString(String.join(",", prefix.boundary()))
                .putString(Fingerprint.weights(params))
                .putString(data.fingerprint())
                .hex();
    }

    private static Features compute(ModelGraph graph, Prefix prefix, Examples data) {
        int n = data.size();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, FloatBuffer> values = new LinkedHashMap<>();
        for (int from = 0; from < n; from += BATCH) {
            int to = Math.min(n, from + BATCH);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = from + i;
            }
            try (NDManager m = graph.manager().newSubManager()) {
                Map<String, NDArray> all = graph.forwardAll(data.inputs(m, idx), ForwardContext.INFERENCE, prefix.components());
                for (String b : prefix.boundary()) {
                    NDArray a = all.get(b);
                    long[] shape = a.getShape().getShape();
                    long[] row = java.util.Arrays.copyOfRange(shape, 1, shape.length);
                    int per = (int) new ai.djl.ndarray.types.Shape(row).size();
                    shapes.putIfAbsent(b, row);
                    FloatBuffer buf = values.computeIfAbsent(b, k -> FloatBuffer.allocate(Math.multiplyExact(n, per)));
                    buf.put(from * per, a.toFloatArray());
                }
            }
        }
        return new Features(n, shapes, values);
    }

    private void writeToDisk(String key, Features f) {
        try {
            Files.createDirectories(directory);
            Path tmp = directory.resolve(key + TMP + ProcessHandle.current().pid() + "-" + TMP_SEQUENCE.incrementAndGet());
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            ObjectNode meta = JSON.createObjectNode();
            meta.put("format", FORMAT);
            meta.put("rows", f.rows());
            meta.put("compute_seconds", f.computeSeconds());
            meta.set("provenance", JSON.valueToTree(new java.util.TreeMap<>(provenance)));
            ObjectNode files = meta.putObject("values");
            int i = 0;
            for (Map.Entry<String, FloatBuffer> e : f.values().entrySet()) {
                String name = "v" + (i++) + ".f32";
                FloatBuffer src = e.getValue();
                ByteBuffer bytes = ByteBuffer.allocate(4 * src.capacity()).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(src.duplicate().rewind());
                AtomicFiles.writeBytes(tmp.resolve(name), bytes.array());
                ObjectNode v = files.putObject(e.getKey());
                v.put("file", name);
                v.set("row_shape", JSON.valueToTree(f.rowShapes().get(e.getKey())));
                v.put("sha256", Hashing.sha256Hex(bytes.array()));
            }
            AtomicFiles.writeString(tmp.resolve("meta.json"), JSON.writeValueAsString(meta));
            Path target = directory.resolve(key);
            if (shared && openFromDisk(key) != null) {
                AtomicFiles.deleteTree(tmp); // a finished entry stays: another process may be reading it
                return;
            }
            AtomicFiles.deleteTree(target);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write feature cache entry in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Opens and verifies a disk entry; a bad one is deleted and null returned. */
    private Features openFromDisk(String key) {
        Path dir = directory.resolve(key);
        try {
            removeDeadWriters(key);
            if (!Files.isDirectory(dir)) {
                return null;
            }
            Path metaFile = dir.resolve("meta.json");
            JsonNode meta = Files.isRegularFile(metaFile) ? JSON.readTree(metaFile.toFile()) : null;
            if (meta == null || !FORMAT.equals(meta.path("format").asText())) {
                return discard(dir);
            }
            int rows = meta.get("rows").asInt();
            double seconds = meta.path("compute_seconds").asDouble(0);
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, FloatBuffer> values = new LinkedHashMap<>();
            var it = meta.get("values").fields();
            while (it.hasNext()) {
                var e = it.next();
                Path file = dir.resolve(e.getValue().get("file").asText());
                long[] row = JSON.convertValue(e.getValue().get("row_shape"), long[].class);
                if (!Files.isRegularFile(file)) {
                    return discard(dir);
                }
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
                    MessageDigest md = Hashing.sha256();
                    md.update(mapped.duplicate());
                    String sum = HexFormat.of().formatHex(md.digest());
                    long per = new ai.djl.ndarray.types.Shape(row).size();
                    if (!sum.equals(e.getValue().get("sha256").asText()) || ch.size() != 4L * per * rows) {
                        return discard(dir);
                    }
                    shapes.put(e.getKey(), row);
                    values.put(e.getKey(), mapped.asFloatBuffer());
                }
            }
            return new Features(rows, shapes, values).withComputeSeconds(seconds);
        } catch (IOException | RuntimeException e) {
            return discard(dir);
        }
    }

    /**
     * Removes the temporary folders of {@code key} whose writer is no longer running (killed while
     * writing); those of live writers stay. The old single {@code KEY.tmp} name has no writer id and
     * is always removed.
     */
    private void removeDeadWriters(String key) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(directory)) {
            for (Path tmp : s.filter(p -> p.getFileName().toString().startsWith(key + ".tmp")).toList()) {
                String rest = tmp.getFileName().toString().substring(key.length());
                if (rest.equals(".tmp") || rest.startsWith(TMP) && !writerAlive(rest.substring(TMP.length()))) {
                    AtomicFiles.deleteTree(tmp);
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // no directory yet: nothing to clean
        }
    }

    /** Whether the process named in a temporary folder's {@code PID-N} suffix still runs. */
    private static boolean writerAlive(String pidAndNumber) {
        int dash = pidAndNumber.indexOf('-');
        try {
            long pid = Long.parseLong(dash < 0 ? pidAndNumber : pidAndNumber.substring(0, dash));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private Features discard(Path dir) {
        rebuilt++;
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete bad feature cache entry " + dir + ": " + e.getMessage(), e);
        }
        return null;
    }

    /** Drops the in-memory entries (disk entries stay). */
    @Override
    public void close() {
        memory.clear();
        memoryBytes = 0;
    }
}
