package dev.floe.run;

import dev.floe.cache.FeatureCache;
import dev.floe.config.ConfigException;
import dev.floe.config.ConfigPaths;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.GraphChecks;
import dev.floe.config.ExperimentData;
import dev.floe.freeze.FreezePlan;
import dev.floe.data.Dataset;
import dev.floe.graph.Component;
import dev.floe.graph.Dim;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.TensorSpec;
import dev.floe.io.ModelWeights;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.Schedule;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import dev.floe.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A config made real: the built graph (with any {@code init} weights loaded), the resolved freeze
 * plan and the optimizer spec. It owns the graph's native memory until {@link #close()}.
 *
 * <pre>{@code
 * ExperimentConfig config = ExperimentConfig.load(file);
 * Path base = file.toAbsolutePath().getParent();
 * try (Experiment experiment = Experiment.build(config, base)) {
 *     ExperimentData data = ExperimentData.load(config, base);
 *     ExperimentResult result = experiment.train(data, TrainingListener.NONE);
 * }
 * }</pre>
 *
 * <p>Not thread-safe; train one experiment per JVM at a time (the engine allows one gradient
 * collector per JVM).
 */
public final class Experiment implements AutoCloseable {

    /** Memory for cached frozen-prefix features during {@code floe train}. */
    private static final long FEATURE_CACHE_BYTES = 512L << 20;

    private final ExperimentConfig config;
    private final ModelGraph graph;
    private final FreezePlan plan;
    private final OptimizerSpec optimizer;
    private final Schedule schedule;
    private final List<FreezePlan> plans;
    private List<Sourced> sourced = List.of();
    private Path sharedFeatureCache;

    /**
     * A component whose type, sizes and weights came from a {@link dev.floe.config.ComponentSource}.
     *
     * @param key where it was named: {@code model.components[i].from} or {@code --swap NAME=REF}
     * @param component its name in the graph
     * @param resolved the version it resolved to
     */
    public record Sourced(String key, String component, dev.floe.config.ComponentSource.Resolved resolved) {}

    private Experiment(ExperimentConfig config, ModelGraph graph, Schedule schedule, List<FreezePlan> plans,
            OptimizerSpec optimizer) {
        this.config = config;
        this.graph = graph;
        this.schedule = schedule;
        this.plans = List.copyOf(plans);
        this.plan = plans.get(0);
        this.optimizer = optimizer;
    }

    /**
     * Builds the graph, loads the {@code init} weights and resolves the policy.
     *
     * @param config the checked config
     * @return the experiment, owning its graph until {@link #close()}
     * @param baseDir the folder relative {@code init} paths start from, normally the config file's folder
     * @throws ConfigException naming the key: a component that cannot be made or whose parameters
     *     are too large to create ({@code model.components[i]}), a wire or output that names a
     *     missing port or joins shapes that disagree ({@code model.wires[i]}, {@code model.outputs.x}),
     *     another wiring error ({@code model}), an init file that is missing or does not fit
     *     ({@code model.init[i]}), a component in {@code layer_decay_by_component} that does not exist,
     *     a policy rule that matches no parameter ({@code policy} or {@code stages[j]}, naming the
     *     rule's key), or a stage that cannot be resolved ({@code stages[j]}, {@code progressive})
     */
    public static Experiment build(ExperimentConfig config, Path baseDir) {
        return build(config, baseDir, null);
    }

    /**
     * As {@link #build(ExperimentConfig, Path)}, resolving {@code from:} components through
     * {@code source}; their versions' weights are loaded before any {@code init} file.
     *
     * @param config the checked config
     * @param baseDir the folder the config's relative paths start from
     * @return the experiment, owning its graph until {@link #close()}
     * @param source resolves {@code from: "SCHEME:REF"} entries, or null when the config has none
     * @throws ConfigException also naming {@code model.components[i].from} when the reference does
     *     not resolve (the message lists the versions and tags that exist), its scheme is not the
     *     source's, or no source was given
     */
    public static Experiment build(ExperimentConfig config, Path baseDir, dev.floe.config.ComponentSource source) {
        return build(config, baseDir, source, Map.of());
    }

    /**
     * As {@link #build(ExperimentConfig, Path, ComponentSource)}, replacing components by versions
     * from {@code source} before the graph is built ({@code floe train --swap encoder=NAME@VERSION}),
     * so the freeze plans are resolved for the swapped graph. The replacement's ports must equal the
     * replaced component's (name and spec); the other components are built and seeded as without
     * the swap, so their initial weights are bit-identical.
     *
     * @param config the checked config
     * @param baseDir the folder the config's relative paths start from
     * @param source resolves {@code from:} entries and swaps, or null when there are none
     * @return the experiment, owning its graph until {@link #close()}
     * @param swaps component name to the reference of its replacement, e.g. {@code encoder → fmnist-encoder@4}
     * @throws ConfigException naming {@code --swap NAME=REF}: no component of that name, a reference
     *     that does not resolve, no source, or a port the replacement lacks or declares differently
     *     (naming the port, the spec expected and the spec found)
     */
    public static Experiment build(ExperimentConfig config, Path baseDir, dev.floe.config.ComponentSource source,
            Map<String, String> swaps) {
        ExperimentConfig.Model m = config.model();
        List<Sourced> sourced = new ArrayList<>();
        ModelGraph.Builder b = ModelGraph.builder().seed(config.seed());
        List<String> names = m.components().stream().map(dev.floe.config.ComponentConfig::name).toList();
        for (String swapped : swaps.keySet()) {
            if (!names.contains(swapped)) {
                throw new ConfigException("--swap " + swapped + "=" + swaps.get(swapped), "the config has no component"
                        + " named '" + swapped + "'; its components are " + names, null);
            }
        }
        try {
            Map<String, TensorSpec> inputs = new LinkedHashMap<>();
            m.inputs().forEach((name, shape) -> inputs.put(name, ExperimentConfig.inputSpec(shape)));
            inputs.forEach(b::input);
            List<Component> components = new ArrayList<>();
            for (int i = 0; i < m.components().size(); i++) {
                dev.floe.config.ComponentConfig cc = m.components().get(i);
                String key = "model.components[" + i + "]";
                try {
                    Component current;
                    if (cc instanceof dev.floe.config.ComponentConfig.FromSource f) {
                        dev.floe.config.ComponentSource.Resolved r = resolve(f.scheme(), f.ref(), f.name(), source,
                                key + ".from");
                        current = r.config().toComponent();
                        if (!swaps.containsKey(cc.name())) {
                            sourced.add(new Sourced(key + ".from", cc.name(), r));
                        }
                    } else if (cc instanceof dev.floe.config.ComponentConfig.TorchScript ts) {
                        current = ts.toComponent(baseDir, key);
                    } else {
                        current = cc.toComponent();
                    }
                    String ref = swaps.get(cc.name());
                    if (ref != null) {
                        String swapKey = "--swap " + cc.name() + "=" + ref;
                        String scheme = source == null ? "registry" : source.scheme();
                        dev.floe.config.ComponentSource.Resolved r = resolve(scheme, ref, cc.name(), source, swapKey);
                        Component replacement = r.config().toComponent();
                        try {
                            ModelGraph.checkReplacement(current, replacement);
                        } catch (IllegalArgumentException e) {
                            throw new ConfigException(swapKey, ref + " cannot replace " + cc.name() + ": "
                                    + e.getMessage(), e);
                        }
                        sourced.add(new Sourced(swapKey, cc.name(), r));
                        current = replacement;
                    }
                    components.add(current);
                } catch (ConfigException e) {
                    throw e;
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(key, e.getMessage(), e);
                }
            }
            components.forEach(b::add);
            GraphChecks.wiring(m, inputs, components);
            m.wires().forEach(w -> b.wire(w.from(), w.to()));
            m.outputs().forEach(b::output);
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model", e.getMessage(), e);
        }
        ModelGraph graph = buildGraph(b, m);
        try {
            for (Sourced sc : sourced) {
                try {
                    sc.resolved().weights().load(graph);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(sc.key(), e.getMessage(), e);
                }
            }
            loadPretrained(graph, m, baseDir);
            for (int i = 0; i < m.init().size(); i++) {
                loadInit(graph, m.init().get(i), baseDir, "model.init[" + i + "]");
            }
            GraphChecks.injectPeft(config, graph, baseDir); // after init: init files hold the base parameters only
            GraphChecks.layerDecayComponents(config, graph);
            GraphChecks.rulesMatch(config, graph);
            GraphChecks.checkpointingMatches(config, graph);
            Schedule schedule = config.schedule(graph);
            List<FreezePlan> plans;
            try {
                plans = Trainer.resolveStages(graph, schedule);
            } catch (IllegalArgumentException e) {
                String key = !config.stages().isEmpty() ? stageKey(config, e.getMessage())
                        : config.progressive() != null ? "progressive" : "policy";
                // a single implicit stage: report the policy's own error, without the trainer's stage prefix
                String message = key.equals("policy") && e.getCause() instanceof IllegalArgumentException inner
                        ? inner.getMessage()
                        : e.getMessage();
                throw new ConfigException(key, message, e);
            }
            Experiment built = new Experiment(config, graph, schedule, plans, config.optimizer().toSpec());
            built.sourced = List.copyOf(sourced);
            return built;
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /**
     * Builds the graph (which creates the parameters), naming the component whose parameters could
     * not be made, e.g. because its sizes are too large for memory.
     */
    private static ModelGraph buildGraph(ModelGraph.Builder b, ExperimentConfig.Model m) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            String key = "model";
            String message = e.getMessage() == null ? "" : e.getMessage();
            for (int i = 0; i < m.components().size(); i++) {
                if (message.startsWith("parameter " + m.components().get(i).name() + "/")) {
                    key = "model.components[" + i + "]";
                }
            }
            throw new ConfigException(key, message, e);
        }
    }

    private static dev.floe.config.ComponentSource.Resolved resolve(String scheme, String ref, String name,
            dev.floe.config.ComponentSource source, String key) {
        if (source == null) {
            throw new ConfigException(key, "component " + name + " comes from " + scheme + ":" + ref + " but no "
                    + scheme + " is available here; give the registry with --registry DIR (floe train, plan, eval, predict,"
                    + " export, attribute, explain-text; else FLOE_REGISTRY, else ~/.floe/registry)", null);
        }
        if (!scheme.equals(source.scheme())) {
            throw new ConfigException(key, "from '" + scheme + ":" + ref + "' names source '" + scheme + "' but only '"
                    + source.scheme() + ":' is supported; write e.g. from: \"" + source.scheme()
                    + ":fmnist-encoder@prod\"", null);
        }
        try {
            return source.resolve(ref, name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, scheme + ":" + ref + ": " + e.getMessage(), e);
        }
    }

    /** {@code stages[i]} for an error about the stage named in the message, else {@code stages}. */
    private static String stageKey(ExperimentConfig config, String message) {
        for (int i = 0; i < config.stages().size(); i++) {
            String name = config.stages().get(i).name();
            if (message != null && (message.startsWith("stage " + name + ":") || message.startsWith("stage " + name + " "))) {
                return "stages[" + i + "]";
            }
        }
        return "stages";
    }

    /**
     * Weights of pretrained components, before any {@code init} file: the bundled MiniLM weights
     * ({@code type: minilm}) and {@code onnx} files of {@code type: transformer}.
     */
    private static void loadPretrained(ModelGraph graph, ExperimentConfig.Model m, Path baseDir) {
        for (int i = 0; i < m.components().size(); i++) {
            if (m.components().get(i) instanceof dev.floe.config.ComponentConfig.Transformer t && t.onnx() != null) {
                String key = "model.components[" + i + "].onnx";
                Path file = ConfigPaths.configFile(t.onnx(), baseDir, key);
                try {
                    dev.floe.text.BertImport.load((dev.floe.components.TransformerEncoder) graph.component(t.name()),
                            dev.floe.onnx.OnnxModel.read(file));
                } catch (IOException e) {
                    throw new ConfigException(key, "cannot read " + file + ": " + e.getMessage()
                            + "; check the file and its permissions", e);
                } catch (IllegalArgumentException | IllegalStateException | dev.floe.onnx.OnnxFormatException e) {
                    throw new ConfigException(key, e.getMessage(), e);
                }
            }
            if (m.components().get(i) instanceof dev.floe.config.ComponentConfig.MiniLm mini) {
                try {
                    dev.floe.text.MiniLm.loadWeights(
                            (dev.floe.components.TransformerEncoder) graph.component(mini.name()));
                } catch (IllegalStateException | IllegalArgumentException e) {
                    throw new ConfigException("model.components[" + i + "]", "cannot load the bundled MiniLM weights: "
                            + e.getMessage(), e);
                }
            }
        }
    }

    private static void loadInit(ModelGraph graph, ExperimentConfig.Init init, Path baseDir, String key) {
        Path file = ConfigPaths.configFile(init.path(), baseDir, key + ".path");
        try {
            ModelWeights.load(graph, file, init.prefix());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read " + file + ": " + e.getMessage()
                    + "; expected a safetensors file written by floe train or ModelWeights.save", e);
        }
    }

    /**
     * Serves frozen-prefix features through {@code dir}, shared with other runs and processes
     * ({@link FeatureCache#shared}), instead of a cache in this process's memory only.
     *
     * @param dir the shared cache folder, or null for the in-memory cache
     * @return this experiment
     */
    public Experiment sharedFeatureCache(Path dir) {
        this.sharedFeatureCache = dir;
        return this;
    }

    /**
     * The config.
     *
     * @return the config
     */
    public ExperimentConfig config() {
        return config;
    }

    /**
     * The built graph, with init weights loaded (before {@link #train}) or trained (after).
     *
     * @return the graph, owned by this experiment
     */
    public ModelGraph graph() {
        return graph;
    }

    /**
     * The {@code from:} and swapped components' resolved versions, in {@code model.components}
     * order.
     *
     * @return the resolved versions, one per sourced component
     */
    public List<Sourced> sourced() {
        return sourced;
    }

    /**
     * The first stage's policy resolved against the graph.
     *
     * @return the first stage's plan
     */
    public FreezePlan plan() {
        return plan;
    }

    /**
     * The stages to run.
     *
     * @return the schedule
     */
    public Schedule schedule() {
        return schedule;
    }

    /**
     * Every stage's resolved plan, in order.
     *
     * @return the plans, one per stage
     */
    public List<FreezePlan> plans() {
        return plans;
    }

    /**
     * The optimizer spec.
     *
     * @return the optimizer spec
     */
    public OptimizerSpec optimizer() {
        return optimizer;
    }

    /**
     * Checks that the data fits the model: one graph input whose shape takes the examples and one
     * graph output with as many classes as the data has.
     *
     * @param data the training and evaluation examples
     * @throws ConfigException naming the keys to change
     */
    public void check(ExperimentData data) {
        Map<String, TensorSpec> inputs = graph.inputs();
        boolean text = !(data.train() instanceof dev.floe.data.Examples.Numeric);
        int outputs = data.tasks().isEmpty() ? 1 : data.tasks().size();
        if (text && graph.outputs().size() != outputs) {
            throw new ConfigException("model", "training needs exactly " + outputs + " output(s), one per task, found"
                    + " outputs " + graph.outputs().keySet() + "; keep " + outputs + " in model.outputs", null);
        }
        if (!text && (inputs.size() != 1 || graph.outputs().size() != outputs)) {
            throw new ConfigException("model", "training needs exactly one input and " + outputs + " output(s), one"
                    + " per task, found inputs " + inputs.keySet() + " and outputs " + graph.outputs().keySet()
                    + "; keep one input in model.inputs and " + outputs + " in model.outputs", null);
        }
        if (data.tasks().isEmpty()) {
            checkTask(data, graph.outputs().keySet().iterator().next(), config.data(), "");
            return;
        }
        for (int i = 0; i < data.tasks().size(); i++) {
            ExperimentData.TaskData t = data.tasks().get(i);
            checkTask(t.data(), t.output(), config.tasks().get(i).data(), "tasks[" + i + "].");
        }
    }

    /** One task's examples fit the inputs and its output gives as many classes as its data has. */
    private void checkTask(ExperimentData data, String output, ExperimentConfig.Data d, String prefix) {
        if (data.train() instanceof dev.floe.data.Examples.Numeric) {
            checkNumericInput(data);
        } else {
            checkTextInputs(data);
        }
        ModelGraph.Endpoint source = graph.outputs().get(output);
        Component producer = graph.component(source.component());
        PortSpec port = producer.output(source.port());
        long classes = port.spec().lastSize().orElse(-1L);
        int dataClasses = data.train().numClasses();
        if (classes != dataClasses) {
            throw new ConfigException("model.components", "output " + output
                    + " (" + source + ") gives " + (classes < 0 ? "an unknown number of" : classes)
                    + " classes but the data" + (prefix.isEmpty() ? "" : " of " + prefix.substring(0, prefix.length() - 1))
                    + " has " + dataClasses + " (" + (data.labels() != null
                            ? "labels " + data.labels()
                            : d.classes() == null
                            ? prefix + "data.num_classes" : prefix + "data.classes keeps " + d.classes().size())
                    + "); set the classes of component " + producer.name() + " to " + dataClasses, null);
        }
        checkClassWeights(dataClasses);
    }

    /** {@code training.class_weights} must give one weight per class of the data. */
    private void checkClassWeights(int dataClasses) {
        dev.floe.train.ClassWeights w = config.training().classWeightsSpec();
        if (w instanceof dev.floe.train.ClassWeights.Fixed fixed && fixed.weights().size() != dataClasses) {
            throw new ConfigException("training.class_weights", "class_weights lists " + fixed.weights().size()
                    + " weights " + fixed.weights() + " but the data has " + dataClasses + " classes; give one weight"
                    + " per class in label order, or write class_weights: balanced", null);
        }
    }

    private void checkNumericInput(ExperimentData data) {
        Map<String, TensorSpec> inputs = graph.inputs();
        String inputName = inputs.keySet().iterator().next();
        TensorSpec spec = inputs.get(inputName);
        for (dev.floe.data.Examples e : List.of(data.train(), data.eval() == null ? data.train() : data.eval())) {
            Dataset d = ((dev.floe.data.Examples.Numeric) e).data();
            long[] shape = d.featureShape();
            if (!fits(spec, shape)) {
                throw new ConfigException("model.inputs." + inputName, "input " + inputName + " is " + spec
                        + " but the examples of " + d.name() + " have shape " + Arrays.toString(shape)
                        + "; set it to " + batched(shape), null);
            }
        }
    }

    /** Text data feeds exactly {@code input_ids} and {@code attention_mask}, both {@code [batch, seq] int64}. */
    private void checkTextInputs(ExperimentData data) {
        Map<String, TensorSpec> inputs = graph.inputs();
        List<String> wanted = List.of(dev.floe.text.TokenizedExamples.INPUT_IDS,
                dev.floe.text.TokenizedExamples.ATTENTION_MASK);
        TensorSpec ids = TensorSpec.of("[batch, seq]", dev.floe.graph.ElementType.INT64);
        if (!inputs.keySet().equals(new java.util.HashSet<>(wanted))) {
            throw new ConfigException("model.inputs", "format text feeds the inputs " + wanted + " but model.inputs"
                    + " declares " + inputs.keySet() + "; write inputs: {input_ids: \"[batch, seq] int64\","
                    + " attention_mask: \"[batch, seq] int64\"}", null);
        }
        for (String name : wanted) {
            TensorSpec spec = inputs.get(name);
            if (spec.rank() != 2 || spec.type() != dev.floe.graph.ElementType.INT64) {
                throw new ConfigException("model.inputs." + name, "input " + name + " is " + spec + " but text data"
                        + " gives token ids of shape [batch, seq] and type int64; write \"[batch, seq] int64\"", null);
            }
        }
    }

    private static boolean fits(TensorSpec spec, long[] featureShape) {
        if (spec.rank() != featureShape.length + 1) {
            return false;
        }
        for (int i = 0; i < featureShape.length; i++) {
            if (spec.dims().get(i + 1) instanceof Dim.Fixed f && f.size() != featureShape[i]) {
                return false;
            }
        }
        return true;
    }

    private static String batched(long[] featureShape) {
        StringBuilder sb = new StringBuilder("\"[batch");
        for (long d : featureShape) {
            sb.append(", ").append(d);
        }
        return sb.append("]\"").toString();
    }

    /**
     * Trains the graph on {@code data.train()} under the plan for {@code training.epochs},
     * evaluating on {@code data.eval()} after every epoch when there is one. Provenance (seed, data
     * fingerprints, versions, start time) is captured before the first step. With the same config,
     * data and one engine thread, two runs give bit-identical weights.
     *
     * @param data the training and evaluation examples
     * @return the result: per-epoch metrics, final evaluation, provenance and measurements
     * @param listener receives progress (e.g. for a progress bar)
     * @throws ConfigException as {@link #check}
     */
    public ExperimentResult train(ExperimentData data, TrainingListener listener) {
        return train(data, listener, null, false, "");
    }

    /**
     * As {@link #train(ExperimentData, TrainingListener)}, writing a checkpoint after every epoch into
     * {@code checkpoints} (when not null) and, with {@code resume}, continuing from the newest one
     * there.
     *
     * @param data the training and evaluation examples
     * @param listener receives progress
     * @param checkpoints folder for checkpoints, or null for none
     * @param resume whether to continue from the newest checkpoint in {@code checkpoints}
     * @return the result, as {@link #train(ExperimentData, TrainingListener)}
     * @param fingerprint identifies the config; resuming a checkpoint made with another is refused
     */
    public ExperimentResult train(
            ExperimentData data, TrainingListener listener, Path checkpoints, boolean resume, String fingerprint) {
        return train(data, listener, checkpoints, resume, fingerprint, Map.of());
    }

    /**
     * As {@link #train(ExperimentData, TrainingListener, Path, boolean, String)}, recording
     * {@code provenance} (for example the run manifest's id and recipe hash) in every checkpoint.
     *
     * @param data the training and evaluation examples
     * @param listener receives progress
     * @param checkpoints folder for checkpoints, or null for none
     * @param resume whether to continue from the newest checkpoint in {@code checkpoints}
     * @param fingerprint identifies the config; resuming a checkpoint made with another is refused
     * @param provenance names recorded in every checkpoint; copied
     * @return the result, as {@link #train(ExperimentData, TrainingListener)}
     */
    public ExperimentResult train(ExperimentData data, TrainingListener listener, Path checkpoints, boolean resume,
            String fingerprint, Map<String, String> provenance) {
        check(data);
        Instant started = Instant.now();
        Map<String, String> versions = Versions.current();
        ExperimentResult.DataSummary trainSummary = ExperimentResult.DataSummary.of(data.train());
        ExperimentResult.DataSummary evalSummary = data.eval() == null ? null : ExperimentResult.DataSummary.of(data.eval());
        ExperimentConfig.Training t = config.training();
        // frozen-prefix outputs are computed once; results are the same with or without it
        try (FeatureCache cache = sharedFeatureCache != null
                        ? FeatureCache.shared(sharedFeatureCache).provenance(provenance)
                        : FeatureCache.inMemory(FEATURE_CACHE_BYTES);
                Trainer trainer = Trainer.builder()
                .graph(graph)
                .schedule(schedule)
                .optimizer(optimizer)
                .batchSize(t.batchSize())
                .gradientAccumulation(t.gradientAccumulation())
                .clipGradNorm(t.clipGradNorm())
                .seed(config.seed())
                .listener(listener)
                .checkpoints(checkpoints)
                .resume(resume)
                .runFingerprint(fingerprint)
                .provenance(provenance)
                .featureCache(cache)
                .checkpointing(config.checkpointing())
                .classWeights(t.classWeightsSpec())
                .build()) {
            TrainResult result = data.tasks().isEmpty()
                    ? trainer.run(data.train(), data.eval())
                    : trainer.run(data.tasks().stream().map(task -> new dev.floe.train.Task(task.name(), task.output(),
                            task.data().train(), task.data().eval(), task.weight())).toList());
            if (mergePeft() && result.finalEval() != null && data.tasks().isEmpty()) {
                // the saved weights are the merged ones: report what they give, as floe eval reads them
                result = withFinalEval(result, dev.floe.train.Evaluator.evaluate(graph, data.eval(),
                        graph.outputs().keySet().iterator().next(), dev.floe.train.Evaluator.BATCH_SIZE));
            }
            List<String> names = classNames(config, data.labels());
            if (names != null && result.finalEval() != null) {
                result = withFinalEval(result, result.finalEval().withLabels(names));
            }
            FreezePlan last = plans.get(plans.size() - 1);
            Map<String, Double> measured = Measurements.measure(graph, last, result, trainer.optimizer().stateBytes(),
                    trainer.cacheSecondsSaved(), data.train(), data.eval(), t.batchSize());
            return new ExperimentResult(
                    result,
                    last.trainableCount(),
                    last.frozenCount(),
                    last.bufferCount(),
                    last.totalCount(),
                    optimizer.name(),
                    trainer.optimizer().stateBytes(),
                    trainSummary,
                    evalSummary,
                    config.seed(),
                    versions,
                    started,
                    measured);
        }
    }

    /**
     * The names of the model's classes in label order: the text data's class names, else for numeric
     * data on some classes ({@code data.classes}) the original class numbers kept, else null.
     *
     * @param config the config, for {@code data.classes}
     * @return the class names, index = label, or null when the classes are just 0..k-1
     * @param dataLabels the class names the data was read with, or null
     */
    public static List<String> classNames(ExperimentConfig config, List<String> dataLabels) {
        if (dataLabels != null) {
            return dataLabels;
        }
        ExperimentConfig.Data primary = config.data() != null ? config.data() : config.tasks().get(0).data();
        List<Integer> kept = primary.classes();
        return kept == null ? null : kept.stream().map(String::valueOf).toList();
    }

    private static TrainResult withFinalEval(TrainResult r, dev.floe.train.EvalResult finalEval) {
        return new TrainResult(r.epochs(), r.steps(), r.trainSeconds(), finalEval, r.stages());
    }

    /**
     * With {@code peft.merge}, folds the active LoRA, DoRA and IA3 modules into the base weights (after training,
     * or on a rebuilt graph before its saved merged weights are loaded: fresh LoRA factors add
     * nothing, and the modules are then marked merged so they add no delta in forward passes).
     *
     * @return whether anything was merged
     */
    boolean mergePeft() {
        dev.floe.config.PeftConfig peft = config.peft();
        if (peft == null || !peft.merge()) {
            return false;
        }
        boolean merged = false;
        // in this order: declared LoRA and DoRA, IA3, loaded, merge_lora
        List<String> names = new java.util.ArrayList<>();
        peft.lora().forEach(l -> names.add(l.name()));
        peft.ia3().forEach(a -> names.add(a.name()));
        peft.load().forEach(l -> names.add(l.name()));
        peft.mergeLora().forEach(m -> names.add(m.name()));
        for (String name : names) {
            if (!peft.active().contains(name)) {
                continue;
            }
            if (dev.floe.peft.Lora.attached(graph).containsKey(name)) {
                dev.floe.peft.Lora.merge(graph, name);
            } else if (dev.floe.peft.Dora.attached(graph).containsKey(name)) {
                dev.floe.peft.Dora.merge(graph, name);
            } else if (dev.floe.peft.Ia3.attached(graph).containsKey(name)) {
                dev.floe.peft.Ia3.merge(graph, name);
            } else {
                continue; // adapters and prompts stay separate
            }
            merged = true;
        }
        return merged;
    }

    /**
     * What the {@code peft} section injected and froze, one line each; empty without one.
     *
     * @return the summary lines
     */
    public List<String> peftSummary() {
        return GraphChecks.peftSummary(config, graph);
    }

    /** Releases the graph's native memory. */
    @Override
    public void close() {
        graph.close();
    }
}
