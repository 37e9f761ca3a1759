package dev.floe.registry;

import java.util.regex.Pattern;

/** Checks component names and tag names before they reach SQL, file names or bundles. */
final class Names {

    /** Longest name or tag accepted. */
    static final int MAX_LENGTH = 100;

    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private Names() {}

    /**
     * Checks a component name such as {@code fmnist-encoder}.
     *
     * @throws IllegalArgumentException naming what is wrong and what is allowed
     */
    static String name(String name) {
        return check("component name", name, "fmnist-encoder");
    }

    /**
     * Checks a tag such as {@code prod}. A tag made only of digits would read as a version number
     * in {@code NAME@TAG}, so it is refused.
     */
    static String tag(String tag) {
        check("tag", tag, "prod");
        if (DIGITS.matcher(tag).matches()) {
            throw new IllegalArgumentException("tag '" + tag + "' is only digits, which NAME@" + tag
                    + " would read as a version number; give the tag a letter, e.g. v" + tag);
        }
        return tag;
    }

    /** Checks the component name of a new version and, unless it is {@code null}, the tag to give it. */
    static void nameAndTag(String name, String tag) {
        name(name);
        if (tag != null) {
            tag(tag);
        }
    }

    private static String check(String what, String value, String example) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty; give one such as " + example);
        }
        String problem = null;
        if (value.length() > MAX_LENGTH) {
            problem = "it is " + value.length() + " characters long, more than " + MAX_LENGTH;
        } else if (value.contains("/") || value.contains("\\")) {
            problem = "it contains a path separator";
        } else if (value.contains("..")) {
            problem = "it contains '..'";
        } else if (value.codePoints().anyMatch(Character::isWhitespace)) {
            problem = "it contains whitespace";
        } else if (value.codePoints().anyMatch(Character::isISOControl)) {
            problem = "it contains a control character";
        } else if (value.contains("@")) {
            problem = "it contains '@', which separates the name from the version";
        } else if (!ALLOWED.matcher(value).matches()) {
            problem = "it has characters other than letters, digits, '.', '_' and '-' or does not start with a"
                    + " letter or digit";
        }
        if (problem != null) {
            throw new IllegalArgumentException(what + " '" + printable(value) + "' is not allowed: " + problem
                    + "; use letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. " + example + ")");
        }
        return value;
    }

    /** The value with control characters shown as {@code \\uXXXX}, so a message stays one clean line. */
    static String printable(String value) {
        StringBuilder sb = new StringBuilder();
        value.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }
}
