package dev.floe.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.run.RunManifest;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Builds ledgers: from a finished run's manifest, and the who/when of a publish. */
final class RunLedgers {

    /** Versions of the run kept in a ledger. */
    private static final Set<String> VERSION_KEYS = Set.of("floe", "djl", "pytorch", "java");

    private RunLedgers() {}

    /** Who is publishing, from which host, now. */
    static Ledger.Published now() {
        return new Ledger.Published(System.getProperty("user.name", "unknown"), host(),
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    }

    private static String host() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * The ledger of component {@code component} of a finished run.
     *
     * @param weightsFileSha256 hex SHA-256 of the run's weights file
     * @param parent the version the component started from, or null
     */
    static Ledger fromRun(RunManifest m, String component, String weightsFileSha256, VersionRef parent,
            Ledger.Published published) {
        RunManifest.Recipe recipe = m.recipe();
        RunManifest.Outcome outcome = m.outcome();
        String prefix = component + "/";
        String before = null;
        for (RunManifest.ComponentRecord c : recipe.graph().components()) {
            if (c.name().equals(component)) {
                before = c.weightsBefore();
            }
        }
        List<Ledger.Stage> stages = new ArrayList<>();
        for (int i = 0; i < recipe.stages().size(); i++) {
            RunManifest.StageRecord s = recipe.stages().get(i);
            RunManifest.StageOutcome done = i < outcome.stages().size() ? outcome.stages().get(i) : null;
            List<Ledger.Group> groups = new ArrayList<>();
            for (RunManifest.PlanGroup g : s.groups()) {
                List<String> mine = g.paths().stream().filter(p -> p.startsWith(prefix)).toList();
                if (!mine.isEmpty()) {
                    groups.add(new Ledger.Group(g.state(), g.rule(), g.lr(), g.weightDecay(), mine));
                }
            }
            stages.add(new Ledger.Stage(s.name(), s.epochs(), s.maxSteps(), s.lrSchedule(), s.earlyStopping(),
                    done == null ? 0 : done.epochs(), done == null ? 0 : done.steps(), groups));
        }
        List<Ledger.Data> data = new ArrayList<>();
        for (RunManifest.DataRecord d : recipe.data()) {
            data.add(new Ledger.Data(d.key(), d.name(), d.examples(), d.classes(), d.fingerprint()));
        }
        Map<String, Double> metrics = new TreeMap<>();
        if (outcome.finalEval() != null) {
            metrics.put("final_accuracy", outcome.finalEval().accuracy());
            metrics.put("final_loss", outcome.finalEval().loss());
            metrics.put("final_eval_examples", (double) outcome.finalEval().examples());
        }
        metrics.put("train_seconds", outcome.trainSeconds());
        if (outcome.metrics() != null) {
            metrics.putAll(outcome.metrics());
        }
        JsonNode optimizer = recipe.config() == null || recipe.config().resolved() == null ? null
                : recipe.config().resolved().get("optimizer");
        Ledger.Origin origin = new Ledger.Origin(Ledger.RUN, m.id(), m.recipeSha256(), m.command(), component, null,
                weightsFileSha256, null, before);
        return new Ledger(origin, parent, stages, optimizer, data, outcome.steps(), metrics, versions(m.versions()),
                published);
    }

    /** The Floe, DJL, libtorch and Java versions out of a manifest's or the process's versions. */
    static Map<String, String> versions(Map<String, String> all) {
        Map<String, String> out = new LinkedHashMap<>();
        if (all != null) {
            all.forEach((k, v) -> {
                if (VERSION_KEYS.contains(k)) {
                    out.put(k, v);
                }
            });
        }
        return out;
    }
}
