package dev.floe.registry;

/**
 * One move of a tag, kept forever in the tag's history.
 *
 * @param name the component name
 * @param tag the tag
 * @param seq 1, 2, ... per tag
 * @param action {@value #SET} or {@value #ROLLBACK}
 * @param version the version the tag points to after this event
 * @param previous the version it pointed to before, or null when the tag was new
 * @param user who moved it
 * @param host from which host
 * @param at ISO-8601 instant
 */
public record TagEvent(String name, String tag, int seq, String action, int version, Integer previous, String user,
        String host, String at) {

    /** The tag was set by {@code floe registry tag} or {@code publish --tag}. */
    public static final String SET = "set";
    /** The tag was moved back by {@code floe registry rollback}. */
    public static final String ROLLBACK = "rollback";
}
