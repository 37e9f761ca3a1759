package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Predicting with a text run on a file without labels that also lacks the run's text column: the
 * error shows the file's own header or fields (not the label the reader adds to an unlabelled
 * file) and says to name the column as the run was trained, since a finished run's config is fixed.
 */
class PredictTextColumnTest {

    @TempDir
    static Path dir;

    static Path run;

    @BeforeAll
    static void train() throws Exception {
        TinyTextRun.writeSpamData(dir);
        Path config = Files.writeString(dir.resolve("c.yaml"), "seed: 1\n" + TinyTextRun.dataAndModel(1) + """
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 4}
                """);
        run = dir.resolve("run");
        Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void unlabelledCsvWithoutTheTextColumnNamesItsOwnHeader() throws Exception {
        Path in = Files.writeString(dir.resolve("new.csv"), "id,body\n1,win money\n");
        Result r = floe("predict", run.toString(), "--input", in.toString());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("floe: "), line);
        assertTrue(line.contains("[id, body]"), line);
        assertFalse(line.contains("label"), line);
        assertTrue(line.contains("'text'") && line.contains("data.text_column"), line);
        assertTrue(line.contains("rename"), line);
    }

    @Test
    void unlabelledJsonlWithoutTheTextFieldNamesItsOwnFields() throws Exception {
        Path in = Files.writeString(dir.resolve("new.jsonl"), "{\"id\": 1, \"body\": \"win money\"}\n");
        Result r = floe("predict", run.toString(), "--input", in.toString());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("[id, body]"), line);
        assertFalse(line.contains("label"), line);
        assertTrue(line.contains("rename"), line);
    }
    @Test
    void unlabelledCsvWithAnUnquotedCommaCountsItsOwnFields() throws Exception {
        Path in = Files.writeString(dir.resolve("comma.csv"), "id,text\n1,win money\n2,lunch, at noon\n");
        Result r = floe("predict", run.toString(), "--input", in.toString());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("line 3: 3 fields where the header [id, text] has 2"), line);
    }

    @Test
    void unlabelledJsonlMissingTheTextFieldLaterListsThatObjectsOwnFields() throws Exception {
        Path in = Files.writeString(dir.resolve("later.jsonl"), "{\"text\": \"win\"}\n{\"id\": 2, \"body\": \"noon\"}\n");
        Result r = floe("predict", run.toString(), "--input", in.toString());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("line 2") && line.contains("[id, body]"), line);
        assertFalse(line.contains("label"), line);
    }
}
