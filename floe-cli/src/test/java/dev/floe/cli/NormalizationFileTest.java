package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run with {@code data.normalize} whose {@code normalization.json} is damaged or missing: export,
 * eval and predict refuse it in one line naming the file and the bad value, and write nothing,
 * instead of reading a non-number as 0.
 */
class NormalizationFileTest {

    @TempDir
    static Path dir;

    static Path run;

    @BeforeAll
    static void trainOnce() throws Exception {
        Files.writeString(dir.resolve("train.csv"), EvalPredictCommandTest.csv(48, 1, true));
        Files.writeString(dir.resolve("new.csv"), EvalPredictCommandTest.csv(6, 2, false));
        Path config = Files.writeString(dir.resolve("numeric.yaml"), EvalPredictCommandTest.NUMERIC.replace(
                "eval_fraction: 0.25", "eval_fraction: 0.25\n  normalize: standard").replace("epochs: 3", "epochs: 1"));
        run = dir.resolve("run");
        Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
    }

    private static List<Result> everyCommand(String tag) {
        return List.of(
                floe("export", run.toString(), "--onnx", dir.resolve(tag + ".onnx").toString()),
                floe("eval", run.toString()),
                floe("predict", run.toString(), "--input", dir.resolve("new.csv").toString(), "--out",
                        dir.resolve(tag + ".csv").toString()));
    }

    @Test
    void aNonNumericValueIsRefusedNamingItNotReadAsZero() throws Exception {
        Path file = run.resolve(TrainCommand.NORMALIZATION_FILE);
        String good = Files.readString(file);
        try {
            // the second shift value replaced by a string
            Files.writeString(file, good.replaceFirst("(\"shift\"\\s*:\\s*\\[\\s*[^,\\]]+,\\s*)[^,\\]]+", "$1\"oops\""));
            assertTrue(Files.readString(file).contains("\"oops\""), Files.readString(file));
            for (Result r : everyCommand("damaged")) {
                assertEquals(2, r.code(), r.out() + r.err());
                assertTrue(r.err().startsWith("floe: ") && r.err().contains(file.toString())
                        && r.err().contains("shift[1] is \"oops\", not a number"), r.err());
                assertEquals(1, r.err().lines().count(), r.err());
            }
            assertFalse(Files.exists(dir.resolve("damaged.onnx")));
            assertFalse(Files.exists(dir.resolve("damaged.csv")));
        } finally {
            Files.writeString(file, good);
        }
        assertEquals(0, floe("export", run.toString(), "--onnx", dir.resolve("restored.onnx").toString()).code());
    }

    @Test
    void aMissingFileOfANormalizingRunIsRefused() throws Exception {
        Path file = run.resolve(TrainCommand.NORMALIZATION_FILE);
        Path aside = dir.resolve("aside.json");
        Files.move(file, aside);
        try {
            for (Result r : everyCommand("missing")) {
                assertEquals(2, r.code(), r.out() + r.err());
                assertTrue(r.err().contains("data.normalize") && r.err().contains("has no normalization.json"), r.err());
            }
            assertFalse(Files.exists(dir.resolve("missing.onnx")));
        } finally {
            Files.move(aside, file);
        }
    }
}
