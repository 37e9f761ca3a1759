package dev.floe.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How worker JVMs are started and how their ends are told. */
class LocalProcessExecutorTest {

    @Test
    void workersGetThisJvmsEngineSettingsThenTheGivenOptionsThenTheRunsArguments(@TempDir Path tmp) {
        RunSpec run = new RunSpec("a-s1", "a", Map.of("optimizer.lr", "0.1"), 1, tmp.resolve("a-s1.yaml"), tmp,
                tmp.resolve("runs/a-s1"), tmp.resolve("cache"), true, List.of("--registry", "reg"));
        try (LocalProcessExecutor e = new LocalProcessExecutor("some.Main", 2, List.of("-Xmx256m"), tmp)) {
            List<String> cmd = e.command(run);
            // the tests run with -Dai.djl.pytorch.num_threads=1 (floe.test.argLine)
            assertTrue(cmd.contains("-Dai.djl.pytorch.num_threads=1"), cmd.toString());
            int option = cmd.indexOf("-Xmx256m");
            int main = cmd.indexOf("some.Main");
            assertTrue(option > 0 && option < cmd.indexOf("-cp") && cmd.indexOf("-cp") < main, cmd.toString());
            assertEquals(WorkerMain.class.getName(), cmd.get(main - 1), "the worker watches for the sweep's end");
            assertEquals(List.of("train", run.config().toString(), "--base-dir", tmp.toString(), "--resume",
                    run.runDir().toString(), "--feature-cache", tmp.resolve("cache").toString(), "--no-progress",
                    "--registry", "reg"), cmd.subList(main + 1, cmd.size()));
        }
    }

    /** A worker's main class that would run for a minute. */
    public static final class Sleeper {
        private Sleeper() {}

        /**
         * Sleeps a minute, then exits 0.
         *
         * @param args ignored
         * @throws InterruptedException never expected
         */
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(60_000);
        }
    }

    @Test
    void aWorkerEndsWhenTheSweepThatStartedItIsGoneEvenAfterSigkill() throws Exception {
        // the sweep's JVM dying (kill -9) closes its end of the worker's standard input; so does close() here
        String cp = System.getProperty("java.class.path") + java.io.File.pathSeparator
                + System.getProperty("jdk.module.path", "");
        Process worker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                cp, WorkerMain.class.getName(), Sleeper.class.getName())
                .redirectErrorStream(true).start();
        try {
            assertFalse(worker.waitFor(2, TimeUnit.SECONDS), "while the sweep lives, the worker runs");
            assertTrue(worker.isAlive());
            worker.getOutputStream().close();
            assertTrue(worker.waitFor(20, TimeUnit.SECONDS), "the worker ended with its sweep");
            assertEquals(WorkerMain.PARENT_GONE, worker.exitValue(), new String(worker.getInputStream().readAllBytes()));
        } finally {
            worker.destroyForcibly();
        }
    }

    @Test
    void exitCodesSayWhatHappened() {
        assertTrue(RunResult.describeExit(137).startsWith("exit 137: killed by signal 9 (SIGKILL), most likely by the"
                + " operating system for running out of memory"));
        assertTrue(RunResult.describeExit(134).contains("SIGABRT"));
        assertEquals("exit 2: the run refused its input", RunResult.describeExit(2));
        assertEquals("exit 1: the worker failed", RunResult.describeExit(1));
    }

    @Test
    void aFailedWorkersErrorKeepsTheLastLinesOfItsStandardError(@TempDir Path tmp) throws Exception {
        Path err = tmp.resolve("x.err");
        Files.writeString(err, "one\ntwo\n\nthree\nException in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n"
                + "\tat a.b(C.java:1)\n\tat d.e(F.java:2)\n");
        String tail = LocalProcessExecutor.lastLines(err);
        assertTrue(tail.startsWith("; the JVM ran out of memory (raise -Xmx with --worker-jvm-option)"), tail);
        assertTrue(tail.endsWith("; stderr: three | Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap"
                + " space | at a.b(C.java:1) | at d.e(F.java:2)"), tail);
        assertEquals("", LocalProcessExecutor.lastLines(tmp.resolve("missing.err")));
    }
}
