package dev.floe.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a set of tensors fits a component's parameters, by name and shape: which parameters have no
 * tensor (with the shape expected), which tensors match no parameter (with the shape found), and
 * which have the name but another shape.
 *
 * @param expected the component's parameter paths and shapes
 * @param found the tensors' names (already mapped to parameter paths) and shapes
 */
record Fit(Map<String, List<Long>> expected, Map<String, List<Long>> found) {

    /** At most this many names of each kind are listed in a message. */
    private static final int LISTED = 12;

    Fit {
        expected = new TreeMap<>(expected);
        found = new TreeMap<>(found);
    }

    static Fit of(Map<String, List<Long>> expected, Map<String, List<Long>> found) {
        return new Fit(expected, found);
    }

    /** Whether every parameter has a tensor of its shape and no tensor is left over. */
    boolean exact() {
        return expected.equals(found);
    }

    /** Parameters without a tensor, as {@code path [dims]}. */
    List<String> missing() {
        List<String> out = new ArrayList<>();
        expected.forEach((k, v) -> {
            if (!found.containsKey(k)) {
                out.add(k + " " + v);
            }
        });
        return out;
    }

    /** Tensors that match no parameter, as {@code name [dims]}. */
    List<String> unexpected() {
        List<String> out = new ArrayList<>();
        found.forEach((k, v) -> {
            if (!expected.containsKey(k)) {
                out.add(k + " " + v);
            }
        });
        return out;
    }

    /** Tensors whose name matches and shape does not, as {@code name: expected [..], found [..]}. */
    List<String> misshapen() {
        List<String> out = new ArrayList<>();
        expected.forEach((k, v) -> {
            List<Long> f = found.get(k);
            if (f != null && !f.equals(v)) {
                out.add(k + ": expected " + v + ", found " + f);
            }
        });
        return out;
    }

    /** What does not fit, in one line: the counts and the names with their shapes (at most {@value #LISTED} of each). */
    String describe() {
        List<String> parts = new ArrayList<>();
        List<String> missing = missing();
        List<String> unexpected = unexpected();
        List<String> misshapen = misshapen();
        if (!misshapen.isEmpty()) {
            parts.add(misshapen.size() + " of another shape (" + listed(misshapen) + ")");
        }
        if (!missing.isEmpty()) {
            parts.add(missing.size() + " parameter(s) without a tensor (expected " + listed(missing) + ")");
        }
        if (!unexpected.isEmpty()) {
            parts.add(unexpected.size() + " tensor(s) matching no parameter (found " + listed(unexpected) + ")");
        }
        return parts.isEmpty() ? "the tensors fit" : String.join("; ", parts);
    }

    private static String listed(List<String> items) {
        return items.size() <= LISTED ? String.join(", ", items)
                : String.join(", ", items.subList(0, LISTED)) + ", and " + (items.size() - LISTED) + " more";
    }
}
