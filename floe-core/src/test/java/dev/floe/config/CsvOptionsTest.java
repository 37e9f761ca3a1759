package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.data.DataFormatException;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV options of {@code format: csv}: header, delimiter, label_index, drop_columns and label values. */
class CsvOptionsTest {

    @TempDir
    Path base;

    /** FEATURES is the number of feature columns the model takes; DATA holds the data keys after train. */
    static final String CSV = """
            data:
              format: csv
              train: {path: train.csv}
            DATA
            model:
              inputs: {x: "[batch, FEATURES]"}
              components:
                - {name: head, type: linear_head, features: FEATURES, classes: 3}
              wires: [{from: x, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 1, batch_size: 2}
            """;

    private static ExperimentConfig config(int features, String data) {
        return parse(CSV.replace("FEATURES", Integer.toString(features)).replace("DATA", "  " + data));
    }

    private ExperimentData load(int features, String data, String csv) throws Exception {
        Files.writeString(base.resolve("train.csv"), csv);
        return ExperimentData.load(config(features, data), base);
    }

    private static Dataset numeric(Examples e) {
        return ((Examples.Numeric) e).data();
    }

    @Test
    void headerAutoReadsAFileWithoutHeaderAsData() throws Exception {
        Dataset withHeader = numeric(load(2, "num_classes: 3\n  header: auto", "a,b,label\n1,2,0\n3,4,2\n").train());
        Dataset without = numeric(load(2, "num_classes: 3\n  header: auto\n  label_index: 2", "1,2,0\n3,4,2\n").train());

        assertEquals(2, withHeader.size());
        assertEquals(2, without.size());
        assertArrayEquals(withHeader.labels(), without.labels());
    }

    @Test
    void headerFalseNeedsTheLabelIndex() {
        ConfigException e = assertThrows(ConfigException.class, () -> config(2, "num_classes: 3\n  header: false"));

        assertMentions(e, "header", "label_index");
    }

    @Test
    void headerAutoWithoutHeaderAndOnlyALabelNameSaysToSetTheIndex() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> load(2, "num_classes: 3\n  header: auto", "1,2,0\n3,4,2\n"));

        assertMentions(e, "no header", "data.label_index");
    }

    @Test
    void aDelimiterSplitsCells() throws Exception {
        Dataset d = numeric(load(2, "num_classes: 3\n  delimiter: \";\"", "a;b;label\n1;2;0\n3;4;1\n").train());

        assertEquals(2, d.size());
        assertArrayEquals(new long[] {2}, d.featureShape());
    }

    @Test
    void aDelimiterOfTwoCharactersIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> config(2, "num_classes: 3\n  delimiter: \";;\""));

        assertMentions(e, "delimiter must be one character");
    }

    @Test
    void droppedColumnsAreNotFeatures() throws Exception {
        Dataset d = numeric(load(2, "num_classes: 3\n  drop_columns: [id]", "id,a,b,label\n7,1,2,0\n8,3,4,1\n").train());

        assertArrayEquals(new long[] {2}, d.featureShape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, d.gatherFeatures(new int[] {0, 1}));
    }

    @Test
    void droppingAColumnTheHeaderLacksListsTheColumns() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> load(2, "num_classes: 3\n  drop_columns: [ident]", "id,a,b,label\n7,1,2,0\n"));

        assertMentions(e, "\"ident\"", "[id, a, b, label]", "data.drop_columns");
    }

    @Test
    void labelValuesMapOneBasedLabelsToClassesInListOrder() throws Exception {
        ExperimentData data = load(2, "labels: [1, 2, 3]", "a,b,label\n1,2,1\n3,4,3\n5,6,2\n");

        assertEquals(List.of("1", "2", "3"), data.labels());
        assertArrayEquals(new int[] {0, 2, 1}, numeric(data.train()).labels());
        assertEquals(3, data.train().numClasses());
    }

    @Test
    void aLabelOutsideTheValuesNamesTheValueAndTheLine() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> load(2, "labels: [1, 2, 3]", "a,b,label\n1,2,1\n3,4,0\n"));

        assertMentions(e, "line 3", "\"0\"", "[1, 2, 3]", "data.labels");
    }

    @Test
    void csvKeysOnOtherFormatsAreRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(ExperimentConfigTest.YAML
                .replace("num_classes: 10", "num_classes: 10\n  delimiter: \";\"")));

        assertMentions(e, "delimiter is for format csv");
    }

    @Test
    void normalizeIsFittedOnTheTrainingSplitOnlyAndAppliedToBoth() throws Exception {
        Files.writeString(base.resolve("test.csv"), "a,b,label\n10,100,0\n");
        ExperimentData data = load(2, "num_classes: 3\n  normalize: minmax\n  test: {path: test.csv}",
                "a,b,label\n0,5,0\n2,5,1\n4,5,2\n");

        assertArrayEquals(new float[] {0, 0, 0.5f, 0, 1, 0}, numeric(data.train()).features());
        assertArrayEquals(new float[] {2.5f, 95}, numeric(data.eval()).features()); // (10-0)/4, (100-5)/1
        assertEquals("minmax", data.normalization().method());
        ExperimentData standard = load(2, "num_classes: 3\n  normalize: standard", "a,b,label\n1,5,0\n3,5,1\n");
        assertArrayEquals(new float[] {-1, 0, 1, 0}, numeric(standard.train()).features());
    }

    @Test
    void anUnknownNormalizationIsRefused() {
        assertMentions(assertThrows(ConfigException.class, () -> config(2, "num_classes: 3\n  normalize: zscore")),
                "normalize must be standard or minmax, found 'zscore'");
    }
}
