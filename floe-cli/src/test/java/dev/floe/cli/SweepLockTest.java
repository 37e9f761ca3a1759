package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.sweep.SweepLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two {@code floe sweep} commands into one folder: the second is refused before it touches anything. */
class SweepLockTest {

    @TempDir
    Path dir;

    private Path sweepFile() throws Exception {
        StringBuilder csv = new StringBuilder("a,label\n");
        for (int i = 0; i < 20; i++) {
            csv.append(i % 2).append('.').append(i).append(',').append(i % 2).append('\n');
        }
        Files.writeString(dir.resolve("train.csv"), csv);
        Files.writeString(dir.resolve("base.yaml"), """
                seed: 1
                data: {format: csv, train: {path: train.csv}, num_classes: 2, eval_fraction: 0.25}
                model:
                  inputs: {x: "[batch, 1]"}
                  components:
                    - {name: head, type: linear_head, features: 1, classes: 2}
                  wires: [{from: x, to: head.in}]
                  outputs: {logits: head.logits}
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 10}
                """);
        return Files.writeString(dir.resolve("sweep.yaml"), "base: base.yaml\nseeds: [1]\naxes:\n  optimizer.lr: [0.1]\n");
    }

    @Test
    void aSecondSweepIntoTheSameFolderIsRefusedWhileTheFirstHoldsIt() throws Exception {
        Path file = sweepFile();
        Path out = dir.resolve("out");
        try (SweepLock first = SweepLock.acquire(out)) {
            PlanCommandTest.Result r = floe("sweep", file.toString(), "--out", out.toString());
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().startsWith("floe: --out " + out + " is in use by another floe sweep (process "
                    + ProcessHandle.current().pid() + "); wait for it to end"), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(out.resolve(SweepLock.FILE)), s.toList(), "the refused sweep wrote nothing");
            }
        }
        assertFalse(Files.exists(out), "a lock that ran nothing leaves no folder behind");
    }

    @Test
    void theLockFileDoesNotMakeAFreshFolderLookForeign() throws Exception {
        Path file = sweepFile();
        Path out = Files.createDirectories(dir.resolve("empty-out"));
        PlanCommandTest.Result r = floe("sweep", file.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(Files.exists(out.resolve("sweep.json")));
        PlanCommandTest.Result again = floe("sweep", file.toString(), "--out", out.toString());
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("0 run(s) finished, 1 skipped"), again.out());
    }
}
