package dev.floe.registry;

import dev.floe.graph.PathGlob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What an error about an unknown name, tag or version lists: everything when there are few, the
 * nearest (by edit distance, {@link PathGlob#nearest}) when there are many.
 */
final class Hints {

    /** Up to this many are listed in full. */
    static final int LISTED = 8;
    /** With more, this many nearest are named. */
    static final int NEAREST = 3;

    private Hints() {}

    /** {@code its components are [a, b]}, or {@code the 3 of its 40 components nearest to 'q' are [a, b, c]; ...}. */
    static String names(String query, List<String> names, String plural, String listCommand) {
        if (names.size() <= LISTED) {
            return "its " + plural + " are " + names;
        }
        return "the " + NEAREST + " of its " + names.size() + " " + plural + " nearest to '" + Names.printable(query)
                + "' are " + PathGlob.nearest(query, names, NEAREST) + " (" + listCommand + " lists them all)";
    }

    /** {@code its tags are candidate → 2, prod → 1}, or the nearest tags when there are many. */
    static String tags(String query, Map<String, Integer> tags, String name) {
        if (tags.size() <= LISTED) {
            return "its tags are " + describe(tags, List.copyOf(tags.keySet()));
        }
        return "the " + NEAREST + " of its " + tags.size() + " tags nearest to '" + Names.printable(query) + "' are "
                + describe(tags, PathGlob.nearest(query, tags.keySet(), NEAREST))
                + " (floe registry list " + name + " lists them all)";
    }

    /** {@code [1, 2, 3]} when few, else runs such as {@code 1-40, 42-45}. */
    static String versions(List<Integer> numbers) {
        if (numbers.size() <= LISTED) {
            return numbers.toString();
        }
        List<String> runs = new ArrayList<>();
        int start = numbers.get(0);
        int prev = start;
        for (int i = 1; i <= numbers.size(); i++) {
            Integer n = i < numbers.size() ? numbers.get(i) : null;
            if (n == null || n != prev + 1) {
                runs.add(start == prev ? Integer.toString(start) : start + "-" + prev);
                if (n != null) {
                    start = n;
                }
            }
            if (n != null) {
                prev = n;
            }
        }
        return String.join(", ", runs);
    }

    private static String describe(Map<String, Integer> tags, List<String> which) {
        List<String> out = new ArrayList<>();
        which.forEach(t -> out.add(t + " → " + tags.get(t)));
        return String.join(", ", out);
    }
}
