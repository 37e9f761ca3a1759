package dev.floe.data;

import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetTest {

    /** Pinned; recomputed independently with Python (hashlib, struct, numpy). */
    private static final String GOLDEN_FINGERPRINT =
            "bc5809dfd851f0dca9c0fe4c60fb150f883e73ae754c5d91e7d80e818bc76842";

    /** Examples whose single feature is their own index, so derived sets reveal which rows they hold. */
    private static Dataset indexed(int... labels) {
        float[] features = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            features[i] = i;
        }
        return Dataset.of("indexed", new long[] {1}, features, labels, Arrays.stream(labels).max().orElse(0) + 1);
    }

    private static int[] rows(Dataset data) {
        float[] features = data.features();
        return IntStream.range(0, features.length).map(i -> (int) features[i]).toArray();
    }

    private static Dataset image2x2(float... pixels) {
        return Dataset.of("image", new long[] {1, 2, 2}, pixels, new int[] {0, 1}, 2);
    }

    @Test
    void rejectsInconsistentLengthsLabelsAndShapes() {
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("d", new long[] {3}, new float[5], new int[2], 2));
        assertMentions(length, "5 floats", "2 labels x 3 features", "need 6");

        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("d", new long[] {1}, new float[2], new int[] {0, 2}, 2));
        assertMentions(label, "example 1", "is 2", "[0, 2)");

        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("d", new long[] {1, 0}, new float[0], new int[0], 1));
        assertMentions(shape, "featureShape[1] is 0");
    }

    @Test
    void copiesItsInputs() {
        float[] features = {1, 2};
        int[] labels = {0, 1};
        Dataset data = Dataset.of("d", new long[] {1}, features, labels, 2);

        features[0] = 99;
        labels[0] = 1;
        data.features()[1] = 99;

        assertArrayEquals(new float[] {1, 2}, data.features());
        assertArrayEquals(new int[] {0, 1}, data.labels());
    }

    @Test
    void subsetKeepsGivenOrderAndRepeats() {
        Dataset data = indexed(0, 1, 2, 0);

        Dataset subset = data.subset(new int[] {3, 0, 3});

        assertArrayEquals(new int[] {3, 0, 3}, rows(subset));
        assertArrayEquals(new int[] {0, 0, 0}, subset.labels());
        assertEquals(3, subset.numClasses());
        assertThrows(IndexOutOfBoundsException.class, () -> data.subset(new int[] {4}));
    }

    @Test
    void filterClassesKeepsOnlyThoseClassesAndRelabelsInTheGivenOrder() {
        Dataset data = indexed(0, 1, 2, 3, 1, 3);

        Dataset filtered = data.filterClasses(3, 1);

        assertEquals(2, filtered.numClasses());
        assertArrayEquals(new int[] {1, 3, 4, 5}, rows(filtered));
        assertArrayEquals(new int[] {1, 0, 1, 0}, filtered.labels());
    }

    @Test
    void filterClassesRejectsUnknownAndRepeatedClasses() {
        Dataset data = indexed(0, 1, 2);

        assertMentions(assertThrows(IllegalArgumentException.class, () -> data.filterClasses(1, 3)),
                "class 3", "[0, 3)");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> data.filterClasses(1, 1)),
                "class 1", "twice");
        assertThrows(IllegalArgumentException.class, data::filterClasses);
    }

    @Test
    void takePerClassTakesExactlyThatManyOfEachClassDeterministically() {
        int[] labels = new int[22]; // 10 of class 0, 7 of class 1, 5 of class 2
        Arrays.fill(labels, 10, 17, 1);
        Arrays.fill(labels, 17, 22, 2);
        Dataset data = indexed(labels);

        Dataset taken = data.takePerClass(4, 7);

        assertArrayEquals(new int[] {4, 4, 4}, taken.classCounts());
        assertEquals(3, taken.numClasses());
        assertArrayEquals(rows(taken), rows(data.takePerClass(4, 7)));
        int[] sorted = rows(taken).clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, rows(taken), "original order is kept");
        assertFalse(Arrays.equals(rows(taken), rows(data.takePerClass(4, 8))), "another seed picks other rows");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> data.takePerClass(6, 7)),
                "class 2 has only 5", "at most 5");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.5, 0.8})
    void splitPartitionsAllExamples(double fraction) {
        Dataset data = indexed(new int[50]);

        Dataset.Split split = data.split(fraction, 42);

        assertEquals(Math.round(fraction * 50), split.first().size());
        assertEquals(50, split.first().size() + split.second().size());
        int[] all = IntStream.concat(IntStream.of(rows(split.first())), IntStream.of(rows(split.second())))
                .sorted().toArray();
        assertArrayEquals(IntStream.range(0, 50).toArray(), all);
        assertArrayEquals(rows(split.first()), rows(data.split(fraction, 42).first()));
    }

    @Test
    void splitRejectsFractionsOutsideTheOpenUnitInterval() {
        Dataset data = indexed(0, 0);
        for (double bad : new double[] {0, 1, -0.5, Double.NaN}) {
            assertThrows(IllegalArgumentException.class, () -> data.split(bad, 1));
        }
    }

    @Test
    void shuffledIndicesAreASeededPermutation() {
        Dataset data = indexed(new int[100]);

        int[] shuffled = data.shuffledIndices(3);

        assertArrayEquals(shuffled, data.shuffledIndices(3));
        assertArrayEquals(IntStream.range(0, 100).toArray(), IntStream.of(shuffled).sorted().toArray());
        assertFalse(Arrays.equals(shuffled, data.shuffledIndices(4)));
        assertFalse(Arrays.equals(shuffled, IntStream.range(0, 100).toArray()));
    }

    @Test
    void fingerprintIsAPinnedFunctionOfContentNotName() {
        Dataset data = image2x2(0f, 0.25f, 0.5f, 1f, 1f, 0.5f, 0.25f, 0f);
        Dataset renamed = Dataset.of("other", new long[] {1, 2, 2}, data.features(), data.labels(), 2);

        assertEquals(GOLDEN_FINGERPRINT, data.fingerprint());
        assertEquals(data.fingerprint(), renamed.fingerprint());
    }

    @Test
    void fingerprintChangesWithOnePixelOrTheShape() {
        float[] pixels = {0f, 0.25f, 0.5f, 1f, 1f, 0.5f, 0.25f, 0f};
        Dataset data = image2x2(pixels);
        float[] nudged = pixels.clone();
        nudged[6] = Math.nextUp(nudged[6]);

        assertNotEquals(data.fingerprint(), image2x2(nudged).fingerprint());
        assertNotEquals(data.fingerprint(),
                Dataset.of("flat", new long[] {4}, pixels, data.labels(), 2).fingerprint());
        assertNotEquals(data.fingerprint(), data.filterClasses(1, 0).fingerprint());
    }
}
