package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** The error line {@code floe} prints for bad input. */
class FloeMainTest {

    @Test
    void aMessageOverSeveralLinesIsPrintedAsOne() {
        String line = FloeMain.oneLine(new IllegalArgumentException("first part\n  second part\r\nthird\n"));

        assertEquals("first part second part third", line);
    }

    @Test
    void aMissingMessageFallsBackToTheCauseAndNeverToJavaNames() {
        IllegalStateException withCause = new IllegalStateException(null, new IllegalArgumentException("disk full"));
        IllegalStateException bare = new IllegalStateException();

        assertEquals("disk full", FloeMain.oneLine(withCause));
        assertFalse(FloeMain.oneLine(bare).contains("Exception"), FloeMain.oneLine(bare));
        assertFalse(FloeMain.oneLine(bare).contains("null"), FloeMain.oneLine(bare));
    }
}
