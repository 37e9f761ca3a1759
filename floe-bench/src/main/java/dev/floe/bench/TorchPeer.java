package dev.floe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Json;
import dev.floe.train.StepPhases;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a PyTorch eager peer script from {@code floe-bench/peers/} with Debian's {@code python3-torch}.
 *
 * <p>The interpreter is {@value #DEFAULT_PYTHON} unless {@code -Dfloe.bench.python} names another:
 * the {@code python3} found first on PATH may be a build without torch. The script is looked up in
 * {@code -Dfloe.bench.peers}, else in {@code floe-bench/peers} or {@code peers} above the working
 * folder or the running jar.
 *
 * <p>Every peer process runs with {@code OPENBLAS_NUM_THREADS}, {@code OMP_NUM_THREADS} and
 * {@code MKL_NUM_THREADS} set to 1 ({@link #PINNED_THREADS}): Debian's torch multiplies through
 * OpenBLAS, which ignores {@code torch.set_num_threads} and takes every core otherwise (a 1024²
 * product ran at about twice the one-core rate), so an unpinned peer is not a one-thread peer.
 * {@link Session} runs a peer's trials on request, so that a bench can interleave them with its own
 * arms instead of timing the peer once on the side.
 */
final class TorchPeer {

    static final String DEFAULT_PYTHON = "/usr/bin/python3";
    /** Environment every peer runs with: one BLAS and OpenMP thread. */
    static final Map<String, String> PINNED_THREADS =
            Map.of("OPENBLAS_NUM_THREADS", "1", "OMP_NUM_THREADS", "1", "MKL_NUM_THREADS", "1");
    private static final long TIMEOUT_SECONDS = 300;

    /** A started peer session, or null with the reason in {@code note}; else {@code note} describes the peer. */
    record Started(Session session, String note) {}

    /** A peer's measurement, or why there is none. */
    record Outcome(Double secondsPerStep, String note) {}

    private TorchPeer() {}

    /**
     * Why the peer cannot run here, or empty when it can: python with torch, and the script.
     */
    static Optional<String> unavailable(String script) {
        if (locate(script).isEmpty()) {
            return Optional.of("peer script " + script + " not found (looked in -Dfloe.bench.peers, floe-bench/peers"
                    + " and peers above the working folder and the jar)");
        }
        String python = python();
        Path log = null;
        try {
            // output goes to a file so that the timeout below can fire (reading a pipe would block until exit)
            log = Files.createTempFile("floe-bench-torch", ".log");
            Process p = new ProcessBuilder(python, "-c", "import torch, numpy").redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (!done || p.exitValue() != 0) {
                return Optional.of(python + " cannot import torch and numpy (" + lastLine(out)
                        + "); install Debian's python3-torch or set -Dfloe.bench.python");
            }
        } catch (IOException e) {
            return Optional.of(python + " did not start (" + e.getMessage() + "); install Debian's python3-torch"
                    + " or set -Dfloe.bench.python");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while checking " + python);
        } finally {
            deleteQuietly(log);
        }
        return Optional.empty();
    }

    /**
     * Writes {@code features} (row-major float32) and {@code labels} (int64) to temporary files, runs
     * {@code script} on them with {@code args} and reads {@code seconds_per_step} from the JSON it
     * prints. Any failure becomes a note, never an exception.
     */
    static Outcome run(String script, float[] features, int[] labels, List<String> args) {
        Optional<String> missing = unavailable(script);
        if (missing.isPresent()) {
            return new Outcome(null, "PyTorch peer skipped: " + missing.get());
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("floe-bench-peer");
            List<String> command = command(script, dir, features, labels);
            command.addAll(args);
            Path outFile = dir.resolve("out.txt");
            // output goes to a file so that the timeout can fire (reading a pipe would block until exit)
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(outFile.toFile());
            pb.environment().putAll(PINNED_THREADS);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(null, "PyTorch peer timed out after " + TIMEOUT_SECONDS + " s");
            }
            String out = Files.readString(outFile, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                return new Outcome(null, "PyTorch peer failed with exit code " + p.exitValue() + ": " + lastLine(out));
            }
            JsonNode json = Json.mapper().readTree(lastLine(out));
            return new Outcome(json.get("seconds_per_step").asDouble(),
                    "PyTorch " + json.path("torch_version").asText("?") + " eager, " + json.path("threads").asInt()
                            + " thread(s), BLAS " + json.path("blas").asText("unknown") + ", torch.optim.AdamW");
        } catch (IOException | RuntimeException e) {
            return new Outcome(null, "PyTorch peer failed: " + e.getMessage() + "; run the bench with --no-torch to leave it out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(null, "PyTorch peer interrupted");
        } finally {
            deleteQuietly(dir);
        }
    }

    /**
     * A running peer in {@code --serve} mode: {@link #trial()} asks it for one timed trial and
     * returns its seconds per step, so the peer's trials can sit between the bench's own.
     */
    static final class Session implements AutoCloseable {
        private final Process process;
        private final java.io.BufferedWriter in;
        private final java.io.BufferedReader out;
        private final Path dir;
        private final String description;
        /** The phases of every trial so far, summed; NONE when the peer reports none. */
        private StepPhases phases = StepPhases.NONE;

        /** {@code out} is the reader that already took the peer's set-up line (a second reader could lose buffered text). */
        private Session(Process process, java.io.BufferedReader out, Path dir, String description) {
            this.process = process;
            this.dir = dir;
            this.in = new java.io.BufferedWriter(new java.io.OutputStreamWriter(process.getOutputStream(),
                    StandardCharsets.UTF_8));
            this.out = out;
            this.description = description;
        }

        /** What runs: torch version, threads, BLAS. */
        String description() {
            return description;
        }

        /**
         * One timed trial of the peer.
         *
         * @return the peer's median-free seconds per step of this trial
         * @throws IllegalStateException if the peer exited or answered something else
         */
        double trial() {
            try {
                in.write("trial\n");
                in.flush();
                String line = out.readLine();
                if (line == null) {
                    throw new IllegalStateException("the PyTorch peer exited during a trial");
                }
                JsonNode json = Json.mapper().readTree(line);
                if (!json.path("seconds_per_step").isNumber()) {
                    throw new IllegalStateException("the PyTorch peer answered a trial with " + line
                            + ", expected a JSON object with seconds_per_step; run the peer script by hand to see why");
                }
                double seconds = json.get("seconds_per_step").asDouble();
                JsonNode p = json.path("phases");
                long steps = json.path("steps").asLong(0);
                if (p.isObject() && steps > 0) {
                    double data = p.path("data").asDouble(), fwd = p.path("forward").asDouble(),
                            bwd = p.path("backward").asDouble(), opt = p.path("optimizer").asDouble(),
                            met = p.path("metrics").asDouble(), total = seconds * steps;
                    phases = phases.plus(new StepPhases(steps, 0, data, fwd, bwd, opt, met,
                            Math.max(0, total - data - fwd - bwd - opt - met), total, 0));
                }
                return seconds;
            } catch (IOException e) {
                throw new UncheckedIOException("the PyTorch peer failed during a trial: " + e.getMessage(), e);
            }
        }

        /**
         * Where the peer's trials spent their time, summed over every trial so far (also warm-up
         * ones); {@link StepPhases#NONE} when the script reports no phases.
         *
         * @return the phases; native arrays are not counted for a peer (0)
         */
        StepPhases phases() {
            return phases;
        }

        /** Asks the peer to quit, then ends it and removes its temporary files. */
        @Override
        public void close() {
            quit(process, in, 10);
            deleteQuietly(dir);
        }
    }

    /**
     * Starts {@code script} in {@code --serve} mode on the features and labels (as {@link #run}),
     * with threads pinned, and waits for its set-up line.
     *
     * @return the session, or none with a note saying why
     */
    static Started start(String script, float[] features, int[] labels, List<String> args) {
        Optional<String> missing = unavailable(script);
        if (missing.isPresent()) {
            return new Started(null, "PyTorch peer skipped: " + missing.get());
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("floe-bench-peer");
            List<String> command = command(script, dir, features, labels);
            command.addAll(args);
            command.add("--serve");
            Path stderr = dir.resolve("stderr.txt");
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile());
            pb.environment().putAll(PINNED_THREADS);
            Process p = pb.start();
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = out.readLine();
            if (first == null) {
                p.destroyForcibly();
                int code = p.waitFor();
                String err = Files.readString(stderr, StandardCharsets.UTF_8).strip();
                deleteQuietly(dir);
                return new Started(null, "PyTorch peer failed to start (exit code " + code
                        + (err.isEmpty() ? "" : ": " + lastLine(err)) + "); check that " + python()
                        + " imports torch and numpy (Debian python3-torch), or run the bench with --no-torch");
            }
            JsonNode json = Json.mapper().readTree(first);
            String description = "PyTorch " + json.path("torch_version").asText("?") + " eager, "
                    + json.path("threads").asInt() + " thread(s), OPENBLAS_NUM_THREADS="
                    + json.path("openblas_threads").asText("?") + ", BLAS " + json.path("blas").asText("unknown")
                    + ", torch.optim.AdamW, trials interleaved with Floe's";
            return new Started(new Session(p, out, dir, description), description);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(dir);
            return new Started(null, "PyTorch peer failed to start: " + e.getMessage()
                    + "; run the bench with --no-torch to leave it out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            deleteQuietly(dir);
            return new Started(null, "PyTorch peer interrupted");
        }
    }

    /**
     * Writes {@code features} (row-major float32) and {@code labels} (int64, little-endian) into
     * {@code dir} and returns the command that runs {@code script} on those two files.
     */
    static List<String> command(String script, Path dir, float[] features, int[] labels) throws IOException {
        Path x = dir.resolve("features.f32");
        Path y = dir.resolve("labels.i64");
        ByteBuffer xb = ByteBuffer.allocate(features.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        xb.asFloatBuffer().put(features);
        Files.write(x, xb.array());
        ByteBuffer yb = ByteBuffer.allocate(labels.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int label : labels) {
            yb.putLong(label);
        }
        Files.write(y, yb.array());
        return new ArrayList<>(List.of(python(), locate(script).orElseThrow().toString(), x.toString(), y.toString()));
    }

    private static String python() {
        return System.getProperty("floe.bench.python", DEFAULT_PYTHON);
    }

    /** The script's path, searched as the class comment says. */
    static Optional<Path> locate(String script) {
        List<Path> roots = new ArrayList<>();
        String configured = System.getProperty("floe.bench.peers");
        if (configured != null) {
            Path p = Path.of(configured).resolve(script);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }
        roots.add(Path.of("").toAbsolutePath());
        try {
            roots.add(Path.of(TorchPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath());
        } catch (Exception e) {
            // no code source (unusual class loader): the working folder is still searched
        }
        for (Path root : roots) {
            for (Path dir = root; dir != null; dir = dir.getParent()) {
                for (Path candidate : List.of(dir.resolve("floe-bench/peers").resolve(script), dir.resolve("peers").resolve(script))) {
                    if (Files.isRegularFile(candidate)) {
                        return Optional.of(candidate);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1];
    }

    /**
     * Asks a peer in serve mode to quit (a {@code quit} line on its stdin), waits up to
     * {@code waitSeconds} for it to exit, and ends it forcibly if it has not.
     */
    static void quit(Process process, java.io.Writer in, long waitSeconds) {
        try {
            in.write("quit\n");
            in.flush();
        } catch (IOException e) {
            // the peer already exited
        }
        try {
            if (!process.waitFor(waitSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes a temporary file or folder of a peer; null or a failure to delete is ignored. */
    static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try {
            dev.floe.io.AtomicFiles.deleteTree(path);
        } catch (IOException e) {
            // a temporary file or folder left behind is harmless
        }
    }
}
