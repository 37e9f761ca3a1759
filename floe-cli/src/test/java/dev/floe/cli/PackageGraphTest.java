package dev.floe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package graph of Floe's main sources has no cycle: every reference from one {@code dev.floe}
 * package to another (imports and fully qualified names alike) points one way only, so the layers
 * in the README's layout hold. Read from the sources of every module of the checkout.
 */
class PackageGraphTest {

    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.floe\\.[a-z]+)\\.[A-Z]");
    private static final Pattern COMMENTS = Pattern.compile("/\\*[\\s\\S]*?\\*/|//[^\\n]*");

    static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> deps = new TreeMap<>();
        try (Stream<Path> modules = Files.list(Path.of(".."))) {
            for (Path module : modules.filter(m -> m.getFileName().toString().startsWith("floe-")).toList()) {
                Path src = module.resolve("src/main/java");
                if (!Files.isDirectory(src)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(src)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        String text = Files.readString(f);
                        Matcher pkg = PACKAGE.matcher(text);
                        if (!pkg.find()) {
                            continue;
                        }
                        Set<String> to = deps.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
                        Matcher ref = REFERENCE.matcher(COMMENTS.matcher(text).replaceAll(""));
                        while (ref.find()) {
                            if (!ref.group(1).equals(pkg.group(1))) {
                                to.add(ref.group(1));
                            }
                        }
                    }
                }
            }
        }
        return deps;
    }

    @Test
    void thePackagesOfAllModulesFormNoCycle() throws IOException {
        Map<String, Set<String>> deps = graph();
        assertTrue(deps.containsKey("dev.floe.train") && deps.containsKey("dev.floe.registry"), deps.keySet().toString());
        List<List<String>> cycles = new ArrayList<>();
        Map<String, Integer> state = new HashMap<>(); // 1 on the path, 2 done
        for (String p : deps.keySet()) {
            walk(p, deps, state, new ArrayList<>(), cycles);
        }
        assertEquals(List.of(), cycles, "package cycles");
    }

    @Test
    void theLowerFloorsDoNotReachUp() throws IOException {
        Map<String, Set<String>> deps = graph();
        Set<String> low = new HashSet<>(List.of("dev.floe.engine", "dev.floe.nn", "dev.floe.graph", "dev.floe.io",
                "dev.floe.optim", "dev.floe.freeze", "dev.floe.schedule", "dev.floe.data", "dev.floe.cache"));
        for (String p : low) {
            for (String to : deps.getOrDefault(p, Set.of())) {
                assertTrue(!to.equals("dev.floe.train") && !to.equals("dev.floe.run") && !to.equals("dev.floe.config")
                        && !to.equals("dev.floe.cli") && !to.equals("dev.floe.demo"), p + " depends on " + to);
            }
        }
    }

    private static void walk(String p, Map<String, Set<String>> deps, Map<String, Integer> state, List<String> path,
            List<List<String>> cycles) {
        Integer s = state.get(p);
        if (s != null && s == 2) {
            return;
        }
        if (s != null && s == 1) {
            cycles.add(new ArrayList<>(path.subList(path.indexOf(p), path.size())));
            return;
        }
        state.put(p, 1);
        path.add(p);
        for (String to : deps.getOrDefault(p, Set.of())) {
            walk(to, deps, state, path, cycles);
        }
        path.remove(path.size() - 1);
        state.put(p, 2);
    }
}
