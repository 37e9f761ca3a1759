package dev.floe.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions on error messages. */
final class Messages {

    private Messages() {}

    /** Asserts that the message of {@code e} contains every one of {@code parts}. */
    static void assertMentions(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message lacks \"" + part + "\": " + e.getMessage());
        }
    }
}
