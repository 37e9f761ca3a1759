package dev.floe.bench;

import dev.floe.data.Examples;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * B11's resident-set measurement: one arm of {@link CheckpointBench} in a fresh JVM, so no other
 * arm's memory is resident. It builds the model, takes one step on a 2-example batch (the process's
 * one-time costs: kernels, heap, optimizer state), then prints how much the resident set grew, at its
 * peak, during one full-size step.
 */
final class RssProbe {

    /** Line prefix of the result on the probe's standard output. */
    static final String RESULT = "rss_growth_mb=";
    private static final long TIMEOUT_SECONDS = 600;
    private static final int WARM_BATCH = 2;

    private RssProbe() {}

    /** {@code checkpointed|plain hidden layers heads intermediate seq batch}. */
    public static void main(String[] args) {
        boolean checkpointed = args[0].equals("checkpointed");
        CheckpointBench.Size z = new CheckpointBench.Size(Long.parseLong(args[1]), Integer.parseInt(args[2]),
                Long.parseLong(args[3]), Long.parseLong(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]), 1);
        Examples warm = Synthetic.tokens(WARM_BATCH, z.seq(), 1);
        Examples batch = Synthetic.tokens(z.batch(), z.seq(), 2);
        try (ModelGraph g = CheckpointBench.graph(z);
                Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g)).optimizer(OptimizerSpec.adamW(1e-4))
                        .batchSize(z.batch()).checkpointing(checkpointed ? List.of(CheckpointBench.GLOB) : List.of()).build()) {
            t.run(warm, null);
            System.gc();
            double before = ProcessStats.rssMb();
            boolean reset = ProcessStats.resetPeak();
            t.run(batch, null);
            double growth = reset && before >= 0 ? Math.max(0, ProcessStats.peakRssMb() - before) : -1;
            System.out.println(RESULT + String.format(Locale.ROOT, "%.3f", growth));
        }
    }

    /**
     * Runs one arm in a child JVM with this JVM's class or module path and engine settings.
     *
     * @return the growth in MiB, or -1 with the reason in {@code why[0]} when the child could not run
     */
    static double measure(boolean checkpointed, CheckpointBench.Size z, String[] why) {
        List<String> lines = child(RssProbe.class, List.of(checkpointed ? "checkpointed" : "plain",
                Long.toString(z.hidden()), Integer.toString(z.layers()), Long.toString(z.heads()),
                Long.toString(z.intermediate()), Integer.toString(z.seq()), Integer.toString(z.batch())), "1g", why);
        if (lines == null) {
            return -1;
        }
        for (String line : lines) {
            if (line.startsWith(RESULT)) {
                return Double.parseDouble(line.substring(RESULT.length()));
            }
        }
        why[0] = "the probe JVM printed no result" + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1));
        return -1;
    }

    /**
     * Runs {@code main} in a fresh JVM with this JVM's class or module path and engine thread
     * settings, the engine offline, and the heap capped at {@code heap}.
     *
     * @return the child's output lines (standard output and error) when it exited with 0, else null
     *     with the reason in {@code why[0]}
     */
    static List<String> child(Class<?> main, List<String> args, String heap, String[] why) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=" + System.getProperty("ai.djl.pytorch.num_threads", "1"),
                "-Dai.djl.pytorch.num_interop_threads=1"));
        String modulePath = System.getProperty("jdk.module.path");
        if (main.getModule().isNamed() && modulePath != null) {
            cmd.addAll(List.of("-p", modulePath, "-cp", System.getProperty("java.class.path", ""), "-m",
                    main.getModule().getName() + "/" + main.getName()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        }
        cmd.addAll(args);
        Path log = null;
        try {
            log = Files.createTempFile("floe-probe", ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("DJL_OFFLINE", "true");
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                why[0] = "the probe JVM timed out";
                return null;
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                why[0] = "the probe JVM exited with " + p.exitValue() + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1));
                return null;
            }
            return lines;
        } catch (IOException | RuntimeException e) {
            why[0] = "the probe JVM did not run (" + e.getMessage() + ")";
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why[0] = "interrupted";
            return null;
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }
}
