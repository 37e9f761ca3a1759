package dev.floe.data;

import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {

    @TempDir
    Path dir;

    private Path csv(String content) throws IOException {
        return Files.writeString(dir.resolve("data.csv"), content);
    }

    private DataFormatException failure(String content) throws IOException {
        Path path = csv(content);
        return assertThrows(DataFormatException.class, () -> CsvReader.read(path));
    }

    @Test
    void readsFeaturesInColumnOrderAndInfersNumClasses() throws IOException {
        Path path = csv("""
                x1,label,x2
                0.5,2,-1
                1e2, 0 ,3.25

                7,1,8
                """);

        Dataset data = CsvReader.read(path);

        assertEquals(3, data.size());
        assertArrayEquals(new long[] {2}, data.featureShape());
        assertArrayEquals(new float[] {0.5f, -1f, 100f, 3.25f, 7f, 8f}, data.features());
        assertArrayEquals(new int[] {2, 0, 1}, data.labels());
        assertEquals(3, data.numClasses());
        assertEquals(path.toString(), data.name());
    }

    @Test
    void honoursDelimiterLabelIndexNumClassesAndMissingHeader() throws IOException {
        Path path = csv("1;0.1;0.2\r\n0;0.3;0.4\r\n");

        Dataset data = CsvReader.builder().setPath(path).optHeader(false).optLabelIndex(0)
                .optDelimiter(';').optNumClasses(5).optName("semicolons").build().read();

        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, data.features());
        assertArrayEquals(new int[] {1, 0}, data.labels());
        assertEquals(5, data.numClasses());
        assertEquals("semicolons", data.name());
    }

    @Test
    void findsLabelColumnByName() throws IOException {
        Path path = csv("species,a,b\n1,2,3\n");

        Dataset data = CsvReader.builder().setPath(path).optLabelColumn("species").build().read();

        assertArrayEquals(new float[] {2f, 3f}, data.features());
        assertArrayEquals(new int[] {1}, data.labels());
    }

    @Test
    void nonNumericValueNamesLineColumnAndValue() throws IOException {
        DataFormatException e = failure("x1,x2,label\n1,2,0\n3,abc,1\n");

        assertMentions(e, "data.csv", "line 3", "column \"x2\" (index 1)", "\"abc\"", "numeric");
    }

    @Test
    void emptyCellIsNotANumber() throws IOException {
        DataFormatException e = failure("x1,x2,label\n1,,0\n");

        assertMentions(e, "line 2", "column \"x2\"", "found \"\"");
    }

    @Test
    void wrongColumnCountNamesLineAndBothCounts() throws IOException {
        DataFormatException e = failure("x1,x2,label\n1,2,0\n3,1\n");

        assertMentions(e, "data.csv", "line 3", "found 2 columns but expected 3", "[x1, x2, label]");
    }

    @Test
    void wrongColumnCountWithoutHeaderPointsAtTheFirstLine() throws IOException {
        Path path = csv("1,2,0\n3,1,0,9\n");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> CsvReader.builder().setPath(path).optHeader(false).optLabelIndex(2).build().read());

        assertMentions(e, "line 2", "found 4 columns but expected 3", "as on line 1");
    }

    @Test
    void missingLabelColumnListsTheHeader() throws IOException {
        DataFormatException e = failure("a,b,class\n1,2,0\n");

        assertMentions(e, "data.csv", "line 1", "no label column \"label\"", "[a, b, class]", "optLabelColumn");
    }

    @Test
    void negativeLabelNamesLineAndColumn() throws IOException {
        DataFormatException e = failure("x,label\n1,0\n2,-1\n");

        assertMentions(e, "line 3", "column \"label\" (index 1)", "non-negative integer", "-1");
    }

    @Test
    void fractionalLabelIsRejected() throws IOException {
        DataFormatException e = failure("x,label\n1,2.5\n");

        assertMentions(e, "line 2", "column \"label\"", "\"2.5\"");
    }

    @Test
    void labelAtOrAboveNumClassesIsOutOfRange() throws IOException {
        Path path = csv("x,label\n1,0\n2,3\n");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> CsvReader.builder().setPath(path).optNumClasses(3).build().read());

        assertMentions(e, "line 3", "column \"label\" (index 1)", "label 3", "[0, 3)", "optNumClasses");
    }

    @Test
    void singleColumnSuggestsTheDelimiter() throws IOException {
        DataFormatException e = failure("x;label\n1;0\n");

        assertMentions(e, "line 1", "found 1 column \"x;label\"", "delimiter ','");
    }

    @Test
    void headerWithoutDataIsAnError() throws IOException {
        DataFormatException e = failure("x,label\n\n");

        assertMentions(e, "data.csv", "no data lines");
    }

    @Test
    void builderRejectsContradictoryOptions() {
        Path path = dir.resolve("any.csv");

        assertThrows(IllegalStateException.class, () -> CsvReader.builder().build());
        assertThrows(IllegalStateException.class, () -> CsvReader.builder().setPath(path).optHeader(false).build());
        assertThrows(IllegalStateException.class,
                () -> CsvReader.builder().setPath(path).optLabelColumn("y").optLabelIndex(0).build());
        assertThrows(IllegalArgumentException.class, () -> CsvReader.builder().optDelimiter('.'));
    }
}
