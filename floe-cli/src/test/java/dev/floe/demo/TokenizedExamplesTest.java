package dev.floe.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.engine.FloeEngine;
import dev.floe.text.MiniLm;
import dev.floe.text.TokenizedExamples;
import dev.floe.text.Tokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Texts are tokenized once; a batch is padded to its own longest text, with the mask marking real tokens. */
class TokenizedExamplesTest {

    private static final List<String> TEXTS = List.of(
            "hi",
            "cheap meds, buy now, limited offer for you today only",
            "meeting moved to three");

    private static TokenizedExamples tokenize(int maxLength) {
        try (Tokenizer tok = Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, maxLength)) {
            return TokenizedExamples.of("t", TEXTS, new int[] {0, 1, 0}, 2, tok);
        }
    }

    @Test
    void aBatchIsPaddedToItsLongestTextNotTheSetsLongest() {
        TokenizedExamples ex = tokenize(64);
        assertEquals(3, ex.tokens(0), "[CLS] hi [SEP]");
        assertTrue(ex.tokens(1) > ex.tokens(2) && ex.tokens(2) > ex.tokens(0));
        try (NDManager m = FloeEngine.newManager()) {
            Map<String, NDArray> x = ex.inputs(m, new int[] {2, 0});
            NDArray ids = x.get(TokenizedExamples.INPUT_IDS);
            NDArray mask = x.get(TokenizedExamples.ATTENTION_MASK);
            int t = ex.tokens(2);
            assertEquals(new ai.djl.ndarray.types.Shape(2, t), ids.getShape());
            assertEquals(ids.getShape(), mask.getShape());
            long[] idv = ids.toLongArray();
            long[] maskv = mask.toLongArray();
            long[] row0 = java.util.Arrays.copyOfRange(idv, 0, t);
            assertArrayEquals(ex.ids(2), row0);
            long[] row1 = java.util.Arrays.copyOfRange(idv, t, 2 * t);
            long[] mask1 = java.util.Arrays.copyOfRange(maskv, t, 2 * t);
            for (int j = 0; j < t; j++) {
                boolean real = j < ex.tokens(0);
                assertEquals(real ? 1 : 0, mask1[j], "mask at " + j);
                if (!real) {
                    assertEquals(0, row1[j], "padding id at " + j);
                }
            }
        }
    }

    @Test
    void textsAreCutAtTheTokenizersLengthAndTheFingerprintSeesIt() {
        TokenizedExamples short6 = tokenize(6);
        assertEquals(6, short6.tokens(1));
        assertEquals(3, short6.tokens(0));
        assertEquals(short6.fingerprint(), tokenize(6).fingerprint(), "same texts, same tokens: same fingerprint");
        assertNotEquals(short6.fingerprint(), tokenize(64).fingerprint());
    }

    @Test
    void subsetsKeepLabelsAndBadInputsAreRefusedWithTheReason() {
        TokenizedExamples ex = tokenize(16);
        TokenizedExamples sub = ex.subset(new int[] {1, 1}, "twice");
        assertEquals(2, sub.size());
        assertEquals(1, sub.label(0));
        assertArrayEquals(ex.ids(1), sub.ids(1));
        try (NDManager m = FloeEngine.newManager()) {
            assertThrows(IllegalArgumentException.class, () -> ex.inputs(m, new int[0]));
            assertThrows(IndexOutOfBoundsException.class, () -> ex.inputs(m, new int[] {3}));
        }
        try (Tokenizer tok = Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, 16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TokenizedExamples.of("t", TEXTS, new int[] {0, 2, 0}, 2, tok));
            assertTrue(e.getMessage().contains("label of text 1 is 2"), e.getMessage());
        }
    }
}
