package dev.floe.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.Json;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import dev.floe.sweep.SweepRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads finished run folders for a report and groups them into variants.
 *
 * <p>A run folder ({@code floe train}, {@code floe reproduce}, a sweep's run) is one run. Runs whose
 * recipes are equal once everything the seed decides is left out (the seed, the initial weight
 * hashes, data fingerprints, where files were) form one variant, named after the config file it was
 * made from (or, for runs not made from a config, the folder); variants from files of the same name
 * add the config keys that tell them apart. The output folder of {@code floe demo}
 * ({@code results.json} beside the manifest) gives one run per configuration it compared, each its
 * own variant; demos with the same settings but another seed are that variant's further seeds.
 *
 * @param results the runs read, grouped into variants by their names
 * @param notes what the page should say about where the numbers came from
 */
record RunFolders(List<RunResult> results, List<String> notes) {

    /** The file {@code floe demo} writes its per-configuration results to. */
    static final String DEMO_RESULTS = "results.json";

    /** The key of a demo configuration's accuracy standard deviation over its label draws. */
    static final String DEMO_DRAW_STD = "accuracy_std_over_draws";

    /** results.json fields that are settings or text, not results of the configuration. */
    private static final Set<String> DEMO_NOT_RESULTS = Set.of("name", "description", "accuracy", "accuracy_std",
            "accuracy_per_draw", "accuracy_per_corpus", "seed", "labels_per_class", "max_tokens", "epochs",
            "batch_size", "lr", "train_texts", "test_texts");

    /** The seed as a data set's name mentions it ({@code [20 per class, seed 1]}). */
    private static final Pattern SEED_IN_NAME = Pattern.compile("\\bseed -?\\d+");

    private static final JsonMapper CANONICAL =
            JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    /** A run read from a folder before its variant is named. */
    private record Found(String groupKey, String baseName, Map<String, String> settings, Path dir, long seed,
            Map<String, Double> values, List<RunResult.StageCurve> stages) {}

    /** At most this many differing config keys go into a variant's name. */
    private static final int NAME_KEYS = 3;
    /** A config value longer than this is shortened in a variant's name. */
    private static final int NAME_VALUE_CHARS = 24;

    /**
     * Reads the folders, in order.
     *
     * @throws IllegalArgumentException naming a folder that does not exist, is not a run folder
     *     (no {@code manifest.json}), has not finished (no outcome), is a demo folder without
     *     {@code results.json}, or is given twice
     */
    static RunFolders read(List<Path> dirs) {
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException("no run folders given; name one or more folders written by floe train,"
                    + " floe reproduce, floe demo or a sweep");
        }
        List<Found> found = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path dir : dirs) {
            if (!seen.add(dir.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("run folder " + dir + " is given twice; name each run once");
            }
            RunManifest m = manifest(dir);
            if (m.command() != null && m.command().startsWith("demo")) {
                found.addAll(demo(dir, m, notes));
            } else {
                RunResult r = RunResult.fromOutcome(new ReportRun("?", Map.of(), m.recipe().seed(), dir, null), m.outcome());
                found.add(new Found(recipeKey(m), baseName(dir, m), settings(m), dir, m.recipe().seed(), r.values(),
                        r.stages()));
            }
        }
        Map<String, String> names = names(found);
        List<RunResult> results = new ArrayList<>();
        for (Found f : found) {
            ReportRun run = new ReportRun(names.get(f.groupKey()), Map.of(), f.seed(), f.dir(), null);
            results.add(new RunResult(run, f.values(), f.stages(), null));
        }
        return new RunFolders(results, notes);
    }

    /** The finished run's manifest, or an error naming the folder and what was expected. */
    private static RunManifest manifest(Path dir) {
        String expected = "expected a run folder written by floe train, floe reproduce, floe demo or a sweep,"
                + " holding " + RunManifests.FILE + " with an outcome";
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException("run folder " + dir + " does not exist; " + expected);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is a file, not a run folder; " + expected);
        }
        if (!Files.isRegularFile(dir.resolve(RunManifests.FILE))) {
            if (Files.isRegularFile(dir.resolve(SweepRunner.STATE))) {
                throw new IllegalArgumentException(dir + " is a sweep's folder, not a run folder; give its runs ("
                        + dir.resolve("runs").resolve("*") + "), or open the report floe sweep wrote there ("
                        + dir.resolve("report.html") + ")");
            }
            throw new IllegalArgumentException(dir + " is not a run folder: it has no " + RunManifests.FILE + "; "
                    + expected);
        }
        RunManifest m = RunManifests.read(dir);
        if (m.outcome() == null) {
            throw new IllegalArgumentException(dir + " is a run that has not finished: its " + RunManifests.FILE
                    + " has no outcome (the run is still going, or it was stopped or failed); let it finish or leave"
                    + " the folder out");
        }
        return m;
    }

    /** One run per configuration of a {@code floe demo} folder, read from its results.json. */
    private static List<Found> demo(Path dir, RunManifest m, List<String> notes) {
        Path file = dir.resolve(DEMO_RESULTS);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " was written by floe " + m.command() + " but has no " + DEMO_RESULTS
                    + "; expected the demo's per-configuration results beside " + RunManifests.FILE
                    + " — rerun the demo with --out");
        }
        JsonNode tree;
        try {
            tree = Json.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (tree == null || !tree.isArray() || tree.isEmpty()) {
            throw new IllegalArgumentException(file + " is not a demo's results: expected a JSON list of"
                    + " configurations, each with a name and an accuracy");
        }
        String settings = canonical(withoutSeed(m.recipe().settings()));
        List<Found> out = new ArrayList<>();
        int draws = 0;
        for (JsonNode c : tree) {
            if (!c.path("name").isTextual() || !c.path("accuracy").isNumber()) {
                throw new IllegalArgumentException(file + " has a configuration without a name or accuracy: " + c
                        + "; expected the results.json floe demo writes");
            }
            String name = c.get("name").asText();
            Map<String, Double> values = new LinkedHashMap<>();
            values.put(Metric.ACCURACY, c.get("accuracy").asDouble());
            if (c.path("accuracy_std").isNumber()) { // over the demo's label draws, not over seeds
                values.put(DEMO_DRAW_STD, c.get("accuracy_std").asDouble());
            }
            c.fields().forEachRemaining(e -> {
                if (!DEMO_NOT_RESULTS.contains(e.getKey()) && e.getValue().isNumber()) {
                    values.put(e.getKey(), e.getValue().asDouble());
                }
            });
            draws = Math.max(draws, c.path("accuracy_per_draw").size());
            out.add(new Found("demo\u0000" + m.command() + "\u0000" + settings + "\u0000" + name, name, Map.of(), dir,
                    m.recipe().seed(), values, List.of()));
        }
        notes.add(dir + " (floe " + m.command() + "): each configuration the demo compared is a variant, with the numbers"
                + " of " + DEMO_RESULTS + "; its accuracy is the demo's own"
                + (draws > 0 ? " mean over " + draws + (draws == 1 ? " draw" : " draws") + " of the few labelled examples"
                        + " (their spread is " + DEMO_DRAW_STD + ")" : "")
                + ", its peak memory the demo process's peak while that configuration ran (which includes what the"
                + " process already held), and the demo records no learning curves.");
        return out;
    }

    /**
     * What makes runs the same variant: the recipe without what the seed decides or where files
     * were — seed, config text and source, initial weight hashes, data fingerprints and the seed in
     * data names, file paths.
     */
    private static String recipeKey(RunManifest m) {
        ObjectNode tree;
        try {
            tree = (ObjectNode) Json.mapper().readTree(RunManifests.toJson(m)).get("recipe");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read back a manifest as JSON: " + e.getMessage(), e);
        }
        tree.remove("seed");
        if (tree.get("config") instanceof ObjectNode c) {
            c.remove(List.of("source", "base_dir", "text", "sha256"));
            if (c.get("resolved") instanceof ObjectNode resolved) {
                resolved.remove("seed");
            }
        }
        if (tree.get("graph") instanceof ObjectNode g && g.get("components") instanceof ArrayNode cs) {
            cs.forEach(c -> ((ObjectNode) c).remove("weights_before"));
        }
        if (tree.get("data") instanceof ArrayNode data) {
            for (JsonNode d : data) {
                ObjectNode o = (ObjectNode) d;
                o.remove("fingerprint"); // the examples a seed drew
                if (o.path("name").isTextual()) { // "... [20 per class, seed 1]"
                    o.put("name", SEED_IN_NAME.matcher(o.get("name").asText()).replaceAll("seed"));
                }
            }
        }
        if (tree.get("files") instanceof ArrayNode files) {
            files.forEach(f -> ((ObjectNode) f).remove("path"));
        }
        if (tree.get("settings") instanceof ObjectNode) {
            tree.set("settings", withoutSeed(tree.get("settings")));
        }
        return (m.command() == null ? "" : m.command().startsWith("bench") ? m.command() : "run") + "\u0000"
                + canonical(tree);
    }

    private static JsonNode withoutSeed(JsonNode settings) {
        if (settings instanceof ObjectNode o) {
            ObjectNode copy = o.deepCopy();
            copy.remove("seed");
            return copy;
        }
        return settings;
    }

    private static String canonical(JsonNode node) {
        try {
            return CANONICAL.writeValueAsString(CANONICAL.treeToValue(node, Object.class));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a recipe as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The name a run's variant takes: its config file's name without extension, else its folder's
     * name; either without a last {@code -s<seed>} that names the run's own seed (as a sweep names
     * its configs and runs, {@code lr0.01-s2}), since the variant holds the runs of every seed.
     */
    private static String baseName(Path dir, RunManifest m) {
        String name;
        if (m.recipe().config() != null && m.recipe().config().source() != null) {
            String file = Path.of(m.recipe().config().source()).getFileName().toString();
            name = file.replaceFirst("\\.(ya?ml|json)$", "");
        } else {
            Path folder = dir.toAbsolutePath().normalize().getFileName();
            name = folder == null ? dir.toString() : folder.toString();
        }
        String seedSuffix = "-s" + m.recipe().seed();
        return name.endsWith(seedSuffix) && name.length() > seedSuffix.length()
                ? name.substring(0, name.length() - seedSuffix.length()) : name;
    }

    /**
     * A name per variant: its base name; when variants share one, the base name with the config keys
     * whose values tell them apart ({@code fashion [optimizer.lr=0.1]}), or, without such keys, the
     * folder of the variant's first run ({@code fashion (ft-lr-low)}); numbered if still equal.
     */
    private static Map<String, String> names(List<Found> found) {
        Map<String, Found> first = new LinkedHashMap<>();
        found.forEach(f -> first.putIfAbsent(f.groupKey(), f));
        Map<String, List<Found>> byBase = new LinkedHashMap<>();
        first.values().forEach(f -> byBase.computeIfAbsent(f.baseName(), k -> new ArrayList<>()).add(f));
        Map<String, String> names = new LinkedHashMap<>();
        Set<String> taken = new HashSet<>();
        for (Found f : first.values()) {
            List<Found> namesakes = byBase.get(f.baseName());
            String name = f.baseName();
            if (namesakes.size() > 1) {
                String keys = differingSettings(f, namesakes);
                Path folder = f.dir().toAbsolutePath().normalize().getFileName();
                name = keys.isEmpty() ? name + " (" + (folder == null ? f.dir() : folder) + ")" : name + " [" + keys + "]";
            }
            String unique = name;
            for (int i = 2; !taken.add(unique); i++) {
                unique = name + " #" + i;
            }
            names.put(f.groupKey(), unique);
        }
        return names;
    }

    /** {@code key=value, ...} of the config keys whose values differ among the namesakes, as {@code f} has them. */
    private static String differingSettings(Found f, List<Found> namesakes) {
        Set<String> keys = new TreeSet<>();
        namesakes.forEach(n -> keys.addAll(n.settings().keySet()));
        List<String> parts = new ArrayList<>();
        for (String key : keys) {
            String mine = f.settings().get(key);
            boolean differs = namesakes.stream().anyMatch(n -> !Objects.equals(n.settings().get(key), mine));
            if (differs && mine != null) {
                String value = mine.length() > NAME_VALUE_CHARS ? mine.substring(0, NAME_VALUE_CHARS - 1) + "…" : mine;
                parts.add(key + "=" + value);
            }
        }
        if (parts.size() > NAME_KEYS) {
            return String.join(", ", parts.subList(0, NAME_KEYS)) + ", …";
        }
        return String.join(", ", parts);
    }

    /** The run's resolved config flattened to {@code key.path -> value} (seed left out), or empty without a config. */
    private static Map<String, String> settings(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        if (m.recipe().config() != null && m.recipe().config().resolved() != null) {
            flatten("", m.recipe().config().resolved(), out);
            out.remove("seed");
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                    e.getValue(), out));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "[" + i + "]", node.get(i), out);
            }
        } else if (!node.isNull()) {
            out.put(prefix, node.asText());
        }
    }
}
