package dev.floe.cli;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML document as an editable tree that keeps what a config fuzzer needs and a parsed map
 * loses: the exact text of every scalar ({@code .nan}, {@code 1e400} and
 * {@code 99999999999999999999} are written as given) and maps that may hold a key twice.
 */
final class YamlTree {

    private YamlTree() {}

    /** A node of the tree. */
    sealed interface Node permits Scalar, MapNode, ListNode {}

    /** A scalar written exactly as {@code text} (already YAML: quoted strings carry their quotes). */
    record Scalar(String text) implements Node {}

    /** A map entry; maps may hold the same key twice. */
    static final class Entry {
        final String key;
        Node value;

        Entry(String key, Node value) {
            this.key = key;
            this.value = value;
        }
    }

    /** A map, entries in file order. */
    static final class MapNode implements Node {
        final List<Entry> entries = new ArrayList<>();

        Entry entry(String key) {
            for (Entry e : entries) {
                if (e.key.equals(key)) {
                    return e;
                }
            }
            return null;
        }

        Node get(String key) {
            Entry e = entry(key);
            return e == null ? null : e.value;
        }

        MapNode put(String key, Node value) {
            entries.add(new Entry(key, value));
            return this;
        }
    }

    /** A list. */
    static final class ListNode implements Node {
        final List<Node> items = new ArrayList<>();
    }

    /** A double-quoted string scalar. */
    static Scalar str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return new Scalar(sb.append('"').toString());
    }

    /** A plain scalar written as given: a number, {@code true}, {@code null}, {@code .nan}. */
    static Scalar raw(String text) {
        return new Scalar(text);
    }

    static ListNode list(Node... items) {
        ListNode l = new ListNode();
        l.items.addAll(List.of(items));
        return l;
    }

    /** The text of a plain scalar, or null for anything else (quoted strings, maps, lists). */
    static String plain(Node n) {
        return n instanceof Scalar s && !s.text().startsWith("\"") ? s.text() : null;
    }

    /** The value of a string scalar, quoted or plain; null for anything else. */
    static String text(Node n) {
        if (!(n instanceof Scalar s)) {
            return null;
        }
        String t = s.text();
        return t.startsWith("\"") ? t.substring(1, t.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\") : t;
    }

    /** Parses one YAML document (no anchors or tags in the inputs this is used for). */
    static MapNode parse(String yaml) {
        return (MapNode) convert(new Yaml().compose(new StringReader(yaml)));
    }

    private static Node convert(org.yaml.snakeyaml.nodes.Node n) {
        if (n instanceof MappingNode m) {
            MapNode out = new MapNode();
            for (NodeTuple t : m.getValue()) {
                out.put(((ScalarNode) t.getKeyNode()).getValue(), convert(t.getValueNode()));
            }
            return out;
        }
        if (n instanceof SequenceNode s) {
            ListNode out = new ListNode();
            s.getValue().forEach(v -> out.items.add(convert(v)));
            return out;
        }
        ScalarNode s = (ScalarNode) n;
        return s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN ? raw(s.getValue()) : str(s.getValue());
    }

    /** A deep copy. */
    static Node copy(Node n) {
        if (n instanceof MapNode m) {
            MapNode out = new MapNode();
            m.entries.forEach(e -> out.put(e.key, copy(e.value)));
            return out;
        }
        if (n instanceof ListNode l) {
            ListNode out = new ListNode();
            l.items.forEach(i -> out.items.add(copy(i)));
            return out;
        }
        return n;
    }

    /** The node at a path of keys (String) and list indices (Integer); null when absent. */
    static Node get(Node root, List<Object> path) {
        Node n = root;
        for (Object seg : path) {
            if (seg instanceof String key && n instanceof MapNode m) {
                n = m.get(key);
            } else if (seg instanceof Integer i && n instanceof ListNode l && i < l.items.size()) {
                n = l.items.get(i);
            } else {
                return null;
            }
        }
        return n;
    }

    /** Replaces the node at a non-empty path. */
    static void set(Node root, List<Object> path, Node value) {
        Node parent = get(root, path.subList(0, path.size() - 1));
        Object last = path.get(path.size() - 1);
        if (last instanceof String key) {
            ((MapNode) parent).entry(key).value = value;
        } else {
            ((ListNode) parent).items.set((Integer) last, value);
        }
    }

    /** Maps nested deeper than this are written in flow style, so deep values stay small. */
    private static final int MAX_BLOCK_INDENT = 20;

    /**
     * YAML text: maps in block style (flow style beyond {@value #MAX_BLOCK_INDENT} columns), lists and
     * everything inside them in flow style.
     */
    static String emit(MapNode root) {
        StringBuilder sb = new StringBuilder();
        block(sb, root, 0);
        return sb.toString();
    }

    private static void block(StringBuilder sb, MapNode m, int indent) {
        for (Entry e : m.entries) {
            sb.append(" ".repeat(indent)).append(e.key).append(':');
            if (e.value instanceof MapNode child && !child.entries.isEmpty() && indent < MAX_BLOCK_INDENT) {
                sb.append('\n');
                block(sb, child, indent + 2);
            } else {
                sb.append(' ').append(flow(e.value)).append('\n');
            }
        }
    }

    private static String flow(Node n) {
        StringBuilder sb = new StringBuilder();
        flow(sb, n);
        return sb.toString();
    }

    /** Recursion without lambdas, so that values nested a few thousand deep fit the stack. */
    private static void flow(StringBuilder sb, Node n) {
        if (n instanceof Scalar s) {
            sb.append(s.text());
        } else if (n instanceof MapNode m) {
            sb.append('{');
            for (int i = 0; i < m.entries.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(m.entries.get(i).key).append(": ");
                flow(sb, m.entries.get(i).value);
            }
            sb.append('}');
        } else {
            List<Node> items = ((ListNode) n).items;
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                flow(sb, items.get(i));
            }
            sb.append(']');
        }
    }
}
