package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.LrSchedule;
import dev.floe.schedule.Schedule;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints written by earlier Floe versions still resume: the stored {@code floe-checkpoint/1}
 * folder (see its README) was written at a stage boundary by the first checkpoint layout, and
 * resuming it today ends with the weights and records of an uninterrupted run.
 */
class GoldenCheckpointTest {

    private static Schedule schedule(ModelGraph g) {
        return Schedule.progressive(g, "encoder", FreezePolicy.trainAll(), 2, 2, 0.1, new LrSchedule.WarmupCosine(2, 0.1), null);
    }

    private static Trainer.Builder trainer(ModelGraph g) {
        return Trainer.builder().graph(g).schedule(schedule(g)).optimizer(OptimizerSpec.adamW(5e-3)).batchSize(8)
                .seed(11).runFingerprint("golden-v1");
    }

    @Test
    void aFirstLayoutCheckpointAtAStageBoundaryResumesToTheUninterruptedRun(@TempDir Path tmp) throws Exception {
        Path golden = Path.of(GoldenCheckpointTest.class.getResource("golden/checkpoint-v1/LATEST").toURI()).getParent();
        Path dir = tmp.resolve("checkpoints");
        copy(golden, dir);
        TrainResult full;
        Map<String, float[]> expected = new java.util.HashMap<>();
        try (ModelGraph g = StagedTrainingTest.mlpGraph(3); Trainer t = trainer(g).build()) {
            full = t.run(TrainerTest.blobs(24, 5), TrainerTest.blobs(12, 6));
            g.parameters().forEach((k, p) -> expected.put(k, p.toFloatArray()));
        }
        try (ModelGraph g = StagedTrainingTest.mlpGraph(3); Trainer t = trainer(g).checkpoints(dir).resume(true).build()) {
            TrainResult resumed = t.run(TrainerTest.blobs(24, 5), TrainerTest.blobs(12, 6));
            assertEquals(3, resumed.stages().size());
            ResumeAfterEveryCheckpointTest.assertSameRecords(full, resumed, "golden checkpoint-v1");
            for (Map.Entry<String, float[]> e : expected.entrySet()) {
                assertArrayEquals(e.getValue(), g.parameters().get(e.getKey()).toFloatArray(), e.getKey());
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (!f.getFileName().toString().equals("README.md")) {
                    Files.copy(f, target);
                }
            }
        }
    }
}
