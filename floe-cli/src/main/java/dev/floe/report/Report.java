package dev.floe.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The report of a set of finished runs — a sweep's, or any run folders': every number per run and
 * per variant (mean ± standard deviation over seeds), Pareto-optimal variants, and each axis value
 * compared with the axis's first value. Written as {@code sweep.json} (every number, field names in
 * {@link dev.floe.report the package description}) and one self-contained {@code report.html}.
 *
 * <p>Failed runs are listed with their error and left out of every average; a variant none of whose
 * runs finished is marked failed.
 */
public final class Report {

    /** Layout version written as {@code format} in {@code sweep.json}. */
    public static final String FORMAT = "floe-report/1";

    private final String title;
    private final Instant generatedAt;
    private final List<RunResult> runs;
    private final List<Variant> variants;
    private final List<Comparison> comparisons;
    private final List<String> notes;
    private final Set<String> paretoTime;
    private final Set<String> paretoMemory;

    /** The heading of a report built without one. */
    static final String DEFAULT_TITLE = "Floe report";

    private Report(String title, List<RunResult> runs, List<String> notes) {
        this.title = title == null || title.isBlank() ? DEFAULT_TITLE : title.strip();
        this.generatedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        this.runs = List.copyOf(runs);
        this.variants = Variant.of(runs);
        this.comparisons = Comparison.of(runs);
        this.notes = List.copyOf(notes);
        this.paretoTime = pareto(variants, Metric.TRAIN_SECONDS);
        this.paretoMemory = pareto(variants, Metric.PEAK_RSS_MB);
    }

    /**
     * Builds the report of these runs, reading each finished run's {@code manifest.json}. A run said to
     * have finished whose folder holds no readable manifest with an outcome is reported as failed with
     * that reason.
     *
     * @param title the page's heading ({@value #DEFAULT_TITLE} when null or blank)
     * @param runs the runs, in the order the page lists variants and axis values (an axis's first
     *     value is the one the others are compared with)
     * @throws IllegalArgumentException when there are no runs
     */
    public static Report build(String title, List<ReportRun> runs) {
        Objects.requireNonNull(runs, "runs");
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one run, got none");
        }
        List<RunResult> results = new ArrayList<>();
        for (ReportRun r : runs) {
            results.add(RunResult.read(r));
        }
        return new Report(title, results, List.of());
    }

    /**
     * Builds the report of finished run folders (as {@code floe report} does): runs whose recipes are
     * equal but for the seed form one variant, named after their config file (or folder); the output
     * folder of {@code floe demo} contributes one variant per configuration it compared.
     *
     * @param title the page's heading
     * @param dirs run folders, in the order the page lists them
     * @throws IllegalArgumentException naming a folder that is not a finished run and what was expected
     */
    public static Report fromFolders(String title, List<Path> dirs) {
        RunFolders folders = RunFolders.read(dirs);
        return new Report(title, folders.results(), folders.notes());
    }

    /** Package-private: a report of runs already read. */
    static Report of(String title, List<RunResult> runs, List<String> notes) {
        return new Report(title, runs, notes);
    }

    /** The page's heading. */
    public String title() {
        return title;
    }

    /** The variants' names, in order of first appearance. */
    public List<String> variantNames() {
        return variants.stream().map(Variant::name).toList();
    }

    /** The comparison of each axis value with the axis's first value, one sentence each. */
    public List<String> summaries() {
        return comparisons.stream().map(Comparison::summary).toList();
    }

    List<RunResult> runs() {
        return runs;
    }

    List<Variant> variants() {
        return variants;
    }

    List<Comparison> comparisons() {
        return comparisons;
    }

    List<String> notes() {
        return notes;
    }

    Instant generatedAt() {
        return generatedAt;
    }

    /** Whether the variant is Pareto-optimal for accuracy against {@code costKey} (train time or peak memory). */
    boolean paretoOptimal(String variant, String costKey) {
        return (Metric.TRAIN_SECONDS.equals(costKey) ? paretoTime : paretoMemory).contains(variant);
    }

    /** The axes declared by the runs, each with its values, in order of first appearance. */
    Map<String, List<String>> axes() {
        List<Map<String, String>> axesOf = runs.stream().map(r -> r.run().axes()).toList();
        return Comparison.axisValues(axesOf);
    }

    /**
     * The metrics shown: accuracy, train time and peak memory always, then every other known number
     * some run recorded, then further numbers (task metrics) in name order.
     */
    List<Metric> metrics() {
        Set<String> recorded = new LinkedHashSet<>();
        runs.forEach(r -> recorded.addAll(r.values().keySet()));
        List<Metric> out = new ArrayList<>();
        for (Metric m : Metric.KNOWN) {
            if (recorded.contains(m.key()) || m.key().equals(Metric.ACCURACY) || m.key().equals(Metric.TRAIN_SECONDS)
                    || m.key().equals(Metric.PEAK_RSS_MB)) {
                out.add(m);
            }
        }
        recorded.stream().sorted()
                .filter(k -> Metric.KNOWN.stream().noneMatch(m -> m.key().equals(k)))
                .forEach(k -> out.add(Metric.forKey(k)));
        return out;
    }

    /**
     * The variants no other variant beats: none has at least their mean accuracy at no more than their
     * mean cost while being better in one of the two. Only variants with both numbers take part.
     */
    private static Set<String> pareto(List<Variant> variants, String costKey) {
        Set<String> out = new LinkedHashSet<>();
        for (Variant v : variants) {
            double acc = v.mean(Metric.ACCURACY);
            double cost = v.mean(costKey);
            if (!Double.isFinite(acc) || !Double.isFinite(cost)) {
                continue;
            }
            boolean dominated = false;
            for (Variant w : variants) {
                double wa = w.mean(Metric.ACCURACY);
                double wc = w.mean(costKey);
                if (w != v && Double.isFinite(wa) && Double.isFinite(wc) && wa >= acc && wc <= cost
                        && (wa > acc || wc < cost)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                out.add(v.name());
            }
        }
        return out;
    }

    /** Everything in the report as the JSON tree written to {@code sweep.json}. */
    public JsonNode json() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("format", FORMAT);
        root.put("title", title);
        root.put("generated_at", generatedAt.toString());
        ArrayNode axes = root.putArray("axes");
        axes().forEach((name, values) -> {
            ObjectNode a = axes.addObject();
            a.put("name", name);
            values.forEach(a.putArray("values")::add);
        });
        ArrayNode metrics = root.putArray("metrics");
        for (Metric m : metrics()) {
            metrics.addObject().put("key", m.key()).put("label", m.label()).put("unit", m.unit().json);
        }
        ArrayNode vs = root.putArray("variants");
        for (Variant v : variants) {
            ObjectNode o = vs.addObject();
            o.put("name", v.name());
            ObjectNode ax = o.putObject("axes");
            v.axes().forEach(ax::put);
            o.put("status", v.failed() ? "failed" : "finished");
            o.put("runs", v.runs().size());
            o.put("finished_runs", v.finished().size());
            o.put("failed_runs", v.failedRuns().size());
            ArrayNode seeds = o.putArray("seeds");
            v.finished().forEach(r -> seeds.add(r.run().seed()));
            ObjectNode stats = o.putObject("stats");
            v.stats().forEach((k, s) -> stats.set(k, stat(s)));
            o.put("pareto_accuracy_vs_train_seconds", paretoTime.contains(v.name()));
            o.put("pareto_accuracy_vs_peak_rss_mb", paretoMemory.contains(v.name()));
            ArrayNode curves = o.putArray("curves");
            for (Variant.Curve c : v.curves()) {
                ObjectNode co = curves.addObject();
                co.put("stage", c.stage());
                ArrayNode acc = co.putArray("eval_accuracy_per_epoch");
                c.evalAccuracy().forEach(s -> acc.add(stat(s)));
                ArrayNode loss = co.putArray("train_loss_per_epoch");
                c.trainLoss().forEach(s -> loss.add(stat(s)));
            }
        }
        ArrayNode rs = root.putArray("runs");
        for (RunResult r : runs) {
            ObjectNode o = rs.addObject();
            o.put("variant", r.run().variant());
            ObjectNode ax = o.putObject("axes");
            r.run().axes().forEach(ax::put);
            o.put("seed", r.run().seed());
            o.put("dir", r.run().dir() == null ? null : r.run().dir().toString());
            o.put("status", r.failed() ? "failed" : "finished");
            o.put("error", r.error());
            ObjectNode values = o.putObject("values");
            r.values().forEach(values::put);
            ArrayNode stages = o.putArray("stages");
            for (RunResult.StageCurve s : r.stages()) {
                ObjectNode so = stages.addObject();
                so.put("name", s.name());
                ArrayNode acc = so.putArray("eval_accuracy_per_epoch");
                s.evalAccuracy().forEach(acc::add);
                ArrayNode loss = so.putArray("train_loss_per_epoch");
                s.trainLoss().forEach(loss::add);
            }
        }
        root.put("comparison_rule", Comparison.RULE);
        ArrayNode cs = root.putArray("comparisons");
        for (Comparison c : comparisons) {
            ObjectNode o = cs.addObject();
            o.put("axis", c.axis());
            o.put("value", c.value());
            o.put("baseline", c.baseline());
            o.put("pairs", c.pairs());
            o.set("accuracy_points", stat(c.accuracyPoints()));
            o.set("speedup", stat(c.speedup()));
            o.set("peak_memory_change_percent", stat(c.peakMemoryPercent()));
            o.put("summary", c.summary());
        }
        notes.forEach(root.putArray("notes")::add);
        return root;
    }

    /** {@code {mean, std, n}} ({@code std} null for one value), or null. */
    private static JsonNode stat(Stat s) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (s == null) {
            return f.nullNode();
        }
        ObjectNode o = f.objectNode();
        o.put("mean", s.mean());
        if (s.hasStd()) {
            o.put("std", s.std());
        } else {
            o.putNull("std");
        }
        o.put("n", s.n());
        return o;
    }

    /**
     * Writes {@code sweep.json} and {@code report.html}, each atomically (a file is either its old
     * content or complete), replacing files already there; folders missing on the way are created.
     *
     * @param sweepJson where the JSON goes
     * @param reportHtml where the page goes
     * @throws UncheckedIOException when a file cannot be written, naming it
     */
    public void write(Path sweepJson, Path reportHtml) {
        String page = HtmlPage.render(this, Charts.render(this));
        writeFile(sweepJson, Json.write(json()));
        writeFile(reportHtml, page);
    }

    private static void writeFile(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(cannotWrite(file, e), e);
        }
    }

    /** Why {@code file} could not be written, and what to do. */
    private static String cannotWrite(Path file, IOException e) {
        Path blocking = fileInTheWay(file);
        if (blocking != null) {
            return "cannot write " + file + ": " + blocking + " is a file, not a folder; choose another path";
        }
        if (e instanceof AccessDeniedException) {
            return "cannot write " + file + ": permission denied; choose a folder you can write";
        }
        return "cannot write " + file + ": " + e + "; choose another path or fix the cause";
    }

    /**
     * The nearest existing ancestor of {@code file} when it is not a folder (so nothing can be created
     * under it), else null.
     */
    private static Path fileInTheWay(Path file) {
        for (Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                return Files.isDirectory(p) ? null : p;
            }
        }
        return null;
    }
}
