package dev.floe.registry;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A reference to a component version as users write it: {@code NAME@VERSION} (a number),
 * {@code NAME@TAG}, or {@code NAME} alone for the newest version.
 *
 * @param name the component name
 * @param version the version number, or null
 * @param tag the tag, or null; at most one of version and tag is set
 */
public record VersionRef(String name, Integer version, String tag) {

    /**
     * Checks the name and that at most one of version and tag is given.
     *
     * @param name the component name
     * @param version the version number, or null
     * @param tag the tag, or null; at most one of version and tag is set
     * @throws IllegalArgumentException for an invalid name, or both a version and a tag
     */
    public VersionRef {
        Names.name(name);
        if (version != null && tag != null) {
            throw new IllegalArgumentException("a reference names a version or a tag, not both: " + name + "@" + version
                    + " and @" + tag);
        }
        if (version != null && version < 1) {
            throw new IllegalArgumentException("version " + version + " of " + name + " does not exist; versions count from 1");
        }
        if (tag != null) {
            Names.tag(tag);
        }
    }

    /**
     * {@code name@version}.
     *
     * @param name the component name
     * @param version the version number
     * @return the reference
     */
    public static VersionRef of(String name, int version) {
        return new VersionRef(name, version, null);
    }

    /**
     * Parses {@code NAME@VERSION}, {@code NAME@TAG} or {@code NAME}.
     *
     * @param text the reference text
     * @return the reference
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    @JsonCreator
    public static VersionRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the version reference is empty; write NAME@VERSION, NAME@TAG or NAME,"
                    + " e.g. fmnist-encoder@3 or fmnist-encoder@prod");
        }
        int at = text.indexOf('@');
        if (at < 0) {
            return new VersionRef(text, null, null);
        }
        if (text.indexOf('@', at + 1) >= 0) {
            throw new IllegalArgumentException("'" + Names.printable(text) + "' has more than one '@'; write NAME@VERSION,"
                    + " NAME@TAG or NAME, e.g. fmnist-encoder@3");
        }
        String name = text.substring(0, at);
        String after = text.substring(at + 1);
        if (after.isEmpty()) {
            throw new IllegalArgumentException("'" + Names.printable(text) + "' has nothing after '@'; write a version"
                    + " number or a tag, e.g. " + name + "@1 or " + name + "@prod");
        }
        if (after.chars().allMatch(Character::isDigit)) {
            try {
                return new VersionRef(name, Integer.parseInt(after), null);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("version '" + after + "' of " + name + " is too large; versions are"
                        + " numbered 1, 2, 3, ...");
            }
        }
        return new VersionRef(name, null, after);
    }

    /**
     * Whether this names the newest version ({@code NAME} alone).
     *
     * @return true when neither a version nor a tag is given
     */
    public boolean latest() {
        return version == null && tag == null;
    }

    @JsonValue
    @Override
    public String toString() {
        return version != null ? name + "@" + version : tag != null ? name + "@" + tag : name;
    }
}
