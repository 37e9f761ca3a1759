package dev.floe.cli;

import static dev.floe.cli.YamlTree.list;
import static dev.floe.cli.YamlTree.raw;
import static dev.floe.cli.YamlTree.str;

import dev.floe.cli.YamlTree.ListNode;
import dev.floe.cli.YamlTree.MapNode;
import dev.floe.cli.YamlTree.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Makes invalid experiment configs from valid ones, one defect each, knowing from a schema of the
 * config format which changes are invalid whatever the rest of the file says.
 *
 * <p>The schema mirrors {@code dev.floe.config}: which keys each section has, which are required,
 * and the type and range of every value. A mutation changes one place and records the key names
 * an error message about it may use: the key itself (or the list holding the entry) or its dotted
 * path.
 */
final class ConfigMutations {

    /** The mutation categories, in the order cases cycle through them. */
    enum Category {
        /** A required key removed (a section, {@code type}, {@code lr}, a rule's action, ...). */
        DROP_REQUIRED,
        /** A key written twice in one map. */
        DUPLICATE_KEY,
        /** A value replaced by one of another YAML type that the key cannot take. */
        RETYPE,
        /**
         * A number outside its key's range: 0, negative, NaN, infinite, fractional, 1e400, 20 digits, or
         * 1200 digits (past the reader's limit on number length).
         */
        OUT_OF_RANGE,
        /** A policy glob that matches no parameter or does not compile. */
        BAD_GLOB,
        /** A key the map does not have (or a component that does not exist). */
        UNKNOWN_KEY,
        /** A value replaced by a map nested 100 deep (a third of the time 1500, past the reader's limit). */
        DEEP_NESTING,
        /** A size or count of 2^31, 2^40 or 2^62. */
        HUGE_SIZE
    }

    /**
     * One invalid config: the category, what changed, the names of which a good message uses one
     * ({@code keys}), and the dotted path of the map or list entry holding the key ({@code parent},
     * empty at the top level), which a good message also names.
     */
    record Mutation(Category category, String description, MapNode config, Set<String> keys, String parent) {}

    // ---- schema -------------------------------------------------------------------------------

    /** Kinds of leaf values, with the ranges of {@code dev.floe.config}. */
    enum Kind {
        SEED, POS_INT, STEPS, SIZE, POS_DOUBLE, NONNEG_DOUBLE, UNIT_OPEN, DECAY, CUT, RATIO, MIN_FACTOR, WARMUP,
        CLASS_INDEX, BOOL,
        /** One of a fixed set of words (format, type, metric). */
        ENUM,
        /** Names something else in the config or on disk (wire ends, files, components, shapes). */
        REF,
        /** A free name (component or stage name): any scalar is a valid name. */
        NAME,
        GLOB,
        /** true, false or auto: a boolean is valid, other words and numbers are not. */
        TRISTATE
    }

    sealed interface Schema permits Leaf, Rec, Poly, ListOf, FreeMap {}

    record Leaf(Kind kind) implements Schema {}

    record Field(Schema schema, boolean required) {}

    /** A record: fixed keys. */
    record Rec(Map<String, Field> fields) implements Schema {}

    /** A record chosen by its {@code type} key. */
    record Poly(Map<String, Rec> variants) implements Schema {}

    record ListOf(Schema item) implements Schema {}

    /** A map with free keys: graph inputs/outputs, or component names ({@code componentKeys}). */
    record FreeMap(Schema value, boolean componentKeys) implements Schema {}

    private static Field req(Schema s) {
        return new Field(s, true);
    }

    private static Field opt(Schema s) {
        return new Field(s, false);
    }

    private static Leaf leaf(Kind k) {
        return new Leaf(k);
    }

    @SafeVarargs
    private static Rec rec(Map.Entry<String, Field>... fields) {
        Map<String, Field> m = new LinkedHashMap<>();
        for (Map.Entry<String, Field> f : fields) {
            m.put(f.getKey(), f.getValue());
        }
        return new Rec(m);
    }

    private static Map.Entry<String, Field> f(String key, Field field) {
        return Map.entry(key, field);
    }

    private static final Field TYPE = req(leaf(Kind.ENUM));

    private static final Poly SCHEDULE = new Poly(Map.of(
            "constant", rec(f("type", TYPE)),
            "warmup_cosine", rec(f("type", TYPE), f("warmup_steps", opt(leaf(Kind.WARMUP))),
                    f("min_factor", opt(leaf(Kind.MIN_FACTOR)))),
            "slanted_triangular", rec(f("type", TYPE), f("cut_fraction", opt(leaf(Kind.CUT))),
                    f("ratio", opt(leaf(Kind.RATIO))))));

    private static final Rec EARLY_STOPPING = rec(f("metric", opt(leaf(Kind.ENUM))),
            f("patience", opt(leaf(Kind.POS_INT))), f("min_delta", opt(leaf(Kind.NONNEG_DOUBLE))),
            f("restore_best", opt(leaf(Kind.BOOL))));

    private static final Rec FREEZE_RULE = rec(f("freeze", req(leaf(Kind.GLOB))));
    private static final Rec TRAIN_RULE = rec(f("train", req(leaf(Kind.GLOB))),
            f("lr_scale", opt(leaf(Kind.POS_DOUBLE))), f("weight_decay", opt(leaf(Kind.NONNEG_DOUBLE))));

    private static final Leaf SIZE = leaf(Kind.SIZE);
    private static final Leaf DROPOUT = leaf(Kind.UNIT_OPEN);

    private static final Poly COMPONENT = new Poly(Map.of(
            "conv_encoder", rec(f("name", req(leaf(Kind.NAME))), f("type", TYPE), f("input", opt(new ListOf(SIZE))),
                    f("widths", opt(new ListOf(SIZE)))),
            "linear_head", rec(f("name", req(leaf(Kind.NAME))), f("type", TYPE), f("features", req(SIZE)),
                    f("classes", req(SIZE)), f("dropout", opt(DROPOUT))),
            "mlp", rec(f("name", req(leaf(Kind.NAME))), f("type", TYPE), f("inputs", req(SIZE)),
                    f("hidden", opt(new ListOf(SIZE))), f("outputs", req(SIZE)), f("dropout", opt(DROPOUT))),
            "mlp_head", rec(f("name", req(leaf(Kind.NAME))), f("type", TYPE), f("features", req(SIZE)),
                    f("hidden", req(SIZE)), f("classes", req(SIZE)), f("dropout", opt(DROPOUT))),
            "minilm", rec(f("name", req(leaf(Kind.NAME))), f("type", TYPE), f("pooling", opt(leaf(Kind.ENUM))),
                    f("dropout", opt(DROPOUT))),
            "transformer", rec(f("name", req(leaf(Kind.NAME))), f("type", TYPE), f("vocab", opt(SIZE)),
                    f("hidden", req(SIZE)), f("layers", req(leaf(Kind.POS_INT))), f("heads", req(SIZE)),
                    f("intermediate", opt(SIZE)), f("max_positions", opt(SIZE)), f("dropout", opt(DROPOUT)),
                    f("pooling", opt(leaf(Kind.ENUM))), f("tokenizer", opt(leaf(Kind.REF))), f("onnx", opt(leaf(Kind.REF))))));

    private static final Rec PEFT = rec(
            f("lora", opt(new ListOf(rec(f("name", req(leaf(Kind.NAME))), f("target", req(leaf(Kind.GLOB))),
                    f("rank", req(leaf(Kind.POS_INT))), f("alpha", opt(leaf(Kind.POS_DOUBLE))),
                    f("dropout", opt(DROPOUT)))))),
            f("adapters", opt(new ListOf(rec(f("name", req(leaf(Kind.NAME))), f("target", req(leaf(Kind.GLOB))),
                    f("bottleneck", req(leaf(Kind.POS_INT))), f("activation", opt(leaf(Kind.ENUM))))))),
            f("active", opt(new ListOf(leaf(Kind.REF)))),
            f("merge", opt(leaf(Kind.BOOL))),
            f("freeze_host", opt(leaf(Kind.BOOL))));

    private static final Poly OPTIMIZER = new Poly(Map.of(
            "adamw", rec(f("type", TYPE), f("lr", req(leaf(Kind.POS_DOUBLE))),
                    f("weight_decay", opt(leaf(Kind.NONNEG_DOUBLE))), f("beta1", opt(DROPOUT)), f("beta2", opt(DROPOUT)),
                    f("eps", opt(leaf(Kind.POS_DOUBLE)))),
            "sgd", rec(f("type", TYPE), f("lr", req(leaf(Kind.POS_DOUBLE))), f("momentum", opt(DROPOUT)),
                    f("weight_decay", opt(leaf(Kind.NONNEG_DOUBLE))))));

    /** The schema of a whole config; data file keys depend on its format, training.epochs on its stages. */
    static Rec schemaOf(MapNode config) {
        boolean multi = config.get("tasks") != null;
        // with tasks, every task's data has the first task's format (a config rule), so one schema serves all
        MapNode data = multi
                ? (MapNode) ((MapNode) ((YamlTree.ListNode) config.get("tasks")).items.get(0)).get("data")
                : (MapNode) config.get("data");
        boolean csv = "csv".equals(YamlTree.text(data.get("format")));
        boolean text = "text".equals(YamlTree.text(data.get("format")));
        Rec files = csv || text
                ? rec(f("path", req(leaf(Kind.REF))))
                : rec(f("images", req(leaf(Kind.REF))), f("labels", req(leaf(Kind.REF))));
        Rec dataRec = text
                ? rec(f("format", req(leaf(Kind.ENUM))), f("train", req(files)), f("test", opt(files)),
                        f("text_column", opt(leaf(Kind.NAME))), f("label_column", opt(leaf(Kind.NAME))),
                        // any scalar can name a class; a list or map cannot
                        f("labels", opt(new ListOf(leaf(Kind.NAME)))), f("max_tokens", opt(leaf(Kind.POS_INT))),
                        f("num_classes", opt(leaf(Kind.POS_INT))), f("per_class", opt(leaf(Kind.POS_INT))),
                        f("eval_fraction", opt(DROPOUT)), f("limit", opt(leaf(Kind.POS_INT))))
                : rec(f("format", req(leaf(Kind.ENUM))), f("train", req(files)), f("test", opt(files)),
                        // any text can name a CSV column; whether the file has it is a property of the file
                        f("label_column", opt(leaf(Kind.NAME))),
                        f("num_classes", new Field(leaf(Kind.POS_INT), data.get("labels") == null)),
                        f("header", opt(leaf(Kind.TRISTATE))), f("delimiter", opt(leaf(Kind.ENUM))),
                        f("normalize", opt(leaf(Kind.ENUM))),
                        f("drop_columns", opt(new ListOf(leaf(Kind.NAME)))), f("labels", opt(new ListOf(leaf(Kind.NAME)))),
                        f("classes", opt(new ListOf(leaf(Kind.CLASS_INDEX)))), f("per_class", opt(leaf(Kind.POS_INT))),
                        f("eval_fraction", opt(DROPOUT)), f("limit", opt(leaf(Kind.POS_INT))));
        boolean epochsRequired = config.get("stages") == null && config.get("progressive") == null;
        Schema policy = new ListOf(new Poly(Map.of())); // a rule's schema follows its action, see resolve
        return rec(
                f("seed", opt(leaf(Kind.SEED))),
                f("data", new Field(dataRec, !multi)),
                f("tasks", opt(new ListOf(rec(f("name", req(leaf(Kind.NAME))), f("output", req(leaf(Kind.REF))),
                        f("weight", opt(leaf(Kind.POS_DOUBLE))), f("data", req(dataRec)))))),
                f("model", req(rec(f("inputs", req(new FreeMap(leaf(Kind.REF), false))),
                        f("components", req(new ListOf(COMPONENT))),
                        f("wires", req(new ListOf(rec(f("from", req(leaf(Kind.REF))), f("to", req(leaf(Kind.REF))))))),
                        f("outputs", req(new FreeMap(leaf(Kind.REF), false)))))),
                f("policy", opt(policy)),
                f("optimizer", req(OPTIMIZER)),
                f("training", req(rec(f("epochs", new Field(leaf(Kind.POS_INT), epochsRequired)),
                        f("batch_size", req(leaf(Kind.POS_INT))), f("gradient_accumulation", opt(leaf(Kind.POS_INT))),
                        f("clip_grad_norm", opt(leaf(Kind.NONNEG_DOUBLE))), f("lr_schedule", opt(SCHEDULE))))),
                f("stages", opt(new ListOf(rec(f("name", req(leaf(Kind.NAME))), f("epochs", req(leaf(Kind.POS_INT))),
                        f("steps", opt(leaf(Kind.STEPS))), f("policy", opt(policy)), f("lr_schedule", opt(SCHEDULE)),
                        f("early_stopping", opt(EARLY_STOPPING)))))),
                f("progressive", opt(rec(f("component", req(leaf(Kind.REF))), f("layers", opt(leaf(Kind.POS_INT))),
                        f("epochs_per_stage", req(leaf(Kind.POS_INT))), f("lr_scale", opt(leaf(Kind.POS_DOUBLE))),
                        f("lr_schedule", opt(SCHEDULE)), f("early_stopping", opt(EARLY_STOPPING))))),
                f("layer_decay", opt(leaf(Kind.DECAY))),
                f("layer_decay_by_component", opt(new FreeMap(leaf(Kind.DECAY), true))),
                f("train_bn", opt(leaf(Kind.BOOL))),
                f("peft", opt(PEFT)));
    }

    /** A place in a config: its path, value, schema and whether the key is required. */
    record Target(List<Object> path, Node node, Schema schema, boolean required) {

        /** The last key of the path ({@code widths} for {@code model.components[0].widths[1]}). */
        String key() {
            for (int i = path.size() - 1; i >= 0; i--) {
                if (path.get(i) instanceof String s) {
                    return s;
                }
            }
            return "";
        }

        boolean isMapEntry() {
            return !path.isEmpty() && path.get(path.size() - 1) instanceof String;
        }

        boolean isListEntry() {
            return !path.isEmpty() && path.get(path.size() - 1) instanceof Integer;
        }
    }

    /** Every place of {@code config}, parents before children. */
    static List<Target> targets(MapNode config) {
        List<Target> out = new ArrayList<>();
        walk(config, schemaOf(config), List.of(), true, out);
        return out;
    }

    private static void walk(Node node, Schema schema, List<Object> path, boolean required, List<Target> out) {
        Schema resolved = resolve(node, schema);
        out.add(new Target(path, node, resolved, required));
        if (resolved instanceof Rec r && node instanceof MapNode m) {
            for (YamlTree.Entry e : m.entries) {
                Field field = r.fields().get(e.key);
                if (field != null) {
                    walk(e.value, field.schema(), append(path, e.key), field.required(), out);
                }
            }
        } else if (resolved instanceof ListOf l && node instanceof ListNode list) {
            for (int i = 0; i < list.items.size(); i++) {
                walk(list.items.get(i), l.item(), append(path, i), true, out);
            }
        } else if (resolved instanceof FreeMap fm && node instanceof MapNode m) {
            for (YamlTree.Entry e : m.entries) {
                // the only entry of inputs or outputs is required: without it the map is empty
                walk(e.value, fm.value(), append(path, e.key), !fm.componentKeys() && m.entries.size() == 1, out);
            }
        }
    }

    /** A Poly turned into the Rec its {@code type} (or, for policy rules, its action) selects. */
    private static Schema resolve(Node node, Schema schema) {
        if (!(schema instanceof Poly p) || !(node instanceof MapNode m)) {
            return schema;
        }
        if (p.variants().isEmpty()) {
            return m.get("freeze") != null ? FREEZE_RULE : TRAIN_RULE;
        }
        Rec r = p.variants().get(YamlTree.text(m.get("type")));
        if (r == null) {
            throw new IllegalStateException("test bug: no schema for " + YamlTree.emit(m));
        }
        return r;
    }

    private static List<Object> append(List<Object> path, Object seg) {
        List<Object> p = new ArrayList<>(path);
        p.add(seg);
        return List.copyOf(p);
    }

    /** {@code model.components[1].widths}. */
    static String render(List<Object> path) {
        StringBuilder sb = new StringBuilder();
        for (Object seg : path) {
            if (seg instanceof Integer i) {
                sb.append('[').append(i).append(']');
            } else {
                sb.append(sb.length() > 0 ? "." : "").append(seg);
            }
        }
        return sb.toString();
    }

    // ---- generation ---------------------------------------------------------------------------

    private static final List<String> NONMATCHING_GLOBS = List.of("nothing/**", "encoder/block9/**", "head/nope",
            "enc", "**/nonexistent", "encoder/stem/conv/weight/extra", "{foo,bar}/**", "?", "HEAD/**",
            "head/*/*/*/*/*/*", "a,b");
    private static final List<String> MALFORMED_GLOBS = List.of("encoder/{stem", "encoder}/**", "enc[o]der",
            "a b", "encoder\\stem", "", "   ", "{a,{b}", "head/**}");
    private static final List<String> UNKNOWN_KEYS = List.of("bogus", "epoch", "lr_rate", "Batch_size", "extra",
            "typo_key", "weights");
    private static final List<String> UNKNOWN_COMPONENTS = List.of("encodr", "hed", "nosuchcomponent");
    /** How deep DEEP_NESTING nests: 100, or past the reader's limit (1000 levels). */
    private static final int[] NESTING = {100, 100, 1500};
    private static final int LONG_NUMBER_DIGITS = 1200;
    private static final List<String> HUGE = List.of("2147483648", "1099511627776", "4611686018427387904");

    private final Random random;

    ConfigMutations(long seed) {
        this.random = new Random(seed);
    }

    /** One mutation of {@code base} in {@code category}, or null when the base has no place for it. */
    Mutation mutate(MapNode base, Category category) {
        List<Target> all = targets(base);
        List<Target> places = all.stream().filter(t -> applies(category, t)).toList();
        if (places.isEmpty()) {
            return null;
        }
        Target t = places.get(random.nextInt(places.size()));
        MapNode config = (MapNode) YamlTree.copy(base);
        Set<String> keys = new LinkedHashSet<>();
        keys.add(t.key());
        if (!t.path().isEmpty()) {
            keys.add(render(t.path()));
        }
        String at = t.path().isEmpty() ? "the whole config" : render(t.path());
        String holder = t.path().isEmpty() ? "" : render(holder(t.path()));
        switch (category) {
            case DROP_REQUIRED -> {
                MapNode parent = (MapNode) YamlTree.get(config, t.path().subList(0, t.path().size() - 1));
                parent.entries.remove(parent.entry(t.key()));
                if (t.schema() instanceof Leaf && parentIsFreeMap(all, t)) {
                    // inputs or outputs is now empty: that map is what is wrong
                    List<Object> map = t.path().subList(0, t.path().size() - 1);
                    return new Mutation(category, "drop " + at, config, Set.of(parentKey(t)), render(holder(map)));
                }
                return new Mutation(category, "drop " + at, config, keys, holder);
            }
            case DUPLICATE_KEY -> {
                MapNode parent = (MapNode) YamlTree.get(config, t.path().subList(0, t.path().size() - 1));
                int i = parent.entries.indexOf(parent.entry(t.key()));
                int to = i + 1 + random.nextInt(parent.entries.size() - i);
                parent.entries.add(to, new YamlTree.Entry(t.key(), YamlTree.copy(t.node())));
                return new Mutation(category, "duplicate " + at, config, Set.of(t.key()), holder);
            }
            case RETYPE -> {
                Node v = pick(retypes(t));
                YamlTree.set(config, t.path(), v);
                return new Mutation(category, at + " = " + describe(v), config, keys, holder);
            }
            case OUT_OF_RANGE -> {
                Node v = pick(outOfRange(t, base));
                YamlTree.set(config, t.path(), v);
                return new Mutation(category, at + " = " + describe(v), config, keys, holder);
            }
            case BAD_GLOB -> {
                List<String> globs = random.nextBoolean() ? NONMATCHING_GLOBS : MALFORMED_GLOBS;
                Node v = str(globs.get(random.nextInt(globs.size())));
                YamlTree.set(config, t.path(), v);
                return new Mutation(category, at + " = " + describe(v), config, keys, holder);
            }
            case UNKNOWN_KEY -> {
                MapNode m = (MapNode) YamlTree.get(config, t.path());
                boolean components = t.schema() instanceof FreeMap;
                List<String> names = components ? UNKNOWN_COMPONENTS : UNKNOWN_KEYS;
                String key = names.get(random.nextInt(names.size()));
                m.entries.add(random.nextInt(m.entries.size() + 1), new YamlTree.Entry(key, raw(components ? "0.5" : "1")));
                return new Mutation(category, "add " + key + " to " + at, config, Set.of(key), render(t.path()));
            }
            case DEEP_NESTING -> {
                int nesting = NESTING[random.nextInt(NESTING.length)];
                Node deep = raw("1");
                for (int i = 0; i < nesting; i++) {
                    deep = new MapNode().put("deep", deep);
                }
                if (t.path().isEmpty()) {
                    config.entries.add(random.nextInt(config.entries.size() + 1), new YamlTree.Entry("deep",
                            ((MapNode) deep).get("deep")));
                    return new Mutation(category, "add a top-level key nested " + nesting + " deep", config,
                            Set.of("deep"), "");
                }
                YamlTree.set(config, t.path(), deep);
                keys.add("deep"); // an unknown key 'deep' is what is wrong in a record
                return new Mutation(category, at + " = map nested " + nesting + " deep", config, keys, holder);
            }
            case HUGE_SIZE -> {
                Node v = raw(HUGE.get(random.nextInt(HUGE.size())));
                YamlTree.set(config, t.path(), v);
                return new Mutation(category, at + " = " + describe(v), config, keys, holder);
            }
            default -> throw new IllegalStateException(category.toString());
        }
    }

    private static boolean applies(Category c, Target t) {
        return switch (c) {
            case DROP_REQUIRED -> t.isMapEntry() && t.required();
            case DUPLICATE_KEY -> t.isMapEntry();
            case RETYPE -> !t.path().isEmpty();
            case OUT_OF_RANGE -> t.schema() instanceof Leaf l && isNumber(l.kind());
            case BAD_GLOB -> t.schema() instanceof Leaf l && l.kind() == Kind.GLOB;
            case UNKNOWN_KEY -> t.schema() instanceof Rec || t.schema() instanceof FreeMap fm && fm.componentKeys();
            case DEEP_NESTING -> true;
            case HUGE_SIZE -> t.schema() instanceof Leaf l && (l.kind() == Kind.SIZE || l.kind() == Kind.POS_INT);
        };
    }

    private static boolean isNumber(Kind k) {
        return k.ordinal() <= Kind.CLASS_INDEX.ordinal();
    }

    private static boolean parentIsFreeMap(List<Target> all, Target t) {
        List<Object> parent = t.path().subList(0, t.path().size() - 1);
        return all.stream().anyMatch(p -> p.path().equals(parent) && p.schema() instanceof FreeMap);
    }

    /**
     * The path of the map or list entry holding the last key of {@code path}: the path without its
     * last key and any list indices after it ({@code model.components[0]} for
     * {@code model.components[0].widths[1]}).
     */
    private static List<Object> holder(List<Object> path) {
        int end = path.size();
        while (end > 0 && path.get(end - 1) instanceof Integer) {
            end--;
        }
        return path.subList(0, Math.max(0, end - 1));
    }

    private static String parentKey(Target t) {
        for (int i = t.path().size() - 2; i >= 0; i--) {
            if (t.path().get(i) instanceof String s) {
                return s;
            }
        }
        return "";
    }

    /** Values of another YAML type that the key cannot take. */
    private static List<Node> retypes(Target t) {
        List<Node> out = new ArrayList<>();
        Node text = str("abc");
        Node number = raw("42");
        Node list = list(raw("1"), raw("2"));
        Node map = new MapNode().put("x", raw("1"));
        Node bool = raw("true");
        Schema s = t.schema();
        if (s instanceof Leaf l) {
            switch (l.kind()) {
                // a number or boolean is read as text: a wrong word, file, glob or reference
                case ENUM, REF, GLOB -> out.addAll(List.of(number, bool, list, map));
                // any scalar is a valid name
                case NAME -> out.addAll(List.of(list, map));
                case BOOL -> out.addAll(List.of(text, list, map));
                case TRISTATE -> out.addAll(List.of(text, number, list, map));
                default -> out.addAll(List.of(text, list, map, bool));
            }
        } else if (s instanceof ListOf) {
            out.addAll(List.of(text, number, map, bool));
        } else {
            out.addAll(List.of(text, number, list, bool));
        }
        // null is a missing value: invalid only for required keys and list entries
        if (t.required() || t.isListEntry()) {
            out.add(raw("null"));
        }
        return out;
    }

    /** Numbers outside the key's range. */
    private static List<Node> outOfRange(Target t, MapNode config) {
        Function<String, Node> r = YamlTree::raw;
        List<String> v = switch (((Leaf) t.schema()).kind()) {
            case SEED -> List.of("1.5", ".nan", ".inf", "99999999999999999999", "-99999999999999999999");
            case POS_INT -> List.of("0", "-1", "-12", "1.5", "2.0", ".nan", ".inf", "-.inf", "1e400",
                    "99999999999999999999", "2147483648");
            case STEPS, SIZE -> List.of("0", "-1", "1.5", ".nan", ".inf", "1e400", "99999999999999999999");
            case POS_DOUBLE -> List.of("0", "-1", "-0.5", ".nan", ".inf", "-.inf", "1e400", "-1e400", "\"NaN\"",
                    "\"Infinity\"");
            case NONNEG_DOUBLE -> List.of("-1", "-0.001", ".nan", ".inf", "-.inf", "1e400", "\"NaN\"");
            case UNIT_OPEN -> List.of("1", "1.0", "1.5", "-0.1", "-1", ".nan", ".inf", "1e400",
                    "99999999999999999999");
            case DECAY -> List.of("0", "-0.5", "1.5", ".nan", ".inf", "1e400", "99999999999999999999");
            case CUT -> List.of("0", "1", "-0.1", "1.5", ".nan", ".inf", "1e400");
            case RATIO -> List.of("0", "0.5", "-1", ".nan", ".inf", "1e400");
            case MIN_FACTOR -> List.of("-0.1", "1.5", ".nan", ".inf", "1e400", "99999999999999999999");
            case WARMUP -> List.of("-1", "1.5", ".nan", ".inf", "1e400", "99999999999999999999");
            case CLASS_INDEX -> List.of("-1", YamlTree.plain(((MapNode) config.get("data")).get("num_classes")), "1.5",
                    ".nan", "99999999999999999999", "2147483648");
            default -> throw new IllegalStateException("not a number: " + t);
        };
        List<Node> out = new ArrayList<>(v.stream().map(r).toList());
        out.add(raw("1".repeat(LONG_NUMBER_DIGITS))); // past the reader's limit on number length
        return out;
    }

    private Node pick(List<Node> options) {
        return options.get(random.nextInt(options.size()));
    }

    private static String describe(Node v) {
        if (v instanceof MapNode) {
            return "a map";
        }
        if (v instanceof ListNode) {
            return "a list";
        }
        return ((YamlTree.Scalar) v).text();
    }
}
