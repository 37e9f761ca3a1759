package dev.floe.graph;

import java.util.regex.Pattern;

/**
 * A glob over parameter paths: {@code *} matches within one segment, {@code **} across segments,
 * {@code ?} one character, {@code {a,b}} alternatives. A glob that matches a module path also
 * matches everything below it, so {@code encoder}, {@code encoder/**} and {@code encoder/*}{@code *}
 * select the same parameters.
 */
public final class PathGlob {

    private final String text;
    private final Pattern pattern;

    private PathGlob(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    /**
     * Compiles a glob.
     *
     * @param glob the glob, e.g. {@code encoder/block{2,3}/**}
     * @return the compiled glob
     * @throws IllegalArgumentException naming the glob and the position of an unbalanced brace, an
     *     empty glob, or a character that cannot appear in a path
     */
    public static PathGlob compile(String glob) {
        if (glob == null || glob.isBlank()) {
            throw new IllegalArgumentException("a path glob is empty; write e.g. encoder/** or head");
        }
        StringBuilder re = new StringBuilder();
        int depth = 0;
        String g = glob.trim();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < g.length() && g.charAt(i + 1) == '*') {
                        i++;
                        // "**/" also matches zero segments
                        if (i + 1 < g.length() && g.charAt(i + 1) == '/') {
                            i++;
                            re.append("(?:.*/)?");
                        } else {
                            re.append(".*");
                        }
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '{' -> {
                    depth++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (depth == 0) {
                        throw new IllegalArgumentException(
                                "path glob '" + glob + "' has an unmatched '}' at position " + i
                                        + "; alternatives are written {a,b}");
                    }
                    depth--;
                    re.append(')');
                }
                case ',' -> re.append(depth > 0 ? "|" : Pattern.quote(","));
                case '[', ']', '\\', ' ' -> throw new IllegalArgumentException(
                        "path glob '" + glob + "' contains '" + c + "' at position " + i
                                + ", which paths never contain; use *, **, ? and {a,b}");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException(
                    "path glob '" + glob + "' has an unclosed '{'; alternatives are written {a,b}");
        }
        return new PathGlob(g, Pattern.compile(re.toString()));
    }

    /**
     * True when the glob matches the path or one of its ancestor module paths.
     *
     * @param path a parameter or module path
     * @return true on a match
     */
    public boolean matches(String path) {
        if (pattern.matcher(path).matches()) {
            return true;
        }
        for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
            if (pattern.matcher(path.substring(0, i)).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The literal text before the first wildcard, without a trailing {@code /}: what to compare
     * parameter paths with for "nearest path" hints when the glob matches nothing.
     *
     * @return the prefix; empty when the glob starts with a wildcard
     */
    public String literalPrefix() {
        int cut = text.length();
        for (char c : new char[] {'*', '?', '{'}) {
            int i = text.indexOf(c);
            if (i >= 0) {
                cut = Math.min(cut, i);
            }
        }
        String p = text.substring(0, cut);
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /**
     * The parameter and module paths (every prefix of {@code paths} that ends at a {@code /}, and the
     * paths themselves) closest to {@code literal}, at most {@code limit}: the "nearest paths" hint for
     * a glob that matches nothing.
     *
     * @param literal the text to compare with
     * @param paths parameter paths
     * @param limit the maximum number of results
     * @return the closest paths, closest first
     */
    public static java.util.List<String> nearestPaths(String literal, java.util.Collection<String> paths, int limit) {
        java.util.Set<String> candidates = new java.util.LinkedHashSet<>();
        for (String path : paths) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                candidates.add(path.substring(0, i));
            }
            candidates.add(path);
        }
        return nearest(literal, candidates, limit);
    }

    /**
     * The {@code limit} candidates closest to {@code query} by edit distance (ties by name), for
     * "did you mean" hints in error messages.
     *
     * @param query the misspelt name
     * @param candidates the valid names
     * @param limit the maximum number of results
     * @return the closest candidates, closest first
     */
    public static java.util.List<String> nearest(String query, java.util.Collection<String> candidates, int limit) {
        return candidates.stream()
                .sorted(java.util.Comparator.comparingInt((String c) -> editDistance(query, c)).thenComparing(c -> c))
                .limit(limit)
                .toList();
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    @Override
    public String toString() {
        return text;
    }
}
