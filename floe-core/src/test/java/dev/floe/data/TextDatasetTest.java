package dev.floe.data;

import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TextDatasetTest {

    private static TextDataset sample(int n) {
        List<String> texts = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            texts.add("text " + i);
            labels[i] = i % 2;
        }
        return TextDataset.of("sample", texts, labels, List.of("ham", "spam"));
    }

    @Test
    void splitIsDisjointCompleteOrderedAndSeeded() {
        TextDataset d = sample(50);
        TextDataset.Split s = d.split(0.8, 7);
        assertEquals(40, s.first().size());
        assertEquals(10, s.second().size());
        Set<String> all = new HashSet<>(s.first().texts());
        all.addAll(s.second().texts());
        assertEquals(new HashSet<>(d.texts()), all);
        for (TextDataset part : List.of(s.first(), s.second())) {
            for (int i = 0; i < part.size(); i++) {
                int original = Integer.parseInt(part.text(i).substring(5));
                assertEquals(original % 2, part.label(i), "labels travel with their texts");
                if (i > 0) {
                    assertTrue(original > Integer.parseInt(part.text(i - 1).substring(5)), "original order kept");
                }
            }
        }
        assertEquals(s.first().fingerprint(), d.split(0.8, 7).first().fingerprint());
        assertNotEquals(s.first().fingerprint(), d.split(0.8, 8).first().fingerprint());
        assertTrue(s.first().name().contains("split 0.8, seed 7"));
    }

    @Test
    void fingerprintDependsOnContentNotName() {
        TextDataset a = sample(5);
        TextDataset renamed = TextDataset.of("other", a.texts(), a.labels(), a.classNames());
        assertEquals(a.fingerprint(), renamed.fingerprint());
        List<String> changed = new ArrayList<>(a.texts());
        changed.set(3, "text 3!");
        assertNotEquals(a.fingerprint(), TextDataset.of("x", changed, a.labels(), a.classNames()).fingerprint());
        int[] relabeled = a.labels();
        relabeled[0] = 1;
        assertNotEquals(a.fingerprint(), TextDataset.of("x", a.texts(), relabeled, a.classNames()).fingerprint());
        // length-prefixed strings: moving a character between neighbouring texts changes the hash
        TextDataset ab = TextDataset.of("x", List.of("ab", "c"), new int[] {0, 0}, List.of("k"));
        TextDataset abc = TextDataset.of("x", List.of("a", "bc"), new int[] {0, 0}, List.of("k"));
        assertNotEquals(ab.fingerprint(), abc.fingerprint());
        assertEquals(64, a.fingerprint().length());
    }

    @Test
    void subsetAndCounts() {
        TextDataset d = sample(6);
        TextDataset s = d.subset(new int[] {5, 0, 5});
        assertEquals(List.of("text 5", "text 0", "text 5"), s.texts());
        assertArrayEquals(new int[] {1, 0, 1}, s.labels());
        assertArrayEquals(new int[] {3, 3}, d.classCounts());
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {6}));
    }

    @Test
    void constructionErrorsSayWhatIsWrong() {
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> TextDataset.of("d", List.of("a"), new int[] {2}, List.of("x", "y"))), "label of example 0 is 2", "[0, 2)");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> TextDataset.of("d", List.of("a", "b"), new int[] {0}, List.of("x"))), "2 texts but 1 labels");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> TextDataset.of("d", List.of("a"), new int[] {0}, List.of("x", "x"))), "'x' appears twice");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> sample(4).split(1.0, 1)), "strictly between 0 and 1");
    }
}
