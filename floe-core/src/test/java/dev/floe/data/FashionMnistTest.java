package dev.floe.data;

import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled subset in {@code datasets/fashion-mnist}; counts match its README. */
class FashionMnistTest {

    /** Pinned; recomputed independently with Python (hashlib, struct, numpy). */
    private static final String GOLDEN_TRAIN_FINGERPRINT =
            "5bf4632d63f1361b88f8b3b8673f29f9d033e739fedabc375c036feb391ca5a6";
    private static final String GOLDEN_TEST_FINGERPRINT =
            "a5ea023a839e982b5772908369252248097c024e93bd16edf5aef56de2e9c1fe";

    private static final int[] TRAIN_PER_CLASS = {1122, 1220, 1201, 1212, 1181, 1204, 1244, 1192, 1195, 1229};
    private static final int[] TEST_PER_CLASS = {302, 308, 310, 298, 324, 285, 298, 293, 297, 285};

    private static Path datasets;

    @BeforeAll
    static void locate() {
        // Maven runs tests in floe-core/, so walking up finds ../datasets.
        datasets = FashionMnist.locateDatasets(null, null, Path.of(""));
    }

    @Test
    void trainSplitHas12000ImagesOfTenClassesInUnitRange() {
        Dataset train = FashionMnist.train(datasets);

        assertEquals(FashionMnist.TRAIN_SIZE, train.size());
        assertEquals(10, train.numClasses());
        assertArrayEquals(new long[] {1, 28, 28}, train.featureShape());
        assertArrayEquals(TRAIN_PER_CLASS, train.classCounts());
        assertPixelRangeIsUnit(train);
    }

    @Test
    void testSplitHas3000ImagesOfTenClassesInUnitRange() {
        Dataset test = FashionMnist.test(datasets);

        assertEquals(FashionMnist.TEST_SIZE, test.size());
        assertEquals(10, test.numClasses());
        assertArrayEquals(TEST_PER_CLASS, test.classCounts());
        assertPixelRangeIsUnit(test);
    }

    private static void assertPixelRangeIsUnit(Dataset data) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float pixel : data.features()) {
            min = Math.min(min, pixel);
            max = Math.max(max, pixel);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
    }

    @Test
    void bundledFilesAreTheOnesDocumented() {
        assertEquals(GOLDEN_TRAIN_FINGERPRINT, FashionMnist.train(datasets).fingerprint());
        assertEquals(GOLDEN_TEST_FINGERPRINT, FashionMnist.test(datasets).fingerprint());
    }

    @Test
    void propertyWinsOverEnvironmentAndWalkingUp(@TempDir Path elsewhere) {
        assertEquals(datasets, FashionMnist.locateDatasets(datasets.toString(), elsewhere.toString(), elsewhere));
        assertEquals(datasets, FashionMnist.locateDatasets(null, datasets.toString(), elsewhere));
    }

    @Test
    void settingThatPointsElsewhereSaysWhichSettingAndWhy(@TempDir Path elsewhere) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FashionMnist.locateDatasets(elsewhere.toString(), null, Path.of("")));

        assertMentions(e, "system property floe.datasets=" + elsewhere, "fashion-mnist is not a directory");
    }

    @Test
    void nothingFoundListsWhatWasTriedAndHowToFix(@TempDir Path elsewhere) throws Exception {
        Path deep = Files.createDirectories(elsewhere.resolve("a/b"));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FashionMnist.locateDatasets(null, " ", deep));

        assertMentions(e, "floe.datasets", "FLOE_DATASETS", deep.toString(), "any parent",
                "-Dfloe.datasets=", "FLOE_DATASETS=");
    }
}
