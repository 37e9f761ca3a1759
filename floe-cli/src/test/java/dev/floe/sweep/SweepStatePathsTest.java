package dev.floe.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run folders a sweep records do not depend on the working directory it was started from. */
class SweepStatePathsTest {

    @TempDir
    Path dir;

    /** Ends every run at once, failed, without starting anything. */
    private static final class Refusing implements SweepExecutor {
        @Override
        public int parallelism() {
            return 1;
        }

        @Override
        public CompletableFuture<RunResult> submit(RunSpec run, RunListener listener) {
            return CompletableFuture.completedFuture(new RunResult(run, false, 1, "not run", 0));
        }

        @Override
        public void close() {}
    }

    @Test
    void runFoldersAreRecordedAsAbsolutePathsWhenOutIsRelative() throws Exception {
        Files.writeString(dir.resolve("base.yaml"), SweepFileTest.BASE);
        Path file = Files.writeString(dir.resolve("sweep.yaml"), "base: base.yaml\nseeds: [1]\naxes:\n  optimizer.lr: [0.1]\n");
        Sweep sweep = Sweep.load(file, null);
        Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("sub/../out"));
        assertFalse(relative.isAbsolute());

        List<SweepRun> runs = SweepRunner.run(sweep, relative, new Refusing(), false, List.of(), RunListener.NONE);

        Path expected = dir.resolve("out").resolve("runs").resolve("lr0.1-s1").toAbsolutePath().normalize();
        assertEquals(expected, runs.get(0).dir());
        JsonNode state = new ObjectMapper().readTree(dir.resolve("out").resolve(SweepRunner.STATE).toFile());
        assertEquals(expected.toString(), state.path("runs").path(0).path("dir").asText(),
                "a reader in another working directory finds the run");
    }
}
