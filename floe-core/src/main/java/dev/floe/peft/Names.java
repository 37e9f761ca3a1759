package dev.floe.peft;

import dev.floe.graph.PathGlob;
import java.util.regex.Pattern;

/** Checks shared by the specs. */
final class Names {

    /** Module names become one path segment: letters, digits, '_', '-' (no '.', ',' or '/'). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\-]+");

    private Names() {}

    static void checkName(String kind, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    kind + " name '" + name + "' is not allowed; use letters, digits, '_' or '-' (it becomes a"
                            + " path segment such as encoder/fc1/" + kind + "/<name>)");
        }
    }

    static void checkTarget(String kind, String name, String target) {
        if (target == null) {
            throw new IllegalArgumentException(
                    kind + " '" + name + "' needs a target glob over Linear module paths, e.g. encoder/**");
        }
        PathGlob.compile(target); // throws naming the glob
    }
}
