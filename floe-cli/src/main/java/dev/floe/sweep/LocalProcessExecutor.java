package dev.floe.sweep;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs each run in a child JVM on this machine, at most {@code workers} at once: the same
 * {@code java}, class path and module path as this process, the memory and engine settings it was
 * started with ({@code -Xmx}, {@code -Xms}, {@code -XX:MaxDirectMemorySize}, {@code -Dai.djl.*},
 * {@code -Dfloe.*}) and then the given JVM options (later ones win), running the {@code floe} command's
 * main class with the run's arguments. The environment is inherited.
 *
 * <p>A run's standard output goes to {@code LOGS/<id>.out} (and to the listener line by line), its
 * standard error to {@code LOGS/<id>.err}; a failed run's error holds the meaning of its exit code and
 * the last lines of its standard error. Workers still running when this JVM ends are killed; a worker
 * runs under {@link WorkerMain}, which ends it when this JVM is gone even if it was killed with
 * SIGKILL (the worker's standard input, held open here, reaches its end).
 */
public final class LocalProcessExecutor implements SweepExecutor {

    /** Lines of a failed worker's standard error kept in its error. */
    static final int ERROR_LINES = 4;
    private static final List<String> INHERITED = List.of("-Xmx", "-Xms", "-XX:MaxDirectMemorySize", "-Dai.djl.", "-Dfloe.");

    private final String mainClass;
    private final int workers;
    private final List<String> jvmOptions;
    private final Path logs;
    private final ExecutorService pool;
    private final Set<Process> live = ConcurrentHashMap.newKeySet();
    /** Kills the workers when this JVM ends first (e.g. Ctrl-C), so no orphan keeps writing a run folder. */
    private final Thread killWorkers = new Thread(() -> live.forEach(Process::destroyForcibly), "sweep-kill-workers");

    /**
     * @param mainClass the {@code floe} command's main class, which the child JVMs run
     * @param workers runs at once, at least 1
     * @param jvmOptions options for the child JVMs after the inherited ones, e.g. {@code -Xmx2g}
     * @param logs folder for the runs' output and error logs (created when needed)
     */
    public LocalProcessExecutor(String mainClass, int workers, List<String> jvmOptions, Path logs) {
        if (workers < 1) {
            throw new IllegalArgumentException("--workers is " + workers + "; give at least 1");
        }
        this.mainClass = mainClass;
        this.workers = workers;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.logs = logs;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "sweep-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Runtime.getRuntime().addShutdownHook(killWorkers);
    }

    @Override
    public int parallelism() {
        return workers;
    }

    @Override
    public CompletableFuture<RunResult> submit(RunSpec run, RunListener listener) {
        return CompletableFuture.supplyAsync(() -> execute(run, listener), pool);
    }

    /** The child JVM's command line for a run. */
    List<String> command(RunSpec run) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (INHERITED.stream().anyMatch(arg::startsWith)) {
                cmd.add(arg);
            }
        }
        cmd.addAll(jvmOptions);
        String modulePath = System.getProperty("jdk.module.path", "");
        String classPath = System.getProperty("java.class.path", "");
        cmd.add("-cp");
        cmd.add(modulePath.isEmpty() ? classPath : classPath.isEmpty() ? modulePath : classPath + File.pathSeparator + modulePath);
        cmd.add(WorkerMain.class.getName());
        cmd.add(mainClass);
        cmd.addAll(run.trainArguments());
        return cmd;
    }

    private RunResult execute(RunSpec run, RunListener listener) {
        long start = System.nanoTime();
        Path out = logs.resolve(run.id() + ".out");
        Path err = logs.resolve(run.id() + ".err");
        Process p;
        try {
            Files.createDirectories(logs);
            p = new ProcessBuilder(command(run)).redirectError(err.toFile()).start();
        } catch (IOException e) {
            RunResult failed = new RunResult(run, false, -1, "cannot start the worker JVM: " + e.getMessage(), 0);
            listener.ended(failed);
            return failed;
        }
        live.add(p);
        listener.started(run);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Writer log = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                log.write(line);
                log.write(System.lineSeparator());
                log.flush();
                listener.output(run, line);
            }
        } catch (IOException e) {
            // the worker's output pipe broke: it is ending; its exit code says how
        }
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            code = RunResult.SIGNAL_BASE + 9;
        } finally {
            live.remove(p);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        RunResult result = code == 0
                ? new RunResult(run, true, 0, null, seconds)
                : new RunResult(run, false, code, RunResult.describeExit(code) + lastLines(err), seconds);
        listener.ended(result);
        return result;
    }

    /** {@code "; stderr: ..."} with the last non-blank lines of a log, or "" when it is empty. */
    static String lastLines(Path err) {
        List<String> lines;
        try {
            lines = Files.exists(err) ? Files.readAllLines(err, StandardCharsets.UTF_8) : List.of();
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
        Deque<String> last = new ArrayDeque<>();
        boolean outOfMemory = false;
        for (String line : lines) {
            outOfMemory |= line.contains("OutOfMemoryError");
            if (!line.isBlank()) {
                last.addLast(line.strip());
                if (last.size() > ERROR_LINES) {
                    last.removeFirst();
                }
            }
        }
        if (last.isEmpty()) {
            return "";
        }
        return (outOfMemory ? "; the JVM ran out of memory (raise -Xmx with --worker-jvm-option)" : "")
                + "; stderr: " + String.join(" | ", last);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        live.forEach(Process::destroyForcibly);
        try {
            Runtime.getRuntime().removeShutdownHook(killWorkers);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
