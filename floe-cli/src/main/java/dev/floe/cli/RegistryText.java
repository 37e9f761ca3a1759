package dev.floe.cli;

import dev.floe.registry.ComponentVersion;
import dev.floe.registry.Ledger;
import dev.floe.registry.TagEvent;
import dev.floe.registry.VerifyReport;
import dev.floe.registry.VersionDiff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How {@code floe registry} prints versions, ledgers, lineage steps, tag moves and verify reports. */
final class RegistryText {

    /** Plan states of parameters that do not train. */
    private static final java.util.Set<String> FROZEN_OR_BUFFER = java.util.Set.of("frozen", "freeze", "buffer");

    private RegistryText() {}

    /** {@code candidate → 3, prod → 2}, or {@code -}. */
    static String tags(Map<String, Integer> tags) {
        if (tags.isEmpty()) {
            return "-";
        }
        List<String> out = new ArrayList<>();
        tags.forEach((t, v) -> out.add(t + " → " + v));
        return String.join(", ", out);
    }

    /** {@code fmnist-encoder@prod → 3 (was 2, set by root@host at ...)}. */
    static String moved(TagEvent e) {
        return e.name() + "@" + e.tag() + " → " + e.version() + " (" + (e.previous() == null ? "new tag" : "was " + e.previous())
                + ", " + e.action() + " by " + e.user() + "@" + e.host() + " at " + e.at() + ")";
    }

    /** One line per version of a name. */
    static String versions(List<ComponentVersion> versions, Map<String, Integer> tags) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-8s %-10s %-9s %-20s %-18s %s%n", "version", "accuracy", "parent",
                "published", "tags", "origin"));
        for (ComponentVersion v : versions) {
            List<String> here = new ArrayList<>();
            tags.forEach((t, n) -> {
                if (n == v.version()) {
                    here.add(t);
                }
            });
            Double acc = v.ledger().metrics().get("final_accuracy");
            sb.append(String.format(Locale.ROOT, "%-8d %-10s %-9s %-20s %-18s %s%n", v.version(),
                    acc == null ? "-" : String.format(Locale.ROOT, "%.4f", acc),
                    v.ledger().parent() == null ? "-" : v.ledger().parent().toString(), v.ledger().published().at(),
                    here.isEmpty() ? "-" : String.join(",", here), v.ledger().origin().describe()));
        }
        return sb.toString();
    }

    /** A tag's history, oldest first. */
    static String history(List<TagEvent> events) {
        if (events.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        TagEvent first = events.get(0);
        sb.append("tag ").append(first.tag()).append(" of ").append(first.name()).append(":\n");
        for (TagEvent e : events) {
            sb.append(String.format(Locale.ROOT, "  %3d  %-8s → %-4d %-8s %s@%s  %s%n", e.seq(), e.action(), e.version(),
                    e.previous() == null ? "" : "(was " + e.previous() + ")", e.user(), e.host(), e.at()));
        }
        return sb.toString();
    }

    /** {@code fmnist-encoder@3  run run-… , published by root@host at …}. */
    static String headline(ComponentVersion v) {
        Ledger.Published p = v.ledger().published();
        return v.ref() + "  " + v.ledger().origin().describe() + "; published by " + p.user() + "@" + p.host() + " at "
                + p.at();
    }

    /** What changed from a parent to {@code child}, indented under the child's headline. */
    static String step(ComponentVersion child, VersionDiff d) {
        StringBuilder sb = new StringBuilder();
        long changed = d.weights().stream().filter(w -> !w.identical()).count();
        double max = d.weights().stream().mapToDouble(VersionDiff.ParamDelta::maxAbs).max().orElse(0);
        sb.append(String.format(Locale.ROOT, "  from %s: %d of %d parameters changed (largest |Δ| %.4g)%s%n", d.a(),
                changed, d.weights().size(), max, d.shapes().isEmpty() ? "" : ", " + d.shapes().size() + " shape changes"));
        List<String> trained = new ArrayList<>();
        for (Ledger.Stage s : child.ledger().stages()) {
            for (Ledger.Group g : s.groups()) {
                if (!FROZEN_OR_BUFFER.contains(g.state())) {
                    trained.add(String.format(Locale.ROOT, "%s %s (%d tensors, lr %.3g) in stage %s", g.state(), g.rule(),
                            g.paths().size(), g.lr(), s.name()));
                }
            }
        }
        if (!trained.isEmpty()) {
            sb.append("  trained: ").append(String.join("; ", trained)).append('\n');
        }
        for (String l : d.config()) {
            sb.append("  config ").append(l).append('\n');
        }
        for (String l : d.ledger()) {
            if (l.startsWith("metrics.") || l.startsWith("data") || l.startsWith("optimizer")) {
                sb.append("  ").append(l).append('\n');
            }
        }
        return sb.toString();
    }

    /** The version and its ledger, with a table of every parameter's state per stage. */
    static String show(ComponentVersion v, Map<String, Integer> allTags, String importedFrom) {
        StringBuilder sb = new StringBuilder();
        List<String> here = new ArrayList<>();
        allTags.forEach((t, n) -> {
            if (n == v.version()) {
                here.add(t);
            }
        });
        Ledger l = v.ledger();
        line(sb, "version", v.ref() + (here.isEmpty() ? "" : "  (tags: " + String.join(", ", here) + ")"));
        line(sb, "type", v.type() + ", component " + v.component() + " in its graph");
        line(sb, "config", v.config().toString());
        line(sb, "inputs", ports(v.inputs()));
        line(sb, "outputs", ports(v.outputs()));
        line(sb, "layers", v.layerOrder().isEmpty() ? "-" : String.join(", ", v.layerOrder()));
        line(sb, "params", String.format(Locale.ROOT, "%,d in %d tensors", v.parameterCount(), v.params().size()));
        line(sb, "weights", v.weightsHash() + " (blob sha256 " + v.blobSha256() + ")");
        line(sb, "origin", l.origin().describe());
        if (l.origin().weightsBefore() != null) {
            line(sb, "started", "from weights " + l.origin().weightsBefore());
        }
        line(sb, "parent", l.parent() == null ? "-" : l.parent().toString());
        line(sb, "published", l.published().user() + "@" + l.published().host() + " at " + l.published().at());
        if (importedFrom != null) {
            line(sb, "imported", importedFrom);
        }
        if (!l.versions().isEmpty()) {
            List<String> vs = new ArrayList<>();
            l.versions().forEach((k, x) -> vs.add(k + " " + x));
            line(sb, "made with", String.join(", ", vs));
        }
        for (Ledger.Data d : l.data()) {
            line(sb, "data", String.format(Locale.ROOT, "%s %s: %,d examples, %d classes, fingerprint %s", d.role(), d.name(),
                    d.examples(), d.classes(), d.fingerprint()));
        }
        if (l.optimizer() != null) {
            line(sb, "optimizer", l.optimizer().toString());
        }
        if (l.steps() > 0) {
            line(sb, "steps", Long.toString(l.steps()));
        }
        if (!l.metrics().isEmpty()) {
            List<String> ms = new ArrayList<>();
            l.metrics().forEach((k, x) -> ms.add(k + " " + String.format(Locale.ROOT, "%.6g", x)));
            line(sb, "metrics", String.join(", ", ms));
        }
        for (Ledger.Stage s : l.stages()) {
            sb.append(String.format(Locale.ROOT, "stage %s: %d epochs%s (ran %d, %d steps), lr %s%s%n", s.name(), s.epochs(),
                    s.maxSteps() > 0 ? ", at most " + s.maxSteps() + " steps" : "", s.epochsRun(), s.stepsRun(),
                    s.lrSchedule(), s.earlyStopping() == null ? "" : ", early stopping " + s.earlyStopping()));
            Map<String, Ledger.Group> byPath = new LinkedHashMap<>();
            for (Ledger.Group g : s.groups()) {
                g.paths().forEach(p -> byPath.put(p, g));
            }
            sb.append(String.format(Locale.ROOT, "  %-40s %-7s %9s %7s  %s%n", "parameter", "state", "lr", "wd", "rule"));
            byPath.forEach((p, g) -> sb.append(String.format(Locale.ROOT, "  %-40s %-7s %9.3g %7.3g  %s%n", p, g.state(),
                    g.lr(), g.weightDecay(), g.rule())));
        }
        return sb.toString();
    }

    private static String ports(Map<String, String> ports) {
        List<String> out = new ArrayList<>();
        ports.forEach((k, x) -> out.add(k + " " + x));
        return out.isEmpty() ? "-" : String.join(", ", out);
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(String.format(Locale.ROOT, "%-10s %s%n", key, value));
    }

    /** The verify report with the fix for each kind of problem. */
    static String verify(VerifyReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "checked %d versions, %d blobs%n", r.versions(), r.blobs()));
        for (VerifyReport.Problem p : r.problems()) {
            sb.append(String.format(Locale.ROOT, "%-9s %s  used by %s%n", p.state(), p.path(),
                    String.join(", ", p.versions().stream().map(Object::toString).toList())));
        }
        if (r.ok()) {
            sb.append("all blobs are present and match their SHA-256\n");
        } else {
            sb.append("fix: restore the blob folder from a backup, re-publish each listed version from its run (floe"
                    + " registry publish RUN_DIR ...: the same weights write the same blob back), or import it again"
                    + " from a bundle (floe registry import-bundle)\n");
        }
        if (!r.unreferenced().isEmpty()) {
            sb.append(r.unreferenced().size()).append(" blob(s) belong to no version (left by an interrupted publish;"
                    + " harmless; floe registry gc deletes them)\n");
        }
        if (!r.leftovers().isEmpty()) {
            sb.append(r.leftovers().size()).append(" temporary file(s) left by interrupted writes, safe to delete: ")
                    .append(r.leftovers().get(0)).append(r.leftovers().size() > 1 ? " ..." : "").append('\n');
        }
        return sb.toString();
    }

    /** What {@code floe registry gc} deleted (or would delete). */
    static String collected(dev.floe.registry.Registry.Collected c, long minutes) {
        StringBuilder sb = new StringBuilder();
        String verb = c.dryRun() ? "would delete" : "deleted";
        sb.append(String.format(Locale.ROOT, "%s %d unreferenced blob(s), %,d bytes, and %d temporary file(s) older than"
                + " %d minutes%n", verb, c.blobs().size(), c.bytes(), c.leftovers().size(), minutes));
        for (String sha : c.blobs()) {
            sb.append("  blob ").append(sha).append('\n');
        }
        for (java.nio.file.Path p : c.leftovers()) {
            sb.append("  temporary ").append(p).append('\n');
        }
        if (!c.young().isEmpty()) {
            sb.append(String.format(Locale.ROOT, "kept %d unreferenced blob(s) younger than %d minutes (a publish may be"
                    + " about to record them)%n", c.young().size(), minutes));
        }
        return sb.toString();
    }
}
