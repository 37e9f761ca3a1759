package dev.floe.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.data.FashionMnist;
import dev.floe.data.TextDataset;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo's draws come from the named sub-corpora, are seeded, and skip excluded texts. */
class TextCorpusTest {

    private static final Path DATASETS = FashionMnist.locateDatasets();

    @Test
    void subCorporaHaveTheDocumentedSizes() {
        TextCorpus train = TextCorpus.read(DATASETS, "train");
        TextCorpus test = TextCorpus.read(DATASETS, "test");
        assertEquals(2500, train.size("easy-ham-1"));
        assertEquals(500, train.size("spam-1"));
        assertEquals(250, test.size("hard-ham-1"));
        assertEquals(1400, test.size("easy-ham-2"));
        assertEquals(1396, test.size("spam-2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> test.size("spam-9"));
        assertTrue(e.getMessage().contains("hard-ham-1"), e.getMessage());
    }

    @Test
    void drawsAreSeededLabelledAndSkipExcludedTexts() {
        TextCorpus train = TextCorpus.read(DATASETS, "train");
        TextCorpus test = TextCorpus.read(DATASETS, "test");
        TextDataset spam = train.draw("spam-1", 40, 7, Set.of());
        assertEquals(40, spam.size());
        for (int l : spam.labels()) {
            assertEquals(1, l);
        }
        assertEquals(spam.texts(), train.draw("spam-1", 40, 7, Set.of()).texts());
        Set<String> exclude = new HashSet<>(spam.texts().subList(0, 10));
        TextDataset again = train.draw("spam-1", 40, 7, exclude);
        assertEquals(40, again.size());
        for (String t : again.texts()) {
            assertTrue(!exclude.contains(t));
        }
        TextDataset hard = test.draw("hard-ham-1", 1000, 1, Set.of());
        assertTrue(hard.size() <= 250 && hard.size() > 240, "all distinct hard-ham texts: " + hard.size());
        for (int l : hard.labels()) {
            assertEquals(0, l);
        }
    }
}
