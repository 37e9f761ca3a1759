package dev.floe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch eager peer of B7 ({@code floe-bench/peers/conv_train.py}) as a live process that
 * trains one epoch per request, so that its epochs interleave with Floe's in one run.
 *
 * <p>The process is started with {@code OPENBLAS_NUM_THREADS}, {@code OMP_NUM_THREADS} and
 * {@code --threads} all set to the requested thread count (Debian's OpenBLAS ignores
 * {@code torch.set_num_threads}). While Floe's arm runs the peer waits on its stdin, and while the
 * peer trains the JVM waits on its stdout, so the arms never overlap.
 */
final class ConvPeer implements AutoCloseable {

    static final String SCRIPT = "conv_train.py";
    private static final long TIMEOUT_SECONDS = 300;

    /** One peer epoch: wall seconds, examples, and seconds per phase when the script timed them. */
    record Epoch(double seconds, long examples, Map<String, Double> phases) {}

    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final Path dir;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "conv-peer-reader");
        t.setDaemon(true);
        return t;
    });
    /** The set-up line the script printed first (torch version, BLAS, sizes). */
    final JsonNode setup;

    private ConvPeer(Process process, Path dir) throws IOException {
        this.process = process;
        this.dir = dir;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.setup = readJson();
    }

    /**
     * Starts the peer on a copy of the data, or says why it cannot run (python or torch missing,
     * script not found, start-up failed); never throws for those.
     *
     * @param features row-major float32 images {@code (N, channels, height, width)}
     * @param labels one class per image
     * @param threads engine threads for torch, OpenBLAS and OpenMP
     * @param args the script's model and optimizer arguments
     * @return the running peer, or the reason as the error text of an empty result
     */
    static Started start(float[] features, int[] labels, int threads, List<String> args) {
        Optional<String> missing = TorchPeer.unavailable(SCRIPT);
        if (missing.isPresent()) {
            return new Started(null, "PyTorch peer skipped: " + missing.get());
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("floe-bench-conv-peer");
            List<String> command = TorchPeer.command(SCRIPT, dir, features, labels);
            command.addAll(List.of("--threads", Integer.toString(threads), "--phases"));
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(dir.resolve("stderr.txt").toFile());
            pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("MKL_NUM_THREADS", Integer.toString(threads));
            // the peer runs PyTorch as its users do: stock allocator settings, whatever Floe's launcher chose
            pb.environment().remove("MALLOC_MMAP_THRESHOLD_");
            pb.environment().remove("MALLOC_TRIM_THRESHOLD_");
            return new Started(new ConvPeer(pb.start(), dir), null);
        } catch (IOException | RuntimeException e) {
            String err = dir == null ? "" : stderrTail(dir);
            TorchPeer.deleteQuietly(dir);
            return new Started(null, "PyTorch peer did not start: " + e.getMessage() + err);
        }
    }

    /**
     * A started peer or why there is none.
     *
     * @param peer the running peer, or null
     * @param why why there is no peer, or null
     */
    record Started(ConvPeer peer, String why) {}

    /** Trains one epoch over the whole data and returns what the script measured. */
    Epoch epoch() throws IOException {
        in.write("epoch\n");
        in.flush();
        JsonNode json = readJson();
        if (json.has("error")) {
            throw new IOException("peer: " + json.get("error").asText());
        }
        Map<String, Double> phases = new java.util.LinkedHashMap<>();
        json.path("phases").fields().forEachRemaining(e -> phases.put(e.getKey(), e.getValue().asDouble()));
        return new Epoch(json.get("seconds").asDouble(), json.get("examples").asLong(), phases);
    }

    private JsonNode readJson() throws IOException {
        Future<String> line = reader.submit(out::readLine);
        String text;
        try {
            text = line.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            line.cancel(true);
            throw new IOException("peer gave no answer within " + TIMEOUT_SECONDS + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("peer output could not be read: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the peer");
        }
        if (text == null) {
            throw new IOException("peer exited" + stderrTail(dir));
        }
        return Json.mapper().readTree(text);
    }

    private static String stderrTail(Path dir) {
        try {
            String err = Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8).strip();
            String[] lines = err.split("\n");
            return err.isEmpty() ? "" : " (" + lines[lines.length - 1] + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /** Asks the script to quit, then ends the process and removes the data files. */
    @Override
    public void close() {
        TorchPeer.quit(process, in, 5);
        reader.shutdownNow();
        TorchPeer.deleteQuietly(dir);
    }
}
