package dev.floe.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The bundled WordPiece tokenizer, offline (the build sets DJL_OFFLINE and ai.djl.offline). */
class TokenizerTest {

    private static final long CLS = 101;
    private static final long SEP = 102;

    @Test
    void addsSpecialTokensAndPadsABatchToItsLongestText() {
        try (Tokenizer t = Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, 16)) {
            Tokenizer.Encoded e = t.encode(List.of("Hello world", "a somewhat longer sentence here"));
            assertEquals(2, e.batch());
            assertEquals(List.of("[CLS]", "hello", "world", "[SEP]"), t.tokens("Hello world"));
            assertEquals(e.tokens(1), e.length(), "the longest text sets the length");
            long[] first = e.ids(0);
            assertEquals(CLS, first[0]);
            assertEquals(SEP, first[3]);
            assertEquals(4, e.tokens(0));
            for (int j = 4; j < e.length(); j++) {
                assertEquals(0L, first[j], "padding id");
                assertEquals(0L, e.attentionMask()[j], "padding mask");
            }
            assertTrue(java.util.Arrays.stream(e.tokenTypeIds()).allMatch(v -> v == 0));
        }
    }

    @Test
    void truncatesToMaxLengthKeepingTheSeparator() {
        try (Tokenizer t = Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, 8)) {
            Tokenizer.Encoded e = t.encode(List.of("one two three four five six seven eight nine ten eleven"));
            assertEquals(8, e.length());
            long[] ids = e.ids(0);
            assertEquals(CLS, ids[0]);
            assertEquals(SEP, ids[7]);
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, e.attentionMask());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromResource("nope.json", 8))
                .getMessage().contains("nope.json was not found"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                        () -> Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, 1))
                .getMessage().contains("maxLength must be at least 2"));
        try (Tokenizer t = MiniLm.newTokenizer()) {
            assertEquals(MiniLm.MAX_TOKENS, t.maxLength());
            assertThrows(IllegalArgumentException.class, () -> t.encode(List.of()));
        }
    }
}
