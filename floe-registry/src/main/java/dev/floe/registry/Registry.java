package dev.floe.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.floe.config.ComponentConfig;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.io.Fingerprint;
import dev.floe.io.Hashing;
import dev.floe.io.ModelWeights;
import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import dev.floe.nn.Param;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A component registry: publish components of finished runs (or import weight files) as numbered,
 * immutable versions with their ledger; point tags at them; load them back as built components.
 *
 * <pre>{@code
 * try (Registry registry = Registry.open(RegistryLocation.folder(Path.of("registry")))) {
 *     ComponentVersion v = registry.publish(Path.of("runs/ft"), "encoder", "fmnist-encoder", "candidate", null);
 *     try (LoadedComponent encoder = registry.load("fmnist-encoder@candidate")) { ... }
 * }
 * }</pre>
 *
 * <p>A publish writes the weight blob first (temporary file, then rename to its hash) and inserts the
 * version row last, in one transaction with its tag; a process killed on the way leaves no version.
 * Version numbers are assigned under the registry's write lock, so concurrent publishers (threads or
 * processes) get distinct numbers. One instance is safe to share between threads (its methods are
 * synchronised); each process opens its own.
 */
public final class Registry implements AutoCloseable {

    /** Layout version of an exported bundle's {@value #BUNDLE_FILE}. */
    public static final String BUNDLE_FORMAT = "floe-registry-bundle/1";
    /** The bundle's index file. */
    public static final String BUNDLE_FILE = "bundle.json";
    /** The weights file of a run folder. */
    static final String RUN_WEIGHTS = "weights.safetensors";

    /** Test hook: called with a step name while publishing ("blob-written", "before-commit"). */
    static volatile Consumer<String> faults = step -> {};

    private static final ObjectMapper CONFIG_YAML = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final RegistryLocation location;
    private final Store store;
    private final Blobs blobs;

    private Registry(RegistryLocation location, Store store) {
        this.location = location;
        this.store = store;
        this.blobs = new Blobs(location.blobs());
    }

    /**
     * Opens (creating when new) the registry at {@code location} and brings its schema up to date.
     *
     * @param location where the registry lives
     * @return the open registry; close it to release the database connection
     * @throws RegistryException when it cannot be reached or was written by a newer Floe
     * @throws IllegalArgumentException when the folder is not a registry
     */
    public static Registry open(RegistryLocation location) {
        return new Registry(location, Store.open(location));
    }

    /**
     * Where this registry lives.
     *
     * @return the location
     */
    public RegistryLocation location() {
        return location;
    }

    // ---- publish and import ---------------------------------------------------------------------------------------

    /**
     * Publishes a component of a finished run as the next version of {@code name}.
     *
     * <p>The run folder must hold the {@code manifest.json} and {@code weights.safetensors} that
     * {@code floe train} wrote; the weights file must still have the SHA-256 the manifest records.
     * The parent is {@code parent} when given, else the newest version whose weights equal the
     * component's weights when the run started (same name first), else none.
     *
     * @param runDir the run folder
     * @param component the component's name in the run's graph
     * @param name the registry name
     * @param tag a tag to point at the new version in the same transaction, or null
     * @param parent the parent version, or null to find it by weights
     * @return the new version
     * @throws IllegalArgumentException naming the run folder and what is wrong with it
     */
    public synchronized ComponentVersion publish(Path runDir, String component, String name, String tag,
            VersionRef parent) {
        return publishRun(runDir, component, name, tag, parent).version();
    }

    /**
     * What {@link #publishRun} did.
     *
     * @param version the version that holds the run's component: the new one, or the one that already
     *     held it
     * @param added true when a new version was recorded; false when {@code name} already held this
     *     run's component with the same weights, which is kept (its blob is written back when it was
     *     missing, and the tag, when given, points at it)
     */
    public record RunPublication(ComponentVersion version, boolean added) {}

    /**
     * As {@link #publish}, but publishing the same component of the same run under the same name
     * again records no second version: the version that already holds it (same run id, component
     * and weights hash) is returned with {@code added} false, its blob is written back (so
     * re-publishing repairs a missing or corrupted blob) and {@code tag}, when given, is moved to it.
     *
     * @param runDir the run folder
     * @param component the component's name in the run's graph
     * @param name the registry name
     * @param tag a tag to point at the version, or null
     * @param parent the parent version of a new version, or null to find it by weights
     * @return the version and whether it is new
     * @throws IllegalArgumentException naming the run folder and what is wrong with it
     */
    public synchronized RunPublication publishRun(Path runDir, String component, String name, String tag,
            VersionRef parent) {
        Names.nameAndTag(name, tag);
        RunManifest m = RunManifests.read(runDir);
        if (m.recipe().graph() == null || m.recipe().config() == null || m.recipe().config().resolved() == null) {
            throw new IllegalArgumentException("run " + runDir + " was made by floe " + m.command()
                    + ", which trains no single graph from a config; publish a run of floe train");
        }
        if (m.outcome() == null) {
            throw new IllegalArgumentException("run " + runDir + " has not finished: its " + RunManifests.FILE
                    + " has no outcome; finish it with floe train CONFIG --resume " + runDir + ", then publish");
        }
        RunManifest.ComponentRecord record = m.recipe().graph().components().stream()
                .filter(c -> c.name().equals(component)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("run " + runDir + " has no component '" + component
                        + "'; its components are " + m.recipe().graph().components().stream()
                                .map(RunManifest.ComponentRecord::name).toList()));
        JsonNode fromConfig = componentConfig(m.recipe().config().resolved(), component, runDir);
        RunManifest.SourcedRecord sourced = m.recipe().registry() == null ? null : m.recipe().registry().stream()
                .filter(r -> r.component().equals(component)).findFirst().orElse(null);
        JsonNode config = sourced != null ? sourcedConfig(sourced, component, runDir) : fromConfig;
        Path weights = runDir.resolve(RUN_WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("run " + runDir + " has no " + RUN_WEIGHTS + "; publish the folder that"
                    + " floe train wrote, with its weights");
        }
        String fileSha;
        Map<String, TensorData> tensors = new TreeMap<>();
        try {
            fileSha = Hashing.sha256Hex(weights);
            if (m.outcome().weightsFileSha256() != null && !m.outcome().weightsFileSha256().equals(fileSha)) {
                throw new IllegalArgumentException(weights + " has SHA-256 " + fileSha + " but the run's "
                        + RunManifests.FILE + " records " + m.outcome().weightsFileSha256()
                        + ": the file changed after the run; restore it or rerun (floe reproduce " + runDir + ")");
            }
            Safetensors.read(weights).tensors().forEach((k, t) -> {
                if (k.startsWith(component + "/")) {
                    tensors.put(k, t);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + weights + ": " + e.getMessage(), e);
        }
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException(weights + " holds no tensor under " + component + "/; the file does not"
                    + " belong to this run — restore it or rerun");
        }
        String weightsHash = m.outcome().weightsAfter().get(component);
        if (weightsHash == null) {
            throw new IllegalArgumentException("run " + runDir + " records no weights hash for component " + component
                    + " in its outcome; publish a run written by floe train");
        }
        String blob = blobs.put(tensors);
        faults.accept("blob-written");
        Ledger.Published who = RunLedgers.now();
        return store.write(c -> {
            ComponentVersion before = publishedBefore(c, name, weightsHash, m.id(), component);
            if (before != null) {
                if (tag != null && !Integer.valueOf(before.version()).equals(Store.tagTarget(c, name, tag))) {
                    Store.moveTag(c, name, tag, before.version(), TagEvent.SET, who);
                }
                return new RunPublication(before, false);
            }
            VersionRef p = parent != null ? existing(c, parent).ref() : parentByWeights(c, name, record.weightsBefore());
            Ledger ledger = RunLedgers.fromRun(m, component, fileSha, p, who);
            ComponentVersion v = new ComponentVersion(name, Store.maxVersion(c, name) + 1, type(config), config,
                    record.inputs(), record.outputs(), record.layerOrder(), shapes(tensors), blob, weightsHash, ledger);
            return new RunPublication(commitNew(c, v, tag, who), true);
        });
    }

    /** The version of {@code name} published from this run's component with these weights, or null. */
    private static ComponentVersion publishedBefore(java.sql.Connection c, String name, String weightsHash,
            String runId, String component) throws java.sql.SQLException {
        for (ComponentVersion v : Store.withWeights(c, weightsHash)) {
            Ledger.Origin o = v.ledger().origin();
            if (v.name().equals(name) && Ledger.RUN.equals(o.kind()) && runId.equals(o.runId())
                    && component.equals(o.component())) {
                return v;
            }
        }
        return null;
    }

    /**
     * The config of a component a run took from a registry version ({@code from:} or
     * {@code --swap}): that version's, named as in the run, when this registry holds the same
     * version (same weights hash).
     */
    private JsonNode sourcedConfig(RunManifest.SourcedRecord sourced, String component, Path runDir) {
        ComponentVersion v = store.read(c -> Store.version(c, sourced.name(), sourced.version()));
        if (v == null || !v.weightsHash().equals(sourced.weightsHash())) {
            throw new IllegalArgumentException("run " + runDir + " took component " + component + " from "
                    + sourced.name() + "@" + sourced.version() + " (" + sourced.key() + "), which registry "
                    + location.display() + (v == null ? " does not hold" : " holds with other weights (" + v.weightsHash()
                    + ", the run's was " + sourced.weightsHash() + ")") + "; publish it to the registry the run read"
                    + " (--registry)");
        }
        com.fasterxml.jackson.databind.node.ObjectNode config = ((com.fasterxml.jackson.databind.node.ObjectNode) v.config())
                .deepCopy();
        config.put("name", component);
        return config;
    }

    /**
     * As {@link #importWeights(Path, JsonNode, String, Map, String, String, VersionRef)} without
     * renames.
     *
     * @param file a .safetensors, .onnx or .pt file
     * @param componentConfig the component's config entry, which builds the component the weights
     *     fit
     * @param prefix the leading part of the file's tensor names to strip, or empty
     * @param name the component name to record the version under
     * @param tag a tag to point at the new version, or null
     * @param parent the version this one derives from, or null
     * @return the new version
     */
    public synchronized ComponentVersion importWeights(Path file, JsonNode componentConfig, String prefix, String name,
            String tag, VersionRef parent) {
        return importWeights(file, componentConfig, prefix, Map.of(), name, tag, parent);
    }

    /**
     * Imports a weights file as the next version of {@code name}: builds the component from
     * {@code componentConfig}, maps the file's tensor names to its parameter paths, checks that they
     * fit exactly (every parameter has a tensor of its shape, no tensor is left over) and only then
     * stores the blob and records the file and its SHA-256 as the origin.
     *
     * <p>Formats, by the file's extension: {@code .safetensors} (names are parameter paths, e.g.
     * {@code encoder/stem/conv/weight}); {@code .onnx} (the graph's float initializers; other
     * initializers, such as int64 shape constants, are ignored); {@code .pt}, a TorchScript file
     * from {@code torch.jit.save} (its {@code named_parameters()}; buffers such as BatchNorm running
     * statistics cannot be read from it, so a component with buffers cannot be imported from
     * {@code .pt}). A name is mapped by removing {@code prefix}, replacing a leading part by the
     * first matching {@code renames} entry, turning the dots of ONNX and TorchScript names
     * ({@code stem.conv.weight}) into slashes, and putting the component's name in front.
     *
     * @param file a .safetensors, .onnx or .pt file
     * @param name the component name to record the version under
     * @param tag a tag to point at the new version, or null
     * @param parent the version this one derives from, or null
     * @return the new version
     * @param componentConfig a {@code model.components} entry, e.g. {@code {name: encoder, type: conv_encoder}}
     * @param prefix only tensors whose name starts with it, without it; null means the component's
     *     name and a slash for safetensors and nothing for ONNX and TorchScript; empty means all
     * @param renames leading parts of the file's names (after the prefix) to what replaces them,
     *     e.g. {@code encoder.0. → fc1/}; tried in order, the first that matches is used
     * @throws IllegalArgumentException when the file is missing or of another format, the config is
     *     invalid, or the tensors do not fit: naming the parameters without a tensor with the shape
     *     expected, the tensors matching no parameter with the shape found, and those whose shape differs
     */
    public synchronized ComponentVersion importWeights(Path file, JsonNode componentConfig, String prefix,
            Map<String, String> renames, String name, String tag, VersionRef parent) {
        Names.nameAndTag(name, tag);
        ComponentConfig cc = parseComponent(componentConfig);
        WeightFiles.Format format = WeightFiles.format(file);
        String from = prefix == null ? format.defaultPrefix(cc.name())
                : prefix.isEmpty() || prefix.endsWith("/") || format != WeightFiles.Format.SAFETENSORS ? prefix
                : prefix + "/";
        String fileSha;
        WeightFiles.Read read;
        try {
            fileSha = Hashing.sha256Hex(file);
            read = WeightFiles.read(file, format);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, TensorData> tensors = new TreeMap<>();
        Map<String, String> sourceOf = new TreeMap<>();
        read.tensors().forEach((k, t) -> {
            if (k.startsWith(from)) {
                String path = cc.name() + "/" + format.toPath(renamed(k.substring(from.length()), renames));
                tensors.put(path, t);
                sourceOf.put(path, k);
            }
        });
        String what = "cannot import " + file + " as " + cc.name() + " (" + type(componentConfig) + "): ";
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException(what + "it holds no " + format.tensorWord() + " whose name starts with '"
                    + from + "' (its names begin " + read.tensors().keySet().stream().limit(3).toList()
                    + "); give the prefix its names have with --prefix (empty for none)");
        }
        Component built = cc.toComponent();
        try (ModelGraph graph = graphOf(built, 0)) {
            Map<String, List<Long>> expected = new TreeMap<>();
            built.parameters().values().forEach(p -> expected.put(p.path(), dims(p.shape().getShape())));
            Fit fit = Fit.of(expected, shapes(tensors));
            if (!fit.exact()) {
                throw new IllegalArgumentException(what + fit.describe() + "; " + format.mapping(from, renames, cc.name())
                        + (read.ignored().isEmpty() ? "" : " (" + read.ignored().size() + " non-float " + format.tensorWord()
                                + "(s) ignored)")
                        + " — map names with --rename FILE_PREFIX=PATH_PREFIX or --prefix, or describe the component"
                        + " the file was written for; nothing was stored");
            }
            for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
                if (e.getValue().dtype() != dev.floe.io.DType.F32) {
                    throw new IllegalArgumentException(what + "tensor " + sourceOf.get(e.getKey()) + " is "
                            + e.getValue().dtype() + " but Floe parameters are F32; convert the file to float32;"
                            + " nothing was stored");
                }
            }
            for (Param p : built.parameters().values()) {
                TensorData t = tensors.get(p.path());
                p.load(t.toFloats(), t.shape());
            }
            String weightsHash = Fingerprint.weights(built.parameters().values());
            String blob = blobs.put(tensors);
            return record(built, normalized(cc), new Ledger.Origin(Ledger.IMPORT, null, null, null, cc.name(),
                    file.toString(), fileSha, null, null), name, tag, parent, blob, weightsHash, shapes(tensors));
        }
    }

    /**
     * Checks, without opening a registry, that {@code file} exists and is of a format
     * {@link #importWeights} reads (.safetensors, .onnx, .pt).
     *
     * @param file the file to check
     * @throws IllegalArgumentException naming the file and the formats read
     */
    public static void checkImportable(Path file) {
        WeightFiles.Format format = WeightFiles.format(file);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cannot import " + file + ": no such file; give a " + format.extension()
                    + " file");
        }
    }

    /** {@code name} with its leading part replaced by the first entry of {@code renames} that it starts with. */
    private static String renamed(String name, Map<String, String> renames) {
        for (Map.Entry<String, String> r : renames.entrySet()) {
            if (name.startsWith(r.getKey())) {
                return r.getValue() + name.substring(r.getKey().length());
            }
        }
        return name;
    }

    /**
     * Records freshly initialised weights as the next version of {@code name}: builds the component
     * from {@code componentConfig} with {@code seed} and stores its initial parameters.
     *
     * @param componentConfig the component's config entry
     * @param seed the initialisation seed
     * @param name the component name to record the version under
     * @param tag a tag to point at the new version, or null
     * @return the new version
     */
    public synchronized ComponentVersion initialise(JsonNode componentConfig, long seed, String name, String tag) {
        Names.nameAndTag(name, tag);
        ComponentConfig cc = parseComponent(componentConfig);
        Component built = cc.toComponent();
        ModelGraph graph = graphOf(built, seed);
        try {
            Map<String, TensorData> tensors = new TreeMap<>();
            for (Param p : built.parameters().values()) {
                tensors.put(p.path(), TensorData.ofFloats(p.shape().getShape(), p.toFloatArray()));
            }
            String blob = blobs.put(tensors);
            return record(built, normalized(cc), new Ledger.Origin(Ledger.SEED, null, null, null, cc.name(), null, null,
                    seed, null), name, tag, null, blob, Fingerprint.weights(built.parameters().values()), shapes(tensors));
        } finally {
            graph.close();
        }
    }

    /**
     * How a component trained in this process was made, for {@link #publishComponent}.
     *
     * @param origin the run that trained it (kind {@value Ledger#RUN}: its id, recipe hash, command)
     * @param data the data sets it trained on, with their fingerprints; may be empty
     * @param steps optimizer steps it trained for
     * @param metrics its results by name, e.g. {@code source_accuracy}
     */
    public record Trained(Ledger.Origin origin, List<Ledger.Data> data, long steps, Map<String, Double> metrics) {
        /**
         * Checks that there is an origin and copies the data and metrics.
         *
         * @param origin the run that trained it (kind {@value Ledger#RUN}: its id, recipe hash,
         *     command)
         * @param data the data sets it trained on, with their fingerprints; may be empty
         * @param steps optimizer steps it trained for
         * @param metrics its results by name, e.g. {@code source_accuracy}
         * @throws IllegalArgumentException if {@code origin} is null
         */
        public Trained {
            if (origin == null) {
                throw new IllegalArgumentException("a published component needs an origin: the run that trained it");
            }
            data = data == null ? List.of() : List.copyOf(data);
            metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        }
    }

    /**
     * Publishes a component trained in this process (not by {@code floe train}, e.g. by a demo) as
     * the next version of {@code name}, with its current weights. {@code componentConfig} must
     * build the same component: the same parameter paths with the same shapes, which is checked
     * before anything is stored, so {@link #load} gives it back.
     *
     * @param name the component name to record the version under
     * @return the new version
     * @param built the component, part of an open graph
     * @param componentConfig a {@code model.components} entry building it, e.g.
     *     {@code {name: encoder, type: conv_encoder, widths: [16, 32, 64]}}
     * @param trained where it came from, for the ledger
     * @param tag a tag to point at the new version, or null
     * @throws IllegalArgumentException when the config is invalid or builds a component whose
     *     parameters differ from {@code built}'s (naming the first that differs)
     */
    public synchronized ComponentVersion publishComponent(Component built, JsonNode componentConfig, Trained trained,
            String name, String tag) {
        Names.nameAndTag(name, tag);
        ComponentConfig cc = parseComponent(componentConfig);
        if (!cc.name().equals(built.name())) {
            throw new IllegalArgumentException("component config " + componentConfig + " is named '" + cc.name()
                    + "' but the component is '" + built.name() + "'; give its model.components entry");
        }
        Map<String, TensorData> tensors = new TreeMap<>();
        for (Param p : built.parameters().values()) {
            tensors.put(p.path(), TensorData.ofFloats(p.shape().getShape(), p.toFloatArray()));
        }
        Component fresh = cc.toComponent();
        try (ModelGraph graph = graphOf(fresh, 0)) {
            Map<String, List<Long>> expected = new TreeMap<>();
            fresh.parameters().values().forEach(p -> expected.put(p.path(), dims(p.shape().getShape())));
            Map<String, List<Long>> found = shapes(tensors);
            if (!expected.equals(found)) {
                throw new IllegalArgumentException("component config " + componentConfig + " does not build component "
                        + built.name() + ": " + Fit.of(expected, found).describe() + "; give the entry it was built from");
            }
        }
        String blob = blobs.put(tensors);
        return record(built, normalized(cc), trained, name, tag, null, blob,
                Fingerprint.weights(built.parameters().values()), shapes(tensors));
    }

    private ComponentVersion record(Component built, JsonNode config, Ledger.Origin origin, String name, String tag,
            VersionRef parent, String blob, String weightsHash, Map<String, List<Long>> shapes) {
        return record(built, config, new Trained(origin, List.of(), 0, Map.of()), name, tag, parent, blob, weightsHash,
                shapes);
    }

    private ComponentVersion record(Component built, JsonNode config, Trained trained, String name, String tag,
            VersionRef parent, String blob, String weightsHash, Map<String, List<Long>> shapes) {
        faults.accept("blob-written");
        Ledger.Published who = RunLedgers.now();
        Map<String, String> versions = RunLedgers.versions(dev.floe.run.Versions.current());
        return store.write(c -> {
            VersionRef p = parent == null ? null : existing(c, parent).ref();
            Ledger ledger = new Ledger(trained.origin(), p, List.of(), null, trained.data(), trained.steps(),
                    trained.metrics(), versions, who);
            ComponentVersion v = new ComponentVersion(name, Store.maxVersion(c, name) + 1, type(config), config,
                    ports(built.inputs()), ports(built.outputs()), built.layerOrder(), shapes, blob, weightsHash, ledger);
            return commitNew(c, v, tag, who);
        });
    }

    private ComponentVersion commitNew(java.sql.Connection c, ComponentVersion v, String tag, Ledger.Published who)
            throws java.sql.SQLException {
        Store.insert(c, v, null);
        if (tag != null) {
            Store.moveTag(c, v.name(), tag, v.version(), TagEvent.SET, who);
        }
        faults.accept("before-commit");
        return v;
    }

    /** The newest version holding {@code weightsBefore}, preferring {@code name}; null when none. */
    private static VersionRef parentByWeights(java.sql.Connection c, String name, String weightsBefore)
            throws java.sql.SQLException {
        if (weightsBefore == null) {
            return null;
        }
        List<ComponentVersion> same = Store.withWeights(c, weightsBefore);
        return same.stream().filter(v -> v.name().equals(name)).findFirst()
                .or(() -> same.stream().findFirst()).map(ComponentVersion::ref).orElse(null);
    }

    private static JsonNode componentConfig(JsonNode resolved, String component, Path runDir) {
        JsonNode list = resolved.path("model").path("components");
        for (JsonNode n : list) {
            if (component.equals(n.path("name").asText())) {
                return n;
            }
        }
        throw new IllegalArgumentException("run " + runDir + " has no model.components entry named '" + component
                + "' in its resolved config; publish a component declared in the config");
    }

    /**
     * Parses a {@code model.components} entry (YAML or JSON text) into a config tree; the entry is
     * checked when it is used.
     *
     * @param text the entry as YAML or JSON
     * @return the config tree
     * @throws IllegalArgumentException when the text is not a mapping
     */
    public static JsonNode parseComponentConfig(String text) {
        try {
            JsonNode n = CONFIG_YAML.readTree(text);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("component config '" + text + "' is not a mapping; write e.g."
                        + " {name: encoder, type: conv_encoder, widths: [16, 32, 64]}");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("component config '" + text + "' is not YAML: " + e.getOriginalMessage()
                    + "; write e.g. {name: encoder, type: conv_encoder, widths: [16, 32, 64]}");
        }
    }

    static ComponentConfig parseComponent(JsonNode config) {
        try {
            return CONFIG_YAML.treeToValue(config, ComponentConfig.class);
        } catch (JsonProcessingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : null;
            throw new IllegalArgumentException("component config " + config + " is not valid: "
                    + (cause != null ? cause.getMessage() : e.getOriginalMessage())
                    + "; write a model.components entry, e.g. {name: encoder, type: conv_encoder, widths: [16, 32, 64]}",
                    e);
        }
    }

    /** The config as stored: every default filled in. */
    private static JsonNode normalized(ComponentConfig cc) {
        JsonNode tree = CONFIG_YAML.valueToTree(cc);
        if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            com.fasterxml.jackson.databind.node.ObjectNode out = o.objectNode();
            out.put("name", cc.name());
            out.setAll(o);
            return out;
        }
        return tree;
    }

    private static String type(JsonNode config) {
        JsonNode t = config.get("type");
        if (t == null || !t.isTextual()) {
            throw new IllegalArgumentException("component config " + config + " has no type; add e.g. type: conv_encoder");
        }
        return t.asText();
    }

    private static Map<String, List<Long>> shapes(Map<String, TensorData> tensors) {
        Map<String, List<Long>> out = new TreeMap<>();
        tensors.forEach((k, t) -> out.put(k, dims(t.shape())));
        return out;
    }

    static List<Long> dims(long[] shape) {
        List<Long> dims = new ArrayList<>();
        for (long d : shape) {
            dims.add(d);
        }
        return dims;
    }

    private static Map<String, String> ports(List<PortSpec> ports) {
        Map<String, String> m = new LinkedHashMap<>();
        ports.forEach(p -> m.put(p.name(), p.spec().toString()));
        return m;
    }

    /** A graph holding only {@code c}: its inputs and outputs are graph inputs and outputs of the same names. */
    private static ModelGraph graphOf(Component c, long seed) {
        ModelGraph.Builder b = ModelGraph.builder().seed(seed).add(c);
        for (PortSpec in : c.inputs()) {
            String input = in.name().equals(c.name()) ? in.name() + "_in" : in.name();
            b.input(input, in.spec());
            b.wire(input, c.name() + "." + in.name());
        }
        for (PortSpec out : c.outputs()) {
            b.output(out.name(), c.name() + "." + out.name());
        }
        return b.build();
    }

    // ---- reading ----------------------------------------------------------------------------------------------------

    /**
     * The version named by {@code NAME@VERSION}, {@code NAME@TAG} or {@code NAME} (the newest).
     *
     * @param ref the reference
     * @return the version
     * @throws IllegalArgumentException when it does not exist, listing the versions and tags that do
     */
    public synchronized ComponentVersion resolve(String ref) {
        VersionRef r = VersionRef.parse(ref);
        return store.read(c -> existing(c, r));
    }

    private ComponentVersion existing(java.sql.Connection c, VersionRef r) throws java.sql.SQLException {
        List<Integer> numbers = Store.numbers(c, r.name());
        if (numbers.isEmpty()) {
            List<String> names = Store.names(c);
            throw new IllegalArgumentException("registry " + location.display() + " has no component named '" + r.name()
                    + "'; " + (names.isEmpty() ? "it is empty — publish one with floe registry publish"
                            : Hints.names(r.name(), names, "components", "floe registry list")));
        }
        int version;
        if (r.version() != null) {
            version = r.version();
        } else if (r.tag() != null) {
            Integer target = Store.tagTarget(c, r.name(), r.tag());
            if (target == null) {
                Map<String, Integer> tags = Store.tags(c, r.name());
                throw new IllegalArgumentException(r.name() + " has no tag '" + r.tag() + "'; "
                        + (tags.isEmpty() ? "it has no tags" : Hints.tags(r.tag(), tags, r.name()))
                        + "; versions are " + Hints.versions(numbers));
            }
            version = target;
        } else {
            version = numbers.get(numbers.size() - 1);
        }
        ComponentVersion v = Store.version(c, r.name(), version);
        if (v == null) {
            Map<String, Integer> tags = Store.tags(c, r.name());
            throw new IllegalArgumentException(r + " does not exist; versions of " + r.name() + " are "
                    + Hints.versions(numbers) + (tags.isEmpty() ? "" : tags.size() <= Hints.LISTED
                            ? ", tags " + describeTags(tags) : ", " + tags.size() + " tags"));
        }
        return v;
    }

    private String describeTags(Map<String, Integer> tags) {
        List<String> out = new ArrayList<>();
        tags.forEach((t, v) -> out.add(t + " → " + v));
        return String.join(", ", out);
    }

    /** One line per name: versions, newest version and tags. */
    public record Summary(String name, int versions, int latest, String latestPublishedAt, Map<String, Integer> tags) {}

    /**
     * Every component name with its newest version and tags, by name.
     *
     * @return one summary per component name, sorted by name
     */
    public synchronized List<Summary> list() {
        return store.read(c -> {
            List<Summary> out = new ArrayList<>();
            for (String n : Store.names(c)) {
                List<Integer> numbers = Store.numbers(c, n);
                int latest = numbers.get(numbers.size() - 1);
                ComponentVersion v = Store.version(c, n, latest);
                out.add(new Summary(n, numbers.size(), latest, v.ledger().published().at(), Store.tags(c, n)));
            }
            return out;
        });
    }

    /**
     * Every version of {@code name}, oldest first (empty when it has none).
     *
     * @param name the component name
     * @return the versions
     */
    public synchronized List<ComponentVersion> versions(String name) {
        Names.name(name);
        return store.read(c -> Store.versions(c, name));
    }

    /**
     * The tags of {@code name} and the versions they point to.
     *
     * @param name the component name
     * @return a map from tag to version number
     */
    public synchronized Map<String, Integer> tags(String name) {
        Names.name(name);
        return store.read(c -> Store.tags(c, name));
    }

    /**
     * Every move of a tag, oldest first (empty when the tag never existed).
     *
     * @param name the component name
     * @param tag the tag
     * @return the tag's events
     */
    public synchronized List<TagEvent> tagHistory(String name, String tag) {
        Names.name(name);
        Names.tag(tag);
        return store.read(c -> Store.tagEvents(c, name, tag));
    }

    /**
     * Where a version was imported from (a bundle), or null when it was published here.
     *
     * @param v the version
     * @return the bundle folder, or null
     */
    public synchronized String importedFrom(ComponentVersion v) {
        return store.read(c -> Store.importedFrom(c, v.name(), v.version()));
    }

    // ---- tags ---------------------------------------------------------------------------------------------------

    /**
     * Points {@code tag} at the version {@code ref} names, recording the move. Setting a tag to the
     * version it already points to changes nothing and returns its last event.
     *
     * @param ref the version to point at
     * @param tag the tag name
     * @return the recorded event
     */
    public synchronized TagEvent tag(String ref, String tag) {
        Names.tag(tag);
        VersionRef r = VersionRef.parse(ref);
        Ledger.Published who = RunLedgers.now();
        return store.write(c -> {
            ComponentVersion v = existing(c, r);
            Integer current = Store.tagTarget(c, v.name(), tag);
            if (current != null && current == v.version()) {
                List<TagEvent> events = Store.tagEvents(c, v.name(), tag);
                return events.get(events.size() - 1);
            }
            return Store.moveTag(c, v.name(), tag, v.version(), TagEvent.SET, who);
        });
    }

    /**
     * Moves {@code tag} back to the version it pointed to before its current one, recorded as a
     * rollback. Rollbacks undo in order: set 1, set 2, set 3, rollback (→ 2), rollback (→ 1).
     *
     * @param name the component name
     * @param tag the tag
     * @return the recorded rollback event
     * @throws IllegalArgumentException when the tag does not exist or has no earlier version
     */
    public synchronized TagEvent rollback(String name, String tag) {
        Names.name(name);
        Names.tag(tag);
        Ledger.Published who = RunLedgers.now();
        return store.write(c -> {
            List<TagEvent> events = Store.tagEvents(c, name, tag);
            if (events.isEmpty()) {
                existing(c, new VersionRef(name, null, null));
                Map<String, Integer> tags = Store.tags(c, name);
                throw new IllegalArgumentException(name + " has no tag '" + tag + "'; "
                        + (tags.isEmpty() ? "it has no tags" : Hints.tags(tag, tags, name)));
            }
            List<Integer> stack = new ArrayList<>();
            for (TagEvent e : events) {
                if (TagEvent.ROLLBACK.equals(e.action()) && !stack.isEmpty()) {
                    stack.remove(stack.size() - 1);
                } else {
                    stack.add(e.version());
                }
            }
            if (stack.size() < 2) {
                throw new IllegalArgumentException(name + "@" + tag + " has no earlier version to roll back to: it points"
                        + " to " + name + "@" + events.get(events.size() - 1).version() + " and was set " + events.size()
                        + " time(s) with nothing left to undo; move it with floe registry tag " + name + "@VERSION " + tag);
            }
            return Store.moveTag(c, name, tag, stack.get(stack.size() - 2), TagEvent.ROLLBACK, who);
        });
    }

    // ---- lineage and diff -----------------------------------------------------------------------------------------

    /**
     * The version and its ancestors, newest first, following each ledger's parent while it is in
     * this registry.
     *
     * @param ref the newest version of the lineage
     * @return the versions, newest first
     */
    public synchronized List<ComponentVersion> lineage(String ref) {
        VersionRef r = VersionRef.parse(ref);
        return store.read(c -> {
            List<ComponentVersion> chain = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            ComponentVersion v = existing(c, r);
            while (v != null && seen.add(v.ref().toString())) {
                chain.add(v);
                VersionRef p = v.ledger().parent();
                v = p == null ? null : Store.version(c, p.name(), p.version());
            }
            return chain;
        });
    }

    /**
     * What differs from version {@code a} to version {@code b}; reads both blobs.
     *
     * @param a the reference of the older version
     * @param b the reference of the newer version
     * @return the differences
     */
    public synchronized VersionDiff diff(String a, String b) {
        return diff(resolve(a), resolve(b));
    }

    /**
     * As {@link #diff(String, String)}, for versions already resolved.
     *
     * @param a the older version
     * @param b the newer version
     * @return the differences
     */
    public synchronized VersionDiff diff(ComponentVersion a, ComponentVersion b) {
        return VersionDiff.of(a, b, tensors(a), tensors(b));
    }

    /** The tensors of a version's blob, after checking its hash. */
    Map<String, TensorData> tensors(ComponentVersion v) {
        Path blob = checkedBlob(v);
        try {
            return Safetensors.read(blob).tensors();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read blob " + blob + " of " + v.ref() + ": " + e.getMessage(), e);
        }
    }

    /** The blob of a version, after re-hashing it. */
    private Path checkedBlob(ComponentVersion v) {
        Path blob = blobs.path(v.blobSha256());
        Blobs.State state = blobs.check(v.blobSha256());
        if (state == Blobs.State.MISSING) {
            throw new RegistryException(v.ref() + " cannot be loaded: its weight blob " + blob + " is missing; run floe"
                    + " registry verify to list every damaged version, then restore the blob folder from a backup,"
                    + " re-publish the run (floe registry publish) or import the version again from a bundle");
        }
        if (state == Blobs.State.CORRUPTED) {
            String actual;
            try {
                actual = Hashing.sha256Hex(blob);
            } catch (IOException e) {
                actual = "unreadable (" + e.getMessage() + ")";
            }
            throw new RegistryException(v.ref() + " cannot be loaded: its weight blob " + blob + " is corrupted (SHA-256 "
                    + actual + ", expected " + v.blobSha256() + "); run floe registry verify to list every damaged"
                    + " version, then re-publish the run (floe registry publish) or import the version again from a bundle");
        }
        return blob;
    }

    // ---- load -------------------------------------------------------------------------------------------------------

    /**
     * Builds the component of a version and loads its weights, checking the blob's SHA-256 before and
     * the parameters' content hash after.
     *
     * @return the loaded component in its own graph; the caller closes it
     * @param ref {@code NAME@VERSION}, {@code NAME@TAG} or {@code NAME}
     * @throws RegistryException naming the version when its blob is missing or corrupted
     * @throws IllegalArgumentException when the version does not exist
     */
    public synchronized LoadedComponent load(String ref) {
        ComponentVersion v = resolve(ref);
        Path blob = checkedBlob(v);
        Component built = parseComponent(v.config()).toComponent();
        ModelGraph graph = graphOf(built, 0);
        try {
            ModelWeights.load(graph, blob, built.name());
            String hash = Fingerprint.weights(built.parameters().values());
            if (!hash.equals(v.weightsHash())) {
                throw new RegistryException(v.ref() + " loaded weights with content hash " + hash + " but its ledger"
                        + " records " + v.weightsHash() + "; the blob does not hold this version's weights — run floe"
                        + " registry verify and re-publish the version");
            }
            return new LoadedComponent(v, graph, built);
        } catch (IOException e) {
            graph.close();
            throw new UncheckedIOException("cannot read blob " + blob + " of " + v.ref() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /**
     * Where the weight blob of a version is (a safetensors file usable as {@code model.init}).
     *
     * @param v the version
     * @return the blob's path; the file may be missing if the registry is damaged
     */
    public Path blobPath(ComponentVersion v) {
        return blobs.path(v.blobSha256());
    }

    // ---- verify -------------------------------------------------------------------------------------------------------

    /**
     * Re-hashes every blob that a version references; reports missing and corrupted ones with their
     * versions.
     *
     * @return the report
     */
    public synchronized VerifyReport verify() {
        List<ComponentVersion> all = store.read(Store::all);
        Map<String, List<VersionRef>> byBlob = new TreeMap<>();
        for (ComponentVersion v : all) {
            byBlob.computeIfAbsent(v.blobSha256(), k -> new ArrayList<>()).add(v.ref());
        }
        List<VerifyReport.Problem> problems = new ArrayList<>();
        byBlob.forEach((sha, refs) -> {
            Blobs.State s = blobs.check(sha);
            if (s != Blobs.State.OK) {
                problems.add(new VerifyReport.Problem(sha, blobs.path(sha), s.name().toLowerCase(Locale.ROOT), refs));
            }
        });
        List<String> unreferenced = blobs.present().stream().filter(sha -> !byBlob.containsKey(sha)).toList();
        return new VerifyReport(all.size(), byBlob.size(), problems, unreferenced, blobs.leftovers());
    }

    /**
     * What {@link #collectGarbage} removed (or, in a dry run, would remove).
     *
     * @param blobs hashes of the blobs no version references that were older than the age given
     * @param bytes their size in bytes
     * @param leftovers temporary files of interrupted writes older than the age given
     * @param young unreferenced blobs kept because they are younger (a publish may be about to record them)
     * @param dryRun whether nothing was deleted
     */
    public record Collected(List<String> blobs, long bytes, List<Path> leftovers, List<String> young, boolean dryRun) {
        /**
         * Copies the lists.
         *
         * @param blobs hashes of the blobs no version references that were older than the age given
         * @param bytes their size in bytes
         * @param leftovers temporary files of interrupted writes older than the age given
         * @param young unreferenced blobs kept because they are younger (a publish may be about to
         *     record them)
         * @param dryRun whether nothing was deleted
         */
        public Collected {
            blobs = List.copyOf(blobs);
            leftovers = List.copyOf(leftovers);
            young = List.copyOf(young);
        }
    }

    /**
     * Deletes the blobs no version references and the temporary files of interrupted writes, when
     * their files were last modified more than {@code minAge} ago.
     *
     * <p>Safe next to publishers: a publish (or import) writes or reuses its blob before it records
     * the version, and a reused blob's modification time is set to now, so the blob of a version
     * being published is young until its row is in; the references are read and the files deleted
     * while holding the registry's write lock, so no version is recorded in between. A publish that
     * takes longer than {@code minAge} between writing its blob and recording its version could lose
     * it; choose an age far above that (the CLI's default is 60 minutes). The blob folder must
     * belong to this registry alone.
     *
     * @return what was deleted (or would be, with {@code dryRun}) and what was kept as too young
     * @param minAge only files older than this are deleted
     * @param dryRun report what would be deleted without deleting it
     */
    public synchronized Collected collectGarbage(java.time.Duration minAge, boolean dryRun) {
        if (minAge.isNegative()) {
            throw new IllegalArgumentException("the minimum age of a blob to delete is " + minAge + "; give 0 or more");
        }
        java.time.Instant cutoff = java.time.Instant.now().minus(minAge);
        return store.write(c -> {
            Set<String> referenced = new HashSet<>();
            Store.all(c).forEach(v -> referenced.add(v.blobSha256()));
            List<String> removed = new ArrayList<>();
            List<String> young = new ArrayList<>();
            List<Path> leftovers = new ArrayList<>();
            long bytes = 0;
            try {
                for (String sha : blobs.present()) {
                    if (referenced.contains(sha)) {
                        continue;
                    }
                    Path p = blobs.path(sha);
                    if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                        bytes += Files.size(p);
                        removed.add(sha);
                        if (!dryRun) {
                            Files.deleteIfExists(p);
                        }
                    } else {
                        young.add(sha);
                    }
                }
                for (Path p : blobs.leftovers()) {
                    if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                        leftovers.add(p);
                        if (!dryRun) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot clean the blob folder " + blobs.dir() + ": " + e.getMessage(), e);
            }
            return new Collected(removed, bytes, leftovers, young, dryRun);
        });
    }

    // ---- bundles ------------------------------------------------------------------------------------------------------

    /** An exported bundle's index; {@code tags} is absent in bundles of Floe versions that exported no tags. */
    record Bundle(String format, String exportedAt, List<BundleEntry> versions, List<BundleTag> tags) {}

    /** One version in a bundle and its blob's file, relative to the bundle folder. */
    record BundleEntry(String file, ComponentVersion version) {}

    /**
     * A tag in a bundle: it points to {@code name@version}, one of the bundle's versions.
     *
     * @param name the component name
     * @param tag the tag name
     * @param version the version the tag points to
     * @param history every move of the tag in the exporting registry, oldest first; the last one is
     *     to {@code version}
     */
    public record BundleTag(String name, String tag, int version, List<TagEvent> history) {
        /**
         * Copies the history; null becomes empty.
         *
         * @param name the component name
         * @param tag the tag name
         * @param version the version the tag points to
         * @param history every move of the tag in the exporting registry, oldest first; the last
         *     one is to {@code version}
         */
        public BundleTag {
            history = history == null ? List.of() : List.copyOf(history);
        }

        @Override
        public String toString() {
            return name + "@" + tag + " → " + version;
        }
    }

    /**
     * What an export wrote.
     *
     * @param versions the versions, oldest first
     * @param tags the tags that point to one of them, with their history
     */
    public record Exported(List<ComponentVersion> versions, List<BundleTag> tags) {}

    /**
     * Writes the version {@code ref} names and its ancestors in this registry, oldest first, with
     * their ledgers and blobs, to the new folder {@code dir}, and every tag that points to one of
     * them, with the tag's history.
     *
     * @param ref the newest version to export
     * @param dir the bundle folder to create
     * @return what was written
     * @throws IllegalArgumentException when {@code dir} exists and is not empty
     */
    public synchronized Exported exportBundle(String ref, Path dir) {
        List<ComponentVersion> chain = new ArrayList<>(lineage(ref));
        java.util.Collections.reverse(chain);
        List<BundleTag> tags = store.read(c -> {
            List<BundleTag> out = new ArrayList<>();
            Set<String> names = new java.util.LinkedHashSet<>();
            chain.forEach(v -> names.add(v.name()));
            for (String n : names) {
                for (Map.Entry<String, Integer> t : Store.tags(c, n).entrySet()) {
                    boolean exported = chain.stream().anyMatch(v -> v.name().equals(n) && v.version() == t.getValue());
                    if (exported) {
                        out.add(new BundleTag(n, t.getKey(), t.getValue(), Store.tagEvents(c, n, t.getKey())));
                    }
                }
            }
            return out;
        });
        try {
            if (Files.exists(dir) && (!Files.isDirectory(dir) || hasEntries(dir))) {
                throw new IllegalArgumentException("cannot export to " + dir + ": it exists and is not an empty folder;"
                        + " give a new folder with --out");
            }
            Path abs = dir.toAbsolutePath().normalize();
            Path staging = abs.resolveSibling("." + abs.getFileName() + ".exporting");
            dev.floe.io.AtomicFiles.deleteTree(staging);
            Files.createDirectories(staging.resolve("blobs"));
            List<BundleEntry> entries = new ArrayList<>();
            for (ComponentVersion v : chain) {
                String file = "blobs/" + v.blobSha256() + Blobs.SUFFIX;
                Path target = staging.resolve(file);
                if (!Files.exists(target)) {
                    Files.copy(checkedBlob(v), target);
                }
                entries.add(new BundleEntry(file, v));
            }
            dev.floe.io.AtomicFiles.writeString(staging.resolve(BUNDLE_FILE),
                    Json.pretty(new Bundle(BUNDLE_FORMAT, java.time.Instant.now().toString(), entries, tags)));
            if (Files.isDirectory(dir)) {
                Files.delete(dir);
            }
            Files.move(staging, abs, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return new Exported(chain, tags);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }

    /** What happened to one version of an imported bundle. */
    public record Imported(ComponentVersion version, boolean added) {}

    /** What happened to one tag of an imported bundle: {@code added}, or already here pointing to the same version. */
    public record ImportedTag(BundleTag tag, boolean added) {}

    /**
     * What an import did.
     *
     * @param versions every version of the bundle
     * @param tags every tag of the bundle, or none when tags were not imported
     */
    public record BundleImport(List<Imported> versions, List<ImportedTag> tags) {}

    /**
     * As {@link #importBundle(Path, boolean)} with the bundle's tags.
     *
     * @param dir the bundle folder
     * @return what was imported and skipped
     */
    public synchronized BundleImport importBundle(Path dir) {
        return importBundle(dir, true);
    }

    /**
     * Imports the versions of a bundle folder with their ledgers unchanged, keeping their version
     * numbers, and (with {@code tags}) the bundle's tags with their history. A version already here
     * with the same blob and ledger is skipped, and so is a tag here that points to the same
     * version. A tag new here gets the bundle's history, without the events that name a version
     * this registry does not hold. Everything is checked (names, file names inside the folder, blob
     * hashes, conflicting versions and tags) before anything is written, and all rows go in one
     * transaction.
     *
     * @param dir the bundle folder
     * @return what was imported and skipped
     * @param tags whether to import the bundle's tags
     * @throws IllegalArgumentException when the bundle is malformed, names a file outside its folder,
     *     holds a blob whose hash differs, conflicts with a different version of the same number, or
     *     (with tags) holds a tag that points to another version here
     */
    public synchronized BundleImport importBundle(Path dir, boolean tags) {
        Path index = dir.resolve(BUNDLE_FILE);
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException(dir + " is not a registry bundle: it has no " + BUNDLE_FILE
                    + "; give a folder written by floe registry export");
        }
        Bundle bundle;
        try {
            bundle = Json.MAPPER.readValue(index.toFile(), Bundle.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(index + " is not a registry bundle index: " + e.getMessage()
                    + "; export the bundle again", e);
        }
        if (bundle == null || !BUNDLE_FORMAT.equals(bundle.format())) {
            throw new IllegalArgumentException(index + " has format '" + (bundle == null ? null : bundle.format())
                    + "', expected '" + BUNDLE_FORMAT + "'; export it again with this Floe or import it with the Floe"
                    + " that wrote it");
        }
        Path root;
        try {
            root = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
        }
        List<Path> files = new ArrayList<>();
        List<BundleEntry> entries = bundle.versions() == null ? List.of() : bundle.versions();
        for (BundleEntry e : entries) {
            ComponentVersion v = e.version();
            if (v == null || e.file() == null || v.ledger() == null || v.ledger().origin() == null
                    || v.ledger().published() == null) {
                throw new IllegalArgumentException(index + " has an incomplete entry; export the bundle again");
            }
            Names.name(v.name());
            if (v.version() < 1) {
                throw new IllegalArgumentException(index + " names version " + v.version() + " of " + v.name()
                        + "; versions count from 1 — export the bundle again");
            }
            blobs.path(v.blobSha256());
            files.add(inside(root, e.file(), v, index));
        }
        List<BundleTag> bundleTags = !tags || bundle.tags() == null ? List.of() : bundle.tags();
        for (BundleTag t : bundleTags) {
            if (t == null || t.name() == null || t.tag() == null || t.history().isEmpty()
                    || t.history().get(t.history().size() - 1).version() != t.version()
                    || entries.stream().noneMatch(e -> e.version().name().equals(t.name())
                            && e.version().version() == t.version())) {
                throw new IllegalArgumentException(index + " has a tag entry " + t + " that does not point to one of its"
                        + " versions with its history ending there; export the bundle again");
            }
            Names.name(t.name());
            Names.tag(t.tag());
        }
        // check conflicts before writing anything: tags (checked again inside the write), then versions
        List<Boolean> add = store.read(c -> {
            for (BundleTag t : bundleTags) {
                checkTag(c, t, dir);
            }
            List<Boolean> out = new ArrayList<>();
            for (BundleEntry e : entries) {
                ComponentVersion here = Store.version(c, e.version().name(), e.version().version());
                if (here == null) {
                    out.add(true);
                } else if (here.blobSha256().equals(e.version().blobSha256())
                        && Json.write(here.ledger()).equals(Json.write(e.version().ledger()))) {
                    out.add(false);
                } else {
                    throw new IllegalArgumentException("cannot import " + dir + ": this registry already has "
                            + here.ref() + " with different weights or ledger; nothing was imported — import into another"
                            + " registry, or publish the run under a new name");
                }
            }
            return out;
        });
        for (int i = 0; i < entries.size(); i++) {
            if (add.get(i)) {
                blobs.copyIn(files.get(i), entries.get(i).version().blobSha256());
            }
        }
        String from = "bundle " + root + " (exported " + bundle.exportedAt() + ")";
        return store.write(c -> {
            List<Imported> out = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                ComponentVersion v = entries.get(i).version();
                boolean fresh = Store.version(c, v.name(), v.version()) == null;
                if (fresh) {
                    Store.insert(c, v, from);
                }
                out.add(new Imported(v, fresh));
            }
            List<ImportedTag> tagsDone = new ArrayList<>();
            for (BundleTag t : bundleTags) {
                boolean fresh = checkTag(c, t, dir); // again, inside the write lock
                if (fresh) {
                    List<TagEvent> kept = new ArrayList<>();
                    for (TagEvent e : t.history()) {
                        if (Store.version(c, t.name(), e.version()) != null) {
                            kept.add(e);
                        }
                    }
                    Store.restoreTag(c, t.name(), t.tag(), kept);
                }
                tagsDone.add(new ImportedTag(t, fresh));
            }
            return new BundleImport(out, tagsDone);
        });
    }

    /**
     * Whether a bundle's tag is new here (true) or here already pointing to the same version (false).
     *
     * @throws IllegalArgumentException when it points to another version here
     */
    private static boolean checkTag(java.sql.Connection c, BundleTag t, Path dir) throws java.sql.SQLException {
        Integer here = Store.tagTarget(c, t.name(), t.tag());
        if (here != null && here != t.version()) {
            throw new IllegalArgumentException("cannot import " + dir + ": tag " + t.name() + "@" + t.tag() + " points to "
                    + t.name() + "@" + here + " here but to " + t.name() + "@" + t.version() + " in the bundle; nothing"
                    + " was imported — move the tag here first (floe registry tag " + t.name() + "@" + t.version() + " "
                    + t.tag() + "), or import the versions without their tags (--no-tags)");
        }
        return here == null;
    }

    /** The bundle file {@code name} resolved inside {@code root}; refuses names that lead outside it. */
    private static Path inside(Path root, String name, ComponentVersion v, Path index) {
        Path p = root.resolve(name).normalize();
        boolean ok = p.startsWith(root) && !name.contains("\\") && !Path.of(name).isAbsolute();
        if (ok && Files.exists(p)) {
            try {
                ok = p.toRealPath().startsWith(root);
            } catch (IOException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(index + " names file '" + Names.printable(name) + "' for " + v.name() + "@"
                    + v.version() + ", which is outside the bundle folder " + root + "; a bundle keeps its files inside"
                    + " its folder — nothing was imported; export the bundle again from its registry");
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(index + " names file '" + name + "' for " + v.name() + "@" + v.version()
                    + ", which is missing from the bundle; nothing was imported — copy the whole bundle folder");
        }
        return p;
    }

    @Override
    public synchronized void close() {
        store.close();
    }
}
