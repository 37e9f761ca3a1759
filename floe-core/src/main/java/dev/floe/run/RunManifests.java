package dev.floe.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.floe.config.ConfigPaths;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.data.Dataset;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Fingerprint;
import dev.floe.io.Hashing;
import dev.floe.io.Json;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.EpochMetrics;
import dev.floe.train.EvalResult;
import dev.floe.schedule.Stage;
import dev.floe.train.StageResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Makes, writes and reads {@link RunManifest}s.
 *
 * <p>A run made from a config captures its manifest with {@link #start} after the graph is built,
 * the init weights loaded and the data read — before the first step — and completes it with
 * {@link #finish}. Files are written atomically. Reading is tolerant: unknown fields are ignored, so
 * manifests written by later versions with more fields still read.
 */
public final class RunManifests {

    /** The manifest's file name in a run folder. */
    public static final String FILE = "manifest.json";
    /** Layout version written as {@code format}. */
    public static final String FORMAT = "floe-run-manifest/1";

    /** Floe's JSON settings with snake_case field names and map keys in order. */
    static final ObjectMapper JSON = Json.mapper().copy()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** Compact JSON with map keys sorted: the form a recipe is hashed in. */
    private static final ObjectMapper CANONICAL =
            JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int ID_RANDOM_BYTES = 3;

    private RunManifests() {}

    /**
     * Captures what makes a config run, before its first step.
     *
     * @param command the command writing it
     * @param source where the config was read from, as the user named it
     * @param base the absolute folder its relative paths start from
     * @param configBytes its exact bytes
     * @param config the parsed config
     * @param experiment the built experiment (graph with init weights, plans)
     * @param data the data read for it
     * @param reproduces the id of the run being reproduced, or null
     * @return the manifest with the recipe and no outcome yet
     */
    public static RunManifest start(String command, String source, Path base, byte[] configBytes,
            ExperimentConfig config, Experiment experiment, ExperimentData data, String reproduces) {
        JsonNode resolved;
        try {
            resolved = JSON.readTree(config.toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the resolved config is not JSON: " + e.getOriginalMessage(), e);
        }
        RunManifest.ConfigRecord cfg = new RunManifest.ConfigRecord(source, base.toString(),
                new String(configBytes, StandardCharsets.UTF_8), Hashing.sha256Hex(configBytes), resolved);
        List<RunManifest.DataRecord> sets = new ArrayList<>();
        if (data.tasks().isEmpty()) {
            sets.add(dataRecord("train", data.train(), data.labels()));
            if (data.eval() != null) {
                sets.add(dataRecord("eval", data.eval(), data.labels()));
            }
        }
        for (int i = 0; i < data.tasks().size(); i++) {
            ExperimentData.TaskData t = data.tasks().get(i);
            String prefix = "tasks[" + i + "].data.";
            Path trainFile = taskFile(data.files(), prefix + "train");
            Path evalFile = taskFile(data.files(), prefix + "test");
            sets.add(taskRecord(t, "train", t.data().train(), trainFile));
            if (t.data().eval() != null) {
                sets.add(taskRecord(t, "eval", t.data().eval(), evalFile != null ? evalFile : trainFile));
            }
        }
        List<RunManifest.FileRecord> files = new ArrayList<>();
        data.files().forEach((key, path) -> files.add(fileRecord(key, path)));
        List<ExperimentConfig.Init> inits = config.model().init();
        for (int i = 0; i < inits.size(); i++) {
            String key = "model.init[" + i + "]";
            files.add(fileRecord(key, ConfigPaths.configFile(inits.get(i).path(), base, key + ".path")));
        }
        files.addAll(componentFiles(config.model().components(), base));
        RunManifest.Recipe recipe = new RunManifest.Recipe(cfg, graphRecord(experiment.graph()),
                stageRecords(experiment.schedule().stages(), experiment.plans(), experiment.optimizer()), sets,
                files, config.seed(), engineThreads(), null, sourcedRecords(config, experiment));
        return new RunManifest(FORMAT, newId(), command, Instant.now().toString(), recipe, recipeSha256(recipe),
                versions(), reproduces, null);
    }

    /**
     * The files {@code model.components} read: each {@code type: torchscript} component's
     * {@code file}, and each {@code type: transformer} component's {@code onnx} and (unless it is the
     * bundled {@code minilm}) {@code tokenizer}, keyed by their config key, so a changed file changes
     * the recipe.
     */
    private static List<RunManifest.FileRecord> componentFiles(List<dev.floe.config.ComponentConfig> components,
            Path base) {
        List<RunManifest.FileRecord> out = new ArrayList<>();
        for (int i = 0; i < components.size(); i++) {
            String key = "model.components[" + i + "]";
            if (components.get(i) instanceof dev.floe.config.ComponentConfig.TorchScript t) {
                out.add(fileRecord(key + ".file", ConfigPaths.configFile(t.file(), base, key + ".file")));
            } else if (components.get(i) instanceof dev.floe.config.ComponentConfig.Transformer t) {
                if (t.onnx() != null) {
                    out.add(fileRecord(key + ".onnx", ConfigPaths.configFile(t.onnx(), base, key + ".onnx")));
                }
                if (!dev.floe.config.ComponentConfig.Transformer.MINILM_TOKENIZER.equals(t.tokenizer())) {
                    out.add(fileRecord(key + ".tokenizer", ConfigPaths.configFile(t.tokenizer(), base, key + ".tokenizer")));
                }
            }
        }
        return out;
    }

    /** The {@code from:} components' resolved versions, or null when the config has none. */
    private static List<RunManifest.SourcedRecord> sourcedRecords(ExperimentConfig config, Experiment experiment) {
        if (experiment.sourced().isEmpty()) {
            return null;
        }
        List<RunManifest.SourcedRecord> out = new ArrayList<>();
        for (Experiment.Sourced s : experiment.sourced()) {
            dev.floe.config.ComponentSource.Resolved r = s.resolved();
            out.add(new RunManifest.SourcedRecord(s.key(), s.component(), r.ref(), r.registryName(), r.version(),
                    r.weightsSha256(), r.weightsHash()));
        }
        return out;
    }

    /**
     * Captures what makes a run that is not made from a config (a demo, a benchmark): its settings
     * as JSON, its seed and the files it reads.
     *
     * @param command the command, e.g. {@code demo}
     * @param settings a record or map of the run's settings (serialised field by field)
     * @param seed the run's seed
     * @param files the files it reads, by name
     * @return the manifest with the recipe and no outcome yet
     */
    public static RunManifest startCommand(String command, Object settings, long seed, Map<String, Path> files) {
        List<RunManifest.FileRecord> read = new ArrayList<>();
        files.forEach((key, path) -> read.add(fileRecord(key, path)));
        RunManifest.Recipe recipe = new RunManifest.Recipe(null, null, List.of(), List.of(), read, seed,
                engineThreads(), JSON.valueToTree(settings));
        return new RunManifest(FORMAT, newId(), command, Instant.now().toString(), recipe, recipeSha256(recipe),
                versions(), null, null);
    }

    /**
     * The manifest of a run not made from a config, completed with its named results.
     *
     * @param started the manifest {@link #startCommand} made
     * @param metrics named results, for example {@code top_block.accuracy}
     * @param trainSeconds training time summed over everything the run trained
     * @param wallSeconds wall time of the process from start to end
     * @return the finished manifest
     */
    public static RunManifest finishCommand(RunManifest started, Map<String, Double> metrics, double trainSeconds,
            double wallSeconds) {
        return started.finished(new RunManifest.Outcome(Instant.now().toString(), Map.of(), null, List.of(), null, 0,
                trainSeconds, wallSeconds, ProcessStats.peakRssMb(), 0, new TreeMap<>(metrics)));
    }

    /**
     * The manifest completed with what the run gave.
     *
     * @param started the manifest {@link #start} made
     * @param graph the trained graph (its weights are fingerprinted)
     * @param result what training gave
     * @param weightsFile the run's weights file, or null when it wrote none
     * @param wallSeconds wall time of this process from start to end
     * @return the finished manifest
     */
    public static RunManifest finish(RunManifest started, ModelGraph graph, ExperimentResult result, Path weightsFile,
            double wallSeconds) {
        Map<String, String> after = new LinkedHashMap<>();
        for (Component c : graph.components()) {
            after.put(c.name(), Fingerprint.weights(c.parameters().values()));
        }
        List<RunManifest.StageOutcome> stages = new ArrayList<>();
        for (StageResult s : result.training().stages()) {
            List<Double> acc = new ArrayList<>();
            List<Double> loss = new ArrayList<>();
            for (EpochMetrics m : s.epochs()) {
                acc.add(Double.isFinite(m.evalAccuracy()) ? m.evalAccuracy() : null);
                loss.add(m.trainLoss());
            }
            stages.add(new RunManifest.StageOutcome(s.name(), s.epochs().size(),
                    Double.isFinite(s.bestMetric()) ? s.bestMetric() : null, s.bestEpoch(), s.stoppedEarly(),
                    s.restoredBest(), s.steps(), s.seconds(), acc, loss));
        }
        EvalResult fin = result.training().finalEval();
        String weightsSha = null;
        if (weightsFile != null) {
            try {
                weightsSha = Hashing.sha256Hex(weightsFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot hash " + weightsFile + ": " + e.getMessage(), e);
            }
        }
        return started.finished(new RunManifest.Outcome(Instant.now().toString(), after, weightsSha, stages,
                fin == null ? null : RunManifest.FinalEval.of(fin),
                result.training().steps(), result.training().trainSeconds(), wallSeconds, ProcessStats.peakRssMb(),
                result.optimizerStateBytes(), new TreeMap<>(result.measurements())));
    }

    /**
     * Writes {@code dir/manifest.json} atomically.
     *
     * @param dir the run folder
     * @param manifest the manifest
     * @throws IOException if writing fails; an existing file is then unchanged
     */
    public static void write(Path dir, RunManifest manifest) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE), toJson(manifest));
    }

    /**
     * The manifest as JSON text.
     *
     * @param manifest the manifest
     * @return indented JSON
     */
    public static String toJson(RunManifest manifest) {
        try {
            return JSON.writeValueAsString(manifest) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the manifest as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads a run folder's manifest.
     *
     * @param runDir a run folder, or a manifest file
     * @return the manifest
     * @throws IllegalArgumentException naming the file when it is missing, not a manifest or of an
     *     unknown format
     */
    public static RunManifest read(Path runDir) {
        Path file = Files.isDirectory(runDir) ? runDir.resolve(FILE) : runDir;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(runDir + " has no " + FILE + "; give the folder of a run written by"
                    + " floe train, floe reproduce or floe demo");
        }
        RunManifest m;
        try {
            m = JSON.readValue(file.toFile(), RunManifest.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not a run manifest: " + e.getOriginalMessage()
                    + "; it was damaged or is another file — rerun the run or restore the file", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (m == null || !FORMAT.equals(m.format())) {
            throw new IllegalArgumentException(file + " has format '" + (m == null ? null : m.format()) + "', expected '"
                    + FORMAT + "'; it was written by another Floe version — read it with that version");
        }
        return m;
    }

    /**
     * Hex SHA-256 of the recipe's canonical JSON (keys sorted, null fields left out), leaving out
     * where files were (the config's source and base folder, file paths) but not what they held:
     * equal for two runs made the same way from wherever they were started.
     *
     * @param recipe the recipe
     * @return 64 lower-case hex digits
     */
    public static String recipeSha256(RunManifest.Recipe recipe) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode tree = JSON.valueToTree(recipe);
            if (tree.get("config") instanceof com.fasterxml.jackson.databind.node.ObjectNode c) {
                c.remove(List.of("source", "base_dir"));
            }
            if (tree.get("files") instanceof com.fasterxml.jackson.databind.node.ArrayNode files) {
                files.forEach(f -> ((com.fasterxml.jackson.databind.node.ObjectNode) f).remove("path"));
            }
            dropNulls(tree); // a field added later as null leaves older recipes' hashes unchanged
            Object sorted = CANONICAL.treeToValue(tree, Object.class);
            return Hashing.sha256Hex(CANONICAL.writeValueAsBytes(sorted));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot hash the recipe: " + e.getOriginalMessage(), e);
        }
    }

    private static void dropNulls(JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            List<String> nulls = new ArrayList<>();
            o.fields().forEachRemaining(e -> {
                if (e.getValue().isNull()) {
                    nulls.add(e.getKey());
                } else {
                    dropNulls(e.getValue());
                }
            });
            o.remove(nulls);
        } else if (node.isArray()) {
            node.forEach(RunManifests::dropNulls);
        }
    }

    /** The graph's components, ports, wiring and current weight hashes. */
    static RunManifest.GraphRecord graphRecord(ModelGraph graph) {
        Map<String, String> inputs = new LinkedHashMap<>();
        graph.inputs().forEach((k, v) -> inputs.put(k, v.toString()));
        Map<String, String> outputs = new LinkedHashMap<>();
        graph.outputs().forEach((k, v) -> outputs.put(k, v.toString()));
        List<String> wires = graph.wires().stream().map(Object::toString).toList();
        List<RunManifest.ComponentRecord> components = new ArrayList<>();
        for (Component c : graph.components()) {
            components.add(new RunManifest.ComponentRecord(c.name(), c.getClass().getSimpleName(),
                    c.role().toString().toLowerCase(Locale.ROOT), ports(c.inputs()), ports(c.outputs()), c.layerOrder(),
                    c.parameterCount(), Fingerprint.weights(c.parameters().values())));
        }
        return new RunManifest.GraphRecord(inputs, outputs, wires, components);
    }

    private static Map<String, String> ports(List<PortSpec> ports) {
        Map<String, String> m = new LinkedHashMap<>();
        ports.forEach(p -> m.put(p.name(), p.spec().toString()));
        return m;
    }

    /** Each stage's budget and plan, parameters grouped by state, rule, lr and weight decay. */
    static List<RunManifest.StageRecord> stageRecords(List<Stage> stages, List<FreezePlan> plans, OptimizerSpec spec) {
        List<RunManifest.StageRecord> out = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            FreezePlan plan = plans.get(i);
            Map<String, List<String>> paths = new LinkedHashMap<>();
            Map<String, long[]> counts = new LinkedHashMap<>();
            Map<String, FreezePlan.Entry> first = new LinkedHashMap<>();
            for (FreezePlan.Entry e : plan.entries().values()) {
                String key = e.state() + "\u0000" + e.rule() + "\u0000" + e.lr(spec) + "\u0000" + e.weightDecay(spec);
                paths.computeIfAbsent(key, k -> new ArrayList<>()).add(e.path());
                counts.computeIfAbsent(key, k -> new long[1])[0] += e.param().size();
                first.putIfAbsent(key, e);
            }
            List<RunManifest.PlanGroup> groups = new ArrayList<>();
            for (Map.Entry<String, FreezePlan.Entry> g : first.entrySet()) {
                FreezePlan.Entry e = g.getValue();
                groups.add(new RunManifest.PlanGroup(e.state().toString(), e.rule(), e.lr(spec), e.weightDecay(spec),
                        counts.get(g.getKey())[0], paths.get(g.getKey())));
            }
            out.add(new RunManifest.StageRecord(s.name(), s.epochs(), s.maxSteps(), s.lr().toString(),
                    s.earlyStopping() == null ? null : s.earlyStopping().toString(), plan.trainableCount(), groups));
        }
        return out;
    }

    /** The file a task's data set was read from: {@code KEY.path} (CSV, text) or {@code KEY.images} (IDX). */
    private static Path taskFile(Map<String, Path> files, String key) {
        Path p = files.get(key + ".path");
        return p != null ? p : files.get(key + ".images");
    }

    private static RunManifest.DataRecord taskRecord(ExperimentData.TaskData t, String role, dev.floe.data.Examples d,
            Path file) {
        return new RunManifest.DataRecord(role, d.name(), d.size(), d.numClasses(), d.fingerprint(), t.data().labels(),
                t.name(), file == null ? null : file.toAbsolutePath().normalize().toString());
    }

    private static RunManifest.DataRecord dataRecord(String role, dev.floe.data.Examples d, List<String> labels) {
        return new RunManifest.DataRecord(role, d.name(), d.size(), d.numClasses(), d.fingerprint(), labels);
    }

    /** A file's absolute path, SHA-256 and size. */
    static RunManifest.FileRecord fileRecord(String key, Path file) {
        try {
            Path abs = file.toAbsolutePath().normalize();
            return new RunManifest.FileRecord(key, abs.toString(), Hashing.sha256Hex(abs), Files.size(abs));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (" + key + "): " + e.getMessage(), e);
        }
    }

    private static Map<String, String> engineThreads() {
        Map<String, String> m = new TreeMap<>();
        m.put("num_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        m.put("num_interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "default"));
        return m;
    }

    /** Floe, DJL, libtorch, Java, OS, architecture, CPU model and its SIMD flags. */
    static Map<String, String> versions() {
        Map<String, String> v = new LinkedHashMap<>(dev.floe.run.Versions.current());
        Map<String, String> cpu = Cpu.describe();
        v.putAll(cpu);
        return v;
    }

    private static String newId() {
        byte[] r = new byte[ID_RANDOM_BYTES];
        RANDOM.nextBytes(r);
        return "run-" + ID_TIME.format(Instant.now()) + "-" + java.util.HexFormat.of().formatHex(r);
    }
}
