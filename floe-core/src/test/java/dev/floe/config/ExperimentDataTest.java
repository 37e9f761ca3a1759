package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.data.DataFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding and reading a config's data files: messages speak the config's keys. */
class ExperimentDataTest {

    @TempDir
    Path base;

    /** A CSV experiment; FILE is the training file, CLASSES the number of classes. */
    static final String CSV = """
            data:
              format: csv
              train: {path: FILE}
              num_classes: CLASSES
            model:
              inputs: {x: "[batch, 2]"}
              components:
                - {name: head, type: linear_head, features: 2, classes: CLASSES}
              wires: [{from: x, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 1, batch_size: 2}
            """;

    private static ExperimentConfig csvConfig(String file, int classes) {
        return parse(CSV.replace("FILE", file).replace("CLASSES", Integer.toString(classes)));
    }

    @Test
    void folderGivenAsDataFileIsCalledAFolder() throws Exception {
        Files.createDirectories(base.resolve("train.csv"));

        ConfigException e = assertThrows(ConfigException.class,
                () -> ExperimentData.load(csvConfig("train.csv", 2), base));

        assertEquals("data.train.path", e.where());
        assertMentions(e, "'train.csv' is a folder", base.resolve("train.csv").toString(), "expected CSV file");
        assertFalse(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void locateChecksPresenceWithoutReadingContents() throws Exception {
        Path file = Files.writeString(base.resolve("train.csv"), "not,a\nvalid,csv\n");

        Map<String, Path> files = ExperimentData.locate(csvConfig("train.csv", 2), base);

        assertEquals(Map.of("data.train.path", file), files);
        assertThrows(DataFormatException.class, () -> ExperimentData.load(csvConfig("train.csv", 2), base));
    }

    @Test
    void missingFileIsNamedByItsKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ExperimentData.locate(csvConfig("nowhere.csv", 2), base));

        assertEquals("data.train.path", e.where());
        assertMentions(e, "'nowhere.csv' not found");
    }

    @Test
    void dataErrorsNameTheConfigKeysNotTheJavaBuilder() throws Exception {
        Files.writeString(base.resolve("range.csv"), "a,b,label\n1,2,0\n3,4,5\n");
        Files.writeString(base.resolve("nolabel.csv"), "a,b,class\n1,2,0\n");

        DataFormatException range = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(csvConfig("range.csv", 2), base));
        DataFormatException column = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(csvConfig("nolabel.csv", 2), base));

        assertMentions(range, "range.csv", "line 3", "label 5", "raise data.num_classes");
        assertMentions(column, "nolabel.csv", "no label column \"label\"", "set data.label_column");
        for (Exception e : new Exception[] {range, column}) {
            assertFalse(e.getMessage().matches(".*opt(LabelColumn|LabelIndex|Header|NumClasses).*"), e.getMessage());
        }
    }

    @Test
    void headerlessFileInAConfigIsAskedForAHeader() throws Exception {
        Files.writeString(base.resolve("raw.csv"), "0.5,1,0\n0.7,2,1\n");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(csvConfig("raw.csv", 2), base));

        assertMentions(e, "raw.csv", "line 1", "every cell is a number", "add a header line naming the columns");
    }
}
