package dev.floe.data;

import static dev.floe.data.IdxFiles.gzip;
import static dev.floe.data.IdxFiles.idx;
import static dev.floe.data.IdxFiles.images;
import static dev.floe.data.IdxFiles.labels;
import static dev.floe.data.IdxFiles.write;
import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {

    /** Three 2x3 images with pixels 0, 51, 102, ..., wrapping past 255. */
    private static final byte[] PIXELS = new byte[3 * 2 * 3];

    static {
        for (int i = 0; i < PIXELS.length; i++) {
            PIXELS[i] = (byte) (i * 51);
        }
    }

    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) {
        return write(dir.resolve(name), bytes);
    }

    private static UnaryOperator<byte[]> encoding(boolean gzipped) {
        return gzipped ? IdxFiles::gzip : UnaryOperator.identity();
    }

    @ParameterizedTest(name = "gzipped={0}")
    @ValueSource(booleans = {false, true})
    void roundTripsPixelsScaledToUnitRangeAndLabels(boolean gzipped) {
        UnaryOperator<byte[]> enc = encoding(gzipped);
        Path images = file("images.idx", enc.apply(images(3, 2, 3, PIXELS)));
        Path labels = file("labels.idx", enc.apply(labels(2, 0, 1)));

        Dataset data = IdxReader.read(images, labels, 3, "tiny");

        assertEquals(3, data.size());
        assertArrayEquals(new long[] {1, 2, 3}, data.featureShape());
        assertArrayEquals(new int[] {2, 0, 1}, data.labels());
        assertEquals(3, data.numClasses());
        assertEquals("tiny", data.name());
        float[] features = data.features();
        for (int i = 0; i < PIXELS.length; i++) {
            assertEquals((PIXELS[i] & 0xFF) / 255f, features[i], "pixel " + i);
        }
        assertEquals(0f, features[0]);
        assertEquals(1f, features[5]); // 5 * 51 = 255
    }

    @Test
    void gzippedAndPlainGiveTheSameFingerprint() {
        Dataset plain = IdxReader.read(file("i", images(3, 2, 3, PIXELS)), file("l", labels(2, 0, 1)), 3, "p");
        Dataset gz = IdxReader.read(file("i.gz", gzip(images(3, 2, 3, PIXELS))), file("l.gz", gzip(labels(2, 0, 1))), 3, "g");
        assertEquals(plain.fingerprint(), gz.fingerprint());
    }

    @Test
    void limitReadsOnlyTheFirstExamples() {
        Dataset data = IdxReader.read(file("i", images(3, 2, 3, PIXELS)), file("l", labels(2, 0, 1)), 3, "t", 2);

        assertEquals(2, data.size());
        assertArrayEquals(new int[] {2, 0}, data.labels());
        assertArrayEquals(data.features(1), IdxReader.read(file("i2", images(3, 2, 3, PIXELS)),
                file("l2", labels(2, 0, 1)), 3, "t").features(1));
    }

    @Test
    void wrongMagicNamesFileOffsetAndExpectedMagic() {
        Path images = file("notes.txt", "hello, this is not IDX".getBytes());
        Path labels = file("labels.idx", labels(0));

        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, 1, "t"));

        assertEquals(images, e.file());
        assertMentions(e, "notes.txt", "magic", "0x00000803", "byte offset 0", "0x68656C6C", "not an IDX file");
    }

    @Test
    void swappedImagesAndLabelsAreCalledOut() {
        Path images = file("i", images(3, 2, 3, PIXELS));
        Path labels = file("l", labels(2, 0, 1));

        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(labels, images, 3, "t"));

        assertMentions(e, "magic", "0x00000803", "found 0x00000801", "swapped");
    }

    @Test
    void unsupportedTypeByteIsNamed() {
        Path images = file("floats.idx", idx(0x00000D03, new int[] {1, 1, 1}, new byte[4]));

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(images, file("l", labels(0)), 1, "t"));

        assertMentions(e, "floats.idx", "type byte 0x0D", "float", "byte offset 2", "expected 0x08");
    }

    @ParameterizedTest(name = "gzipped={0}")
    @ValueSource(booleans = {false, true})
    void truncatedPixelsNameWhereTheDataEndedAndHowMuchWasNeeded(boolean gzipped) {
        byte[] whole = images(3, 2, 3, PIXELS); // 16 header bytes + 18 pixel bytes
        Path images = file("cut.idx", encoding(gzipped).apply(Arrays.copyOf(whole, 26)));

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(images, file("l", labels(2, 0, 1)), 3, "t"));

        assertMentions(e, "cut.idx", "truncated", "ends at byte offset 26", "needs 18 bytes from byte offset 16 to 34");
    }

    @Test
    void truncatedHeaderIsReported() {
        Path images = file("head.idx", Arrays.copyOf(images(3, 2, 3, PIXELS), 10));

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(images, file("l", labels(2, 0, 1)), 3, "t"));

        assertMentions(e, "head.idx", "ends at byte offset 10", "size of dimension 1", "from byte offset 8");
    }

    @Test
    void cutGzipStreamIsReportedAsTruncated() {
        byte[] gz = gzip(images(3, 2, 3, PIXELS));
        Path images = file("cut.gz", Arrays.copyOf(gz, gz.length - 12)); // drop the trailer and some data

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(images, file("l", labels(2, 0, 1)), 3, "t"));

        assertMentions(e, "cut.gz", "truncated", "gzip stream is cut short", "needs 18 bytes from byte offset 16");
    }

    @Test
    void corruptGzipDataIsCaughtByTheChecksum() {
        byte[] gz = gzip(images(3, 2, 3, PIXELS));
        gz[gz.length - 8] ^= 1; // first byte of the CRC-32 in the gzip trailer; the data still inflates
        Path images = file("bad.gz", gz);
        Path labels = file("l", labels(2, 0, 1));

        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.read(images, labels, 3, "t"));

        assertMentions(e, "bad.gz", "gzip check", "damaged");
        assertEquals(2, IdxReader.read(images, labels, 3, "t", 2).size(), "a limited read stops before the trailer");
    }

    @Test
    void labelOutOfRangeNamesExampleIndexAndOffset() {
        Path labels = file("labels.idx", labels(1, 0, 7));

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(file("i", images(3, 2, 3, PIXELS)), labels, 3, "t"));

        assertMentions(e, "labels.idx", "example 2", "byte offset 10", "is 7", "[0, 3)", "numClasses");
    }

    @Test
    void countMismatchNamesBothCounts() {
        Path labels = file("labels.idx", labels(1, 0));

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(file("images.idx", images(3, 2, 3, PIXELS)), labels, 3, "t"));

        assertMentions(e, "labels.idx", "label count", "is 2", "images.idx", "holds 3 images");
    }

    @Test
    void labelOutOfRangeNamesTheCallersOption() {
        Path labels = file("labels.idx", labels(1, 0, 7));
        OptionNames keys = new OptionNames(null, null, null, null, "data.num_classes");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxReader.read(file("i", images(3, 2, 3, PIXELS)), labels, 3, "t", 3, keys));

        assertMentions(e, "labels.idx", "is 7", "raise data.num_classes");
    }

    @Test
    void folderIsReportedAsAFolderNotAsMissing() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> IdxReader.read(dir, file("l", labels(0)), 1, "t"));

        assertMentions(e, dir.toString(), "is a folder");
    }

    @Test
    void missingFileIsAnIoErrorNamingThePath() {
        Path missing = dir.resolve("missing.idx");

        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> IdxReader.read(missing, file("l", labels(0)), 1, "t"));

        assertMentions(e, "missing.idx", "cannot read");
    }
}
