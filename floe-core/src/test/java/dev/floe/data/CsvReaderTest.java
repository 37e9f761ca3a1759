package dev.floe.data;

import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    void headerOfNumbersIsTheFirstExampleOfAFileWithoutHeader() throws IOException {
        // without the check, "0" names two columns and the label is taken from the first: a constant
        DataFormatException e = failure("0.5,0,1,0\n0.7,1,2,1\n0.1,0,3,0\n");

        assertMentions(e, "data.csv", "line 1", "every cell is a number (0.5, 0, 1, 0)", "no header line",
                "add a header line", "set optHeader to false and optLabelIndex to the label's 0-based column index");
    }

    @Test
    void fileWithoutHeaderReadsWithHeaderOffAndLabelIndex() throws IOException {
        Path path = csv("0.5,0,1,0\n0.7,1,2,1\n");

        Dataset data = CsvReader.builder().setPath(path).optHeader(false).optLabelIndex(3).build().read();

        assertArrayEquals(new float[] {0.5f, 0f, 1f, 0.7f, 1f, 2f}, data.features());
        assertArrayEquals(new int[] {0, 1}, data.labels());
    }

    @Test
    void repeatedColumnNamesAreListedWithTheirPositions() throws IOException {
        DataFormatException e = failure("x,label,y,x,y,z\n1,0,2,3,4,5\n");

        assertMentions(e, "data.csv", "line 1", "names 2 columns more than once",
                "\"x\" at column indices [0, 3]", "\"y\" at column indices [2, 4]", "its own name");
    }

    @Test
    void headerMixingNamesAndNumbersIsANormalHeader() throws IOException {
        Dataset data = CsvReader.read(csv("1,2,label\n5,6,1\n"));

        assertArrayEquals(new float[] {5f, 6f}, data.features());
    }

    @ParameterizedTest
    @ValueSource(strings = {"data.csv.gz", "DATA.CSV.GZ", "misnamed.csv"})
    void gzippedFileIsReadWhateverItsName(String name) throws IOException {
        Path path = Files.write(dir.resolve(name), gzip("x1,label\n0.5,1\n0.25,0\n"));

        Dataset data = CsvReader.read(path);

        assertArrayEquals(new float[] {0.5f, 0.25f}, data.features());
        assertArrayEquals(new int[] {1, 0}, data.labels());
    }

    @Test
    void cutGzipStreamNamesTheFile() throws IOException {
        byte[] whole = gzip("x1,label\n" + "0.5,1\n".repeat(2000));
        Path path = Files.write(dir.resolve("cut.csv.gz"), Arrays.copyOf(whole, whole.length / 2));

        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(path));

        assertMentions(e, "cut.csv.gz", "gzip", "cut short", "again");
    }

    @Test
    void bytesThatAreNotUtf8AreADataError() throws IOException {
        Path path = Files.write(dir.resolve("latin1.csv"), new byte[] {'x', (byte) 0xE9, ',', 'l', '\n', '1', ',', '0'});

        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvReader.read(path));

        assertMentions(e, "latin1.csv", "not UTF-8");
    }

    @Test
    void folderIsReportedAsAFolder() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> CsvReader.read(dir));

        assertMentions(e, dir.toString(), "is a folder", "expected a data file");
    }

    @Test
    void emptyFileSaysItIsEmpty() throws IOException {
        DataFormatException e = failure("");

        assertMentions(e, "data.csv", "is empty", "header line");
    }

    @Test
    void quotedCellsAreRead() throws IOException {
        Dataset data = CsvReader.read(csv("\"x 1\",\"label\"\n\"0.5\",1\n"));

        assertArrayEquals(new float[] {0.5f}, data.features());
    }

    @Test
    void messagesNameTheOptionsAsTheCallerCallsThem() throws IOException {
        Path path = csv("x,label\n1,3\n");
        OptionNames keys = new OptionNames("data.label_column", null, null, null, "data.num_classes");

        DataFormatException range = assertThrows(DataFormatException.class, () -> CsvReader.builder().setPath(path)
                .optNumClasses(2).optOptionNames(keys).build().read());
        DataFormatException column = assertThrows(DataFormatException.class, () -> CsvReader.builder().setPath(path)
                .optLabelColumn("y").optOptionNames(keys).build().read());
        DataFormatException numbers = assertThrows(DataFormatException.class, () -> CsvReader.builder()
                .setPath(csv("1,2\n3,0\n")).optOptionNames(keys).build().read());

        assertMentions(range, "raise data.num_classes or fix the label");
        assertMentions(column, "set data.label_column to one of these columns");
        assertMentions(numbers, "add a header line naming the columns");
        for (Exception e : new Exception[] {range, column, numbers}) {
            assertFalse(e.getMessage().matches(".*opt(LabelColumn|LabelIndex|Header|NumClasses).*"), e.getMessage());
        }
    }

    @Test
    void builderRejectsContradictoryOptions() {
        Path path = dir.resolve("any.csv");

        assertThrows(IllegalStateException.class, () -> CsvReader.builder().build());
        assertThrows(IllegalStateException.class, () -> CsvReader.builder().setPath(path).optHeader(false).build());
        assertThrows(IllegalStateException.class,
                () -> CsvReader.builder().setPath(path).optLabelColumn("y").optLabelIndex(0).build());
        assertThrows(IllegalArgumentException.class, () -> CsvReader.builder().optDelimiter('.'));
        assertThrows(IllegalArgumentException.class, () -> CsvReader.builder().optDelimiter('"'));
    }

    static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
