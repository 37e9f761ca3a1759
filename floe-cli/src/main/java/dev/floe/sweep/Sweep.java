package dev.floe.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.config.ComponentSource;
import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.config.YamlFiles;
import dev.floe.run.Experiment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A sweep file read and checked: a base experiment config, the seeds, and the variants (a grid over
 * named axes, or an explicit list). Loading checks everything before anything runs: the file's keys,
 * the base config, every axis path against the config schema, every value (each variant's config is
 * parsed, its graph built and its freeze plans resolved, as {@code floe plan} does, and its data files
 * found), and that no two variants give the same config.
 *
 * <pre>{@code
 * base: fashion-finetune.yaml        # relative to the sweep file
 * seeds: [1, 2, 3]
 * axes:
 *   policy:                          # named values
 *     frozen_encoder: [{freeze: "encoder/**"}, {train: "head/**"}]
 *     full: []
 *   optimizer.lr: [0.001, 0.003]     # a plain list: values named by their text
 * }</pre>
 *
 * or, instead of {@code axes}, {@code variants: [{name: small, set: {optimizer.lr: 0.001}}, ...]}.
 */
public final class Sweep {

    /** The sweep file's keys. */
    record SweepFile(String base, List<Long> seeds, LinkedHashMap<String, JsonNode> axes, List<Entry> variants) {}

    /** One entry of an explicit {@code variants} list. */
    record Entry(String name, LinkedHashMap<String, JsonNode> set) {}

    /** Characters a variant name may hold: it names folders. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._+=-]+");
    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._+=-]+");
    /** Longest variant name kept (a folder name with the seed appended must stay short). */
    private static final int MAX_NAME = 100;

    private final Path file;
    private final Path baseFile;
    private final Path baseDir;
    private final ObjectNode baseTree;
    private final List<Long> seeds;
    private final List<Variant> variants;

    private Sweep(Path file, Path baseFile, Path baseDir, ObjectNode baseTree, List<Long> seeds, List<Variant> variants) {
        this.file = file;
        this.baseFile = baseFile;
        this.baseDir = baseDir;
        this.baseTree = baseTree;
        this.seeds = List.copyOf(seeds);
        this.variants = List.copyOf(variants);
    }

    /**
     * Reads and checks a sweep file.
     *
     * @param file the sweep file
     * @return the sweep, every variant's config checked
     * @param source resolves {@code from: "registry:..."} components of the configs, or null
     * @throws ConfigException (an {@link IllegalArgumentException}) naming the sweep file and line,
     *     the key and, for a value that makes an invalid config, the variant, the key it sets and the
     *     config's own error
     */
    public static Sweep load(Path file, ComponentSource source) {
        String name = file.toString();
        byte[] bytes = ExperimentConfig.read(file);
        SweepFile f = YamlFiles.parse(bytes, name, SweepFile.class, "the sweep file is empty; expected base, seeds and"
                + " axes (or variants), as in examples/sweep.yaml");
        if (f.base() == null || f.base().isBlank()) {
            throw error(name, bytes, List.of(), "", "missing key 'base': the experiment config the variants start from,"
                    + " relative to this file, e.g. base: fashion-finetune.yaml");
        }
        Path folder = file.toAbsolutePath().normalize().getParent();
        Path baseFile = folder.resolve(f.base()).normalize();
        byte[] baseBytes;
        ExperimentConfig baseConfig;
        try {
            baseBytes = ExperimentConfig.read(baseFile);
            baseConfig = ExperimentConfig.parse(baseBytes, baseFile.toString());
        } catch (ConfigException e) {
            throw error(name, bytes, List.of("base"), "base", "the base config is invalid: " + e.getMessage());
        }
        Path baseDir = baseFile.getParent();
        checkBuilds(baseConfig, baseDir, source, e -> error(name, bytes, List.of("base"), "base",
                "the base config is invalid: " + e.withSource(baseFile.toString()).getMessage()));
        ObjectNode baseTree = (ObjectNode) YamlFiles.parse(baseBytes, baseFile.toString(), JsonNode.class, "empty");

        List<Long> seeds = f.seeds() == null ? List.of(baseConfig.seed()) : f.seeds();
        if (seeds.isEmpty()) {
            throw error(name, bytes, List.of("seeds"), "seeds", "the list is empty; give at least one seed, e.g. seeds: [1, 2, 3],"
                    + " or leave seeds out to use the base config's seed");
        }
        if (new LinkedHashSet<>(seeds).size() != seeds.size() || seeds.stream().anyMatch(java.util.Objects::isNull)) {
            throw error(name, bytes, List.of("seeds"), "seeds", "seeds " + seeds + " repeat a seed or hold an empty entry;"
                    + " give each seed once");
        }
        List<Variant> variants;
        if (f.axes() != null && f.variants() != null) {
            throw error(name, bytes, List.of("variants"), "variants", "both axes and variants are given; use axes for a"
                    + " grid or variants for an explicit list, not both");
        } else if (f.axes() != null) {
            variants = grid(name, bytes, f.axes(), baseTree, f.seeds() != null);
        } else if (f.variants() != null) {
            variants = explicit(name, bytes, f.variants(), baseTree, f.seeds() != null);
        } else {
            throw error(name, bytes, List.of(), "", "the sweep has neither axes nor variants; add axes: {optimizer.lr:"
                    + " [0.001, 0.003]} for a grid or variants: [{name: ..., set: {...}}] for an explicit list");
        }
        Sweep sweep = new Sweep(file, baseFile, baseDir, baseTree, seeds, variants);
        sweep.checkVariants(name, bytes, source);
        return sweep;
    }

    // ---- expansion ----------------------------------------------------------------------------

    private record Axis(String path, List<String> names, List<JsonNode> values, List<Integer> lines) {}

    private static List<Variant> grid(String name, byte[] bytes, Map<String, JsonNode> axesNode, ObjectNode base,
            boolean seedsGiven) {
        if (axesNode.isEmpty()) {
            throw error(name, bytes, List.of("axes"), "axes", "no axes are given; add at least one, e.g. optimizer.lr:"
                    + " [0.001, 0.003]");
        }
        List<Axis> axes = new ArrayList<>();
        for (Map.Entry<String, JsonNode> a : axesNode.entrySet()) {
            String path = a.getKey();
            List<Object> at = List.of("axes", path);
            checkKey(name, bytes, at, "axes." + path, path, base, seedsGiven);
            JsonNode node = a.getValue();
            List<String> names = new ArrayList<>();
            List<JsonNode> values = new ArrayList<>();
            List<Integer> lines = new ArrayList<>();
            if (node != null && node.isObject()) {
                node.fields().forEachRemaining(e -> {
                    names.add(e.getKey());
                    values.add(e.getValue());
                    lines.add(YamlFiles.line(bytes, List.of("axes", path, e.getKey())));
                });
            } else if (node != null && node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    names.add(textOf(node.get(i)));
                    values.add(node.get(i));
                    lines.add(YamlFiles.line(bytes, List.of("axes", path, i)));
                }
            } else {
                throw error(name, bytes, at, "axes." + path, "expected a list of values or a map of named values, found "
                        + (node == null || node.isNull() ? "nothing" : node.toString()) + "; write e.g. " + path
                        + ": [" + (node == null || node.isNull() ? "0.001" : node.toString()) + "]");
            }
            if (values.isEmpty()) {
                throw error(name, bytes, at, "axes." + path, "the axis has no values; give at least one, or remove the axis");
            }
            if (new LinkedHashSet<>(names).size() != names.size()) {
                throw error(name, bytes, at, "axes." + path, "two values are named alike (" + names + "); write the axis as"
                        + " a map of named values, e.g. " + path + ": {small: 0.001, large: 0.003}");
            }
            axes.add(new Axis(path, names, values, lines));
        }
        List<Variant> out = new ArrayList<>();
        int[] pick = new int[axes.size()];
        while (true) {
            Map<String, String> chosen = new LinkedHashMap<>();
            Map<String, JsonNode> sets = new LinkedHashMap<>();
            Map<String, Integer> lines = new LinkedHashMap<>();
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < axes.size(); i++) {
                Axis a = axes.get(i);
                chosen.put(a.path(), a.names().get(pick[i]));
                sets.put(a.path(), a.values().get(pick[i]));
                lines.put(a.path(), a.lines().get(pick[i]));
                boolean named = axesNode.get(a.path()).isObject();
                parts.add(named ? a.names().get(pick[i]) : lastKey(a.path()) + a.names().get(pick[i]));
            }
            out.add(new Variant(folderName(String.join("-", parts)), chosen, sets, lines));
            int i = axes.size() - 1;
            while (i >= 0 && ++pick[i] == axes.get(i).values().size()) {
                pick[i] = 0;
                i--;
            }
            if (i < 0) {
                break;
            }
        }
        Map<String, Variant> byName = new HashMap<>();
        for (Variant v : out) {
            Variant other = byName.putIfAbsent(v.name(), v);
            if (other != null) {
                throw error(name, bytes, List.of("axes"), "axes", "variants " + other.axes() + " and " + v.axes()
                        + " would both be named '" + v.name() + "'; give the values distinct names (write an axis as a"
                        + " map of named values)");
            }
        }
        return out;
    }

    private static List<Variant> explicit(String name, byte[] bytes, List<Entry> entries, ObjectNode base, boolean seedsGiven) {
        if (entries.isEmpty()) {
            throw error(name, bytes, List.of("variants"), "variants", "the list is empty; give at least one variant,"
                    + " e.g. - {name: slow, set: {optimizer.lr: 0.001}}");
        }
        List<Variant> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            String key = "variants[" + i + "]";
            if (e == null || e.name() == null || e.name().isBlank()) {
                throw error(name, bytes, List.of("variants", i), key, "missing key 'name'; every variant needs a name,"
                        + " e.g. - {name: slow, set: {optimizer.lr: 0.001}}");
            }
            if (!SAFE.matcher(e.name()).matches() || e.name().length() > MAX_NAME) {
                throw error(name, bytes, List.of("variants", i, "name"), key + ".name", "'" + e.name() + "' names run"
                        + " folders, so it may hold only letters, digits and . _ + = - (at most " + MAX_NAME
                        + " characters); rename it, e.g. '" + folderName(e.name()) + "'");
            }
            Integer before = seen.putIfAbsent(e.name(), i);
            if (before != null) {
                throw error(name, bytes, List.of("variants", i, "name"), key + ".name", "variants[" + before + "] and "
                        + key + " are both named '" + e.name() + "'; names must be unique");
            }
            Map<String, JsonNode> set = e.set() == null ? Map.of() : e.set();
            Map<String, String> axes = new LinkedHashMap<>();
            Map<String, Integer> lines = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> s : set.entrySet()) {
                List<Object> at = List.of("variants", i, "set", s.getKey());
                checkKey(name, bytes, at, key + ".set." + s.getKey(), s.getKey(), base, seedsGiven);
                axes.put(s.getKey(), textOf(s.getValue()));
                lines.put(s.getKey(), YamlFiles.line(bytes, at));
            }
            if (lines.isEmpty()) {
                lines.put("", YamlFiles.line(bytes, List.of("variants", i)));
            }
            out.add(new Variant(e.name(), axes, set, lines));
        }
        return out;
    }

    private static void checkKey(String name, byte[] bytes, List<Object> at, String where, String path, ObjectNode base,
            boolean seedsGiven) {
        if (path.equals("seed") && seedsGiven) {
            throw error(name, bytes, at, where, "seed is set by the sweep's seeds list; vary it there, not as a key");
        }
        try {
            ConfigKeys.check(path, base);
        } catch (IllegalArgumentException e) {
            throw error(name, bytes, at, where, e.getMessage());
        }
    }

    // ---- checking the variants ----------------------------------------------------------------

    /** Parses, builds and plans every variant (with the first seed); refuses two that resolve alike. */
    private void checkVariants(String name, byte[] bytes, ComponentSource source) {
        Map<String, Variant> byConfig = new HashMap<>();
        for (Variant v : variants) {
            int line = v.lines().values().iterator().next();
            ExperimentConfig cfg;
            try {
                cfg = ExperimentConfig.parse(configBytes(v, seeds.get(0)), name + " variant " + v.name());
            } catch (ConfigException e) {
                throw invalid(name, v, e);
            }
            checkBuilds(cfg, baseDir, source, e -> invalid(name, v, e));
            Variant other = byConfig.putIfAbsent(cfg.toJson(), v);
            if (other != null) {
                throw new ConfigException(name, line, ConfigException.UNKNOWN, "", "variants '" + other.name() + "' ("
                        + other.describe() + ") and '" + v.name() + "' (" + v.describe() + ") give the same config once"
                        + " defaults are filled in, so they would train the same thing; remove one or change a value", null);
            }
        }
    }

    /** Builds the graph and resolves the plans (as floe plan does) and finds the data files. */
    private static void checkBuilds(ExperimentConfig cfg, Path baseDir, ComponentSource source,
            java.util.function.Function<ConfigException, RuntimeException> wrap) {
        try (Experiment built = Experiment.build(cfg, baseDir, source)) {
            ExperimentData.locate(cfg, baseDir);
        } catch (ConfigException e) {
            throw wrap.apply(e);
        }
    }

    /** The error for a variant whose config is invalid: which variant, which key it sets, the config's error. */
    private static ConfigException invalid(String name, Variant v, ConfigException e) {
        String culprit = null;
        for (String key : v.sets().keySet()) {
            if (e.where().equals(key) || e.where().startsWith(key + ".") || e.where().startsWith(key + "[")
                    || key.startsWith(e.where() + ".") || key.startsWith(e.where() + "[")) {
                culprit = key;
                break;
            }
        }
        String key = culprit != null ? culprit : v.sets().isEmpty() ? "" : v.sets().keySet().iterator().next();
        int line = v.lines().getOrDefault(key, v.lines().values().iterator().next());
        String setting = culprit != null ? culprit + ": " + v.sets().get(culprit) : v.describe();
        String error = (e.where().isEmpty() ? "" : e.where() + ": ") + e.detail();
        return new ConfigException(name, line, ConfigException.UNKNOWN, "", "variant '" + v.name() + "' ("
                + (setting.isEmpty() ? "the base config" : setting) + ") makes an invalid config: " + error, e);
    }

    // ---- configs of runs -----------------------------------------------------------------------

    /**
     * The config a variant runs with one seed: the base config with the variant's keys set and
     * {@code seed} replaced, as YAML, after a comment naming the sweep, variant and seed.
     *
     * @param v the variant
     * @param seed the seed
     * @return the YAML bytes, UTF-8
     */
    public byte[] configBytes(Variant v, long seed) {
        ObjectNode tree = baseTree.deepCopy();
        v.sets().forEach((path, value) -> set(tree, ConfigKeys.segments(path), value == null ? null : value.deepCopy()));
        tree.put("seed", seed);
        String header = "# variant " + v.name() + ", seed " + seed + " of sweep " + file.getFileName() + " (base "
                + baseFile.getFileName() + ")\n";
        byte[] yaml = YamlFiles.toYaml(tree);
        byte[] out = new byte[header.length() + yaml.length];
        System.arraycopy(header.getBytes(StandardCharsets.UTF_8), 0, out, 0, header.length());
        System.arraycopy(yaml, 0, out, header.length(), yaml.length);
        return out;
    }

    /** Sets the value at {@code path}, making missing maps on the way (list entries must exist). */
    private static void set(ObjectNode root, List<Object> path, JsonNode value) {
        JsonNode node = root;
        for (int i = 0; i < path.size() - 1; i++) {
            Object seg = path.get(i);
            Object next = path.get(i + 1);
            JsonNode child = seg instanceof String k ? node.get(k) : node.get((Integer) seg);
            if (child == null || child.isNull()) {
                child = next instanceof Integer ? JsonNodeFactory.instance.arrayNode() : JsonNodeFactory.instance.objectNode();
                if (seg instanceof String k) {
                    ((ObjectNode) node).set(k, child);
                } else {
                    ((ArrayNode) node).set((Integer) seg, child);
                }
            }
            node = child;
        }
        Object last = path.get(path.size() - 1);
        JsonNode v = value == null ? JsonNodeFactory.instance.nullNode() : value;
        if (last instanceof String k) {
            ((ObjectNode) node).set(k, v);
        } else {
            ((ArrayNode) node).set((Integer) last, v);
        }
    }

    // ---- naming -------------------------------------------------------------------------------

    /** A value's name in a plain-list axis: its text ({@code 0.001}, {@code true}, {@code adamw}). */
    private static String textOf(JsonNode v) {
        return v == null || v.isNull() ? "null" : v.isValueNode() ? v.asText() : v.toString();
    }

    private static String lastKey(String path) {
        String last = path.substring(path.lastIndexOf('.') + 1);
        return last.replaceAll("\\[\\d+\\]", "");
    }

    /** {@code text} with characters a folder name should not have replaced by {@code _}, shortened. */
    static String folderName(String text) {
        String safe = UNSAFE.matcher(text).replaceAll("_").replaceAll("^_+|_+$", "");
        return safe.length() > MAX_NAME ? safe.substring(0, MAX_NAME) : safe;
    }

    private static ConfigException error(String name, byte[] bytes, List<Object> at, String where, String detail) {
        return new ConfigException(name, YamlFiles.line(bytes, at), ConfigException.UNKNOWN, where, detail, null);
    }

    // ---- accessors ----------------------------------------------------------------------------

    /**
     * The sweep file.
     *
     * @return the sweep file
     */
    public Path file() {
        return file;
    }

    /**
     * The base config file.
     *
     * @return the base config file
     */
    public Path baseFile() {
        return baseFile;
    }

    /**
     * The folder the base config's relative paths start from (its own folder).
     *
     * @return the folder
     */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * The seeds each variant runs with, in file order.
     *
     * @return the seeds
     */
    public List<Long> seeds() {
        return seeds;
    }

    /**
     * The variants, in expansion order (first axis slowest) or list order.
     *
     * @return the variants
     */
    public List<Variant> variants() {
        return variants;
    }
}
