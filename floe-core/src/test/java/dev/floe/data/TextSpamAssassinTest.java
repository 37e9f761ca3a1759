package dev.floe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SpamAssassin corpus bundled in {@code datasets/spam-assassin}; counts match its README. */
class TextSpamAssassinTest {

    private static final List<String> CLASSES = List.of("ham", "spam");
    private static final int MAX_CHARS = 2000;
    private static final long MAX_BUNDLE_BYTES = 5L * 1024 * 1024;

    private static Path folder;

    @BeforeAll
    static void locate() {
        // Maven runs tests in floe-core/, so walking up finds ../datasets.
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("datasets/spam-assassin"))) {
                folder = dir.resolve("datasets/spam-assassin");
                return;
            }
        }
        throw new IllegalStateException("no datasets/spam-assassin above " + Path.of("").toAbsolutePath());
    }

    private static TextDataset read(String split) {
        return TextReader.builder().setPath(folder.resolve(split + ".jsonl.gz")).optClassNames(CLASSES).build().read();
    }

    /** Per-corpus counts: the corpus field is read as the label. */
    private static TextDataset byCorpus(String split, List<String> corpora) {
        return TextReader.builder().setPath(folder.resolve(split + ".jsonl.gz")).optLabelField("corpus")
                .optClassNames(corpora).build().read();
    }

    @Test
    void trainHasEasyHam1AndSpam1() {
        TextDataset train = read("train");
        assertEquals(3000, train.size());
        assertArrayEquals(new int[] {2500, 500}, train.classCounts());
        assertArrayEquals(new int[] {2500, 500}, byCorpus("train", List.of("easy-ham-1", "spam-1")).classCounts());
        assertTexts(train);
    }

    @Test
    void testHasHardHamEasyHam2AndSpam2() {
        TextDataset test = read("test");
        assertEquals(3046, test.size());
        assertArrayEquals(new int[] {1650, 1396}, test.classCounts());
        assertArrayEquals(new int[] {250, 1400, 1396},
                byCorpus("test", List.of("hard-ham-1", "easy-ham-2", "spam-2")).classCounts());
        assertTexts(test);
    }

    private static void assertTexts(TextDataset d) {
        for (String t : d.texts()) {
            assertTrue(t.length() <= MAX_CHARS, "texts are truncated to " + MAX_CHARS + " characters");
            assertTrue(t.contains("\n\n"), "subject and body are separated by a blank line");
        }
    }

    @Test
    void bundleStaysSmall() throws IOException {
        long bytes = 0;
        try (var files = Files.list(folder)) {
            for (Path p : files.toList()) {
                bytes += Files.size(p);
            }
        }
        assertTrue(bytes < MAX_BUNDLE_BYTES, "bundle is " + bytes + " bytes");
    }
}
