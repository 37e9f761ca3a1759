package dev.floe.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What differs between two component versions: ports, config, parameter shapes, weight values per
 * parameter and ledger entries. Parameters are matched by their path below the component (so
 * {@code encoder/stem/conv/weight} and {@code enc/stem/conv/weight} are the same parameter).
 *
 * @param a the first version
 * @param b the second version
 * @param config config keys that differ, as {@code key: a → b}
 * @param ports ports that differ, as {@code in port: a → b}
 * @param shapes parameters only in one version or with different shapes
 * @param weights per parameter present in both with the same shape, how much it moved
 * @param ledger ledger keys that differ, as {@code key: a → b}
 */
public record VersionDiff(VersionRef a, VersionRef b, List<String> config, List<String> ports, List<String> shapes,
        List<ParamDelta> weights, List<String> ledger) {

    /**
     * Copies the lists.
     *
     * @param a the first version
     * @param b the second version
     * @param config config keys that differ, as {@code key: a → b}
     * @param ports ports that differ, as {@code in port: a → b}
     * @param shapes parameters only in one version or with different shapes
     * @param weights per parameter present in both with the same shape, how much it moved
     * @param ledger ledger keys that differ, as {@code key: a → b}
     */
    public VersionDiff {
        config = List.copyOf(config);
        ports = List.copyOf(ports);
        shapes = List.copyOf(shapes);
        weights = List.copyOf(weights);
        ledger = List.copyOf(ledger);
    }

    /**
     * How one parameter moved from a to b.
     *
     * @param path the path below the component
     * @param size scalar count
     * @param l2 L2 norm of b − a
     * @param maxAbs largest |b − a|
     * @param relative {@code l2 / ‖a‖} (infinite when a is all zeros and b is not)
     */
    public record ParamDelta(String path, long size, double l2, double maxAbs, double relative) {
        /**
         * Whether the values are bit-for-bit equal.
         *
         * @return true when bit-for-bit equal
         */
        public boolean identical() {
            return maxAbs == 0 && l2 == 0;
        }
    }

    /**
     * Whether nothing but the version numbers differs.
     *
     * @return true when the weights are identical
     */
    public boolean sameWeights() {
        return shapes.isEmpty() && weights.stream().allMatch(ParamDelta::identical);
    }

    /** Compares two versions given their blobs' tensors (keyed by full parameter path). */
    static VersionDiff of(ComponentVersion a, ComponentVersion b, Map<String, TensorData> ta, Map<String, TensorData> tb) {
        List<String> config = new ArrayList<>();
        flatDiff("", withoutName(a.config()), withoutName(b.config()), config);
        if (!a.type().equals(b.type())) {
            config.add(0, "type: " + a.type() + " → " + b.type());
        }
        List<String> ports = new ArrayList<>();
        portDiff("in", a.inputs(), b.inputs(), ports);
        portDiff("out", a.outputs(), b.outputs(), ports);
        if (!a.layerOrder().equals(b.layerOrder())) {
            ports.add("layer order: " + a.layerOrder() + " → " + b.layerOrder());
        }
        Map<String, TensorData> ra = relative(a, ta);
        Map<String, TensorData> rb = relative(b, tb);
        List<String> shapes = new ArrayList<>();
        List<ParamDelta> weights = new ArrayList<>();
        TreeSet<String> paths = new TreeSet<>(ra.keySet());
        paths.addAll(rb.keySet());
        for (String p : paths) {
            TensorData x = ra.get(p);
            TensorData y = rb.get(p);
            if (x == null) {
                shapes.add(p + ": only in " + b.ref() + " " + Arrays.toString(y.shape()));
            } else if (y == null) {
                shapes.add(p + ": only in " + a.ref() + " " + Arrays.toString(x.shape()));
            } else if (!Arrays.equals(x.shape(), y.shape()) || x.dtype() != y.dtype()) {
                shapes.add(p + ": " + x.dtype() + Arrays.toString(x.shape()) + " → " + y.dtype()
                        + Arrays.toString(y.shape()));
            } else {
                weights.add(delta(p, x.toFloats(), y.toFloats()));
            }
        }
        List<String> ledger = new ArrayList<>();
        flatDiff("", Json.MAPPER.valueToTree(a.ledger()), Json.MAPPER.valueToTree(b.ledger()), ledger);
        return new VersionDiff(a.ref(), b.ref(), config, ports, shapes, weights, ledger);
    }

    private static JsonNode withoutName(JsonNode config) {
        JsonNode copy = config.deepCopy();
        if (copy instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            o.remove("name");
        }
        return copy;
    }

    private static void portDiff(String dir, Map<String, String> a, Map<String, String> b, List<String> out) {
        TreeSet<String> names = new TreeSet<>(a.keySet());
        names.addAll(b.keySet());
        for (String n : names) {
            String x = a.get(n);
            String y = b.get(n);
            if (!Objects.equals(x, y)) {
                out.add(dir + " " + n + ": " + (x == null ? "(none)" : x) + " → " + (y == null ? "(none)" : y));
            }
        }
    }

    private static Map<String, TensorData> relative(ComponentVersion v, Map<String, TensorData> tensors) {
        String prefix = v.component() + "/";
        Map<String, TensorData> out = new TreeMap<>();
        tensors.forEach((k, t) -> out.put(k.startsWith(prefix) ? k.substring(prefix.length()) : k, t));
        return out;
    }

    private static ParamDelta delta(String path, float[] x, float[] y) {
        double sq = 0;
        double norm = 0;
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (double) y[i] - x[i];
            sq += d * d;
            norm += (double) x[i] * x[i];
            max = Math.max(max, Math.abs(d));
        }
        double l2 = Math.sqrt(sq);
        double rel = norm == 0 ? (l2 == 0 ? 0 : Double.POSITIVE_INFINITY) : l2 / Math.sqrt(norm);
        return new ParamDelta(path, x.length, l2, max, rel);
    }

    /** Appends {@code key: a → b} for every leaf that differs; arrays of plain values count as one leaf. */
    static void flatDiff(String key, JsonNode a, JsonNode b, List<String> out) {
        if (Objects.equals(a, b)) {
            return;
        }
        if (a != null && b != null && a.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                flatDiff(key.isEmpty() ? k : key + "." + k, a.get(k), b.get(k), out);
            }
            return;
        }
        if (a != null && b != null && a.isArray() && b.isArray() && (hasContainers(a) || hasContainers(b))) {
            int n = Math.max(a.size(), b.size());
            for (int i = 0; i < n; i++) {
                flatDiff(key + "[" + i + "]", a.get(i), b.get(i), out);
            }
            return;
        }
        out.add(key + ": " + show(a) + " → " + show(b));
    }

    private static boolean hasContainers(JsonNode array) {
        for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
            if (it.next().isContainerNode()) {
                return true;
            }
        }
        return false;
    }

    private static String show(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "(none)";
        }
        String s = n.isTextual() ? n.asText() : n.toString();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /**
     * The difference as text, section by section; identical sections say so in one line.
     *
     * @return the text, lines ending in a newline
     */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("diff ").append(a).append(" → ").append(b).append('\n');
        section(sb, "config", config);
        section(sb, "ports", ports);
        section(sb, "parameter shapes", shapes);
        long same = weights.stream().filter(ParamDelta::identical).count();
        sb.append("weights: ").append(weights.size() - same).append(" of ").append(weights.size())
                .append(" parameters changed\n");
        if (same < weights.size()) {
            sb.append(String.format(Locale.ROOT, "  %-40s %10s %12s %12s %10s%n", "parameter", "size", "l2(Δ)", "max|Δ|",
                    "rel"));
            for (ParamDelta d : weights) {
                if (!d.identical()) {
                    sb.append(String.format(Locale.ROOT, "  %-40s %10d %12.5g %12.5g %10.4g%n", d.path(), d.size(), d.l2(),
                            d.maxAbs(), d.relative()));
                }
            }
            if (same > 0) {
                sb.append("  (").append(same).append(" identical)\n");
            }
        }
        section(sb, "ledger", ledger);
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> lines) {
        if (lines.isEmpty()) {
            sb.append(title).append(": same\n");
            return;
        }
        sb.append(title).append(":\n");
        lines.forEach(l -> sb.append("  ").append(l).append('\n'));
    }
}
