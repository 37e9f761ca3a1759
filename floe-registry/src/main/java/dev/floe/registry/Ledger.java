package dev.floe.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Fingerprint;
import java.util.List;
import java.util.Map;

/**
 * Where a component version came from and how it was made. Written once when the version is
 * published or imported and never changed; moved between registries unchanged by bundles.
 *
 * @param origin the run, file or seed that produced the weights
 * @param parent the version these weights started from, or null (found by weights hash, or given)
 * @param stages the training regime per stage, with the freeze state, deciding rule, learning rate
 *     and weight decay of each of this component's parameters; empty when nothing trained
 * @param optimizer the run's optimizer section, or null
 * @param data the data sets the run read, with their content fingerprints; empty when none
 * @param steps optimizer steps of the run
 * @param metrics the run's results by name ({@code final_accuracy}, {@code final_loss}, ...)
 * @param versions the Floe, DJL, libtorch and Java versions that made it
 * @param published who published it, from which host, when
 */
public record Ledger(
        Origin origin,
        VersionRef parent,
        List<Stage> stages,
        JsonNode optimizer,
        List<Data> data,
        long steps,
        Map<String, Double> metrics,
        Map<String, String> versions,
        Published published) {

    /**
     * Copies the lists and maps; a null list or map becomes empty.
     *
     * @param origin the run, file or seed that produced the weights
     * @param parent the version these weights started from, or null (found by weights hash, or
     *     given)
     * @param stages the training regime per stage, with the freeze state, deciding rule, learning
     *     rate and weight decay of each of this component's parameters; empty when nothing trained
     * @param optimizer the run's optimizer section, or null
     * @param data the data sets the run read, with their content fingerprints; empty when none
     * @param steps optimizer steps of the run
     * @param metrics the run's results by name ({@code final_accuracy}, {@code final_loss}, ...)
     * @param versions the Floe, DJL, libtorch and Java versions that made it
     * @param published who published it, from which host, when
     */
    public Ledger {
        stages = stages == null ? List.of() : List.copyOf(stages);
        data = data == null ? List.of() : List.copyOf(data);
        metrics = metrics == null ? Map.of() : new java.util.TreeMap<>(metrics);
        versions = versions == null ? Map.of() : new java.util.TreeMap<>(versions);
    }

    /** Origin kinds. */
    public static final String RUN = "run";
    /** Weights imported from a file. */
    public static final String IMPORT = "import";
    /** Weights initialised from a seed. */
    public static final String SEED = "seed";

    /**
     * What produced the weights: a run ({@code kind = run}), a file ({@code import}) or a seed
     * ({@code seed}).
     *
     * @param kind {@value Ledger#RUN}, {@value Ledger#IMPORT} or {@value Ledger#SEED}
     * @param runId the run's id, for a run
     * @param recipeSha256 the run manifest's recipe hash, for a run
     * @param command the command that made the run ({@code train}, {@code reproduce})
     * @param component the component's name in the run's graph or the file
     * @param file the file read, for an import (as the user named it)
     * @param fileSha256 hex SHA-256 of that file (for a run, of its weights file)
     * @param seed the initialisation seed, for a seed
     * @param weightsBefore the component's weights hash when the run started, for a run
     */
    public record Origin(String kind, String runId, String recipeSha256, String command, String component,
            String file, String fileSha256, Long seed, String weightsBefore) {

        /**
         * One line: {@code run run-… (recipe 1a2b…)}, {@code imported from FILE (sha256 …)},
         * {@code initialised with seed 7}.
         *
         * @return the description
         */
        public String describe() {
            return switch (kind) {
                case RUN -> "run " + runId + " (" + command + ", recipe " + abbrev(recipeSha256) + "), component " + component;
                case IMPORT -> "imported from " + file + " (sha256 " + abbrev(fileSha256) + ")";
                case SEED -> "initialised with seed " + seed;
                default -> kind;
            };
        }
    }

    /**
     * One stage of the run as it concerned this component.
     *
     * @param name the stage's name
     * @param epochs epoch budget
     * @param maxSteps optimizer step cap, 0 for none
     * @param lrSchedule learning-rate schedule
     * @param earlyStopping early stopping, or null
     * @param epochsRun epochs the stage ran
     * @param stepsRun optimizer steps the stage made
     * @param groups this component's parameters grouped by state, deciding rule, lr and weight decay
     */
    public record Stage(String name, int epochs, long maxSteps, String lrSchedule, String earlyStopping, int epochsRun,
            long stepsRun, List<Group> groups) {
        /**
         * Copies the groups; null becomes empty.
         *
         * @param name the stage's name
         * @param epochs epoch budget
         * @param maxSteps optimizer step cap, 0 for none
         * @param lrSchedule learning-rate schedule
         * @param earlyStopping early stopping, or null
         * @param epochsRun epochs the stage ran
         * @param stepsRun optimizer steps the stage made
         * @param groups this component's parameters grouped by state, deciding rule, lr and weight
         *     decay
         */
        public Stage {
            groups = groups == null ? List.of() : List.copyOf(groups);
        }
    }

    /**
     * Parameters that shared a state, deciding rule, learning rate and weight decay in one stage.
     *
     * @param state train, freeze, lora, adapter or buffer
     * @param rule the policy rule that decided it ({@code default} when none matched)
     * @param lr effective learning rate, 0 when it did not train
     * @param weightDecay effective weight decay, 0 when it did not train
     * @param paths parameter paths
     */
    public record Group(String state, String rule, double lr, double weightDecay, List<String> paths) {
        /**
         * Copies the paths; null becomes empty.
         *
         * @param state train, freeze, lora, adapter or buffer
         * @param rule the policy rule that decided it ({@code default} when none matched)
         * @param lr effective learning rate, 0 when it did not train
         * @param weightDecay effective weight decay, 0 when it did not train
         * @param paths parameter paths
         */
        public Group {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /**
     * A data set the run read.
     *
     * @param role train or eval
     * @param name how it was read and derived
     * @param examples number of examples
     * @param classes number of classes
     * @param fingerprint content fingerprint
     */
    public record Data(String role, String name, int examples, int classes, String fingerprint) {}

    /**
     * Who published a version and when.
     *
     * @param user the operating-system user name
     * @param host the host name
     * @param at ISO-8601 instant
     */
    public record Published(String user, String host, String at) {}

    static String abbrev(String hex) {
        if (hex == null) {
            return "?";
        }
        String h = hex.startsWith(Fingerprint.SHA256_PREFIX) ? hex.substring(Fingerprint.SHA256_PREFIX.length()) : hex;
        return h.length() > 12 ? h.substring(0, 12) : h;
    }
}
