package dev.floe.config;

import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An experiment as written in a YAML file: data, model, freeze policy, optimizer and training
 * settings. Keys are snake_case; the records mirror the file section by section.
 *
 * <pre>{@code
 * seed: 42
 * data:
 *   format: idx
 *   train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
 *   test:  {images: fashion-mnist/test-images-idx3-ubyte.gz, labels: fashion-mnist/test-labels-idx1-ubyte.gz}
 *   num_classes: 10
 *   classes: [5, 6, 7, 8, 9]
 *   per_class: 20
 * model:
 *   inputs: {image: "[batch, 1, 28, 28]"}
 *   components:
 *     - {name: encoder, type: conv_encoder, input: [1, 28, 28], widths: [16, 32, 64]}
 *     - {name: head, type: linear_head, features: 64, classes: 5}
 *   wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
 *   outputs: {logits: head.logits}
 * policy:
 *   - freeze: "encoder/**"
 *   - {train: "encoder/block2/**", lr_scale: 0.1}
 * optimizer: {type: adamw, lr: 0.002, weight_decay: 0.01}
 * training: {epochs: 3, batch_size: 64}
 * }</pre>
 *
 * <p>Every record checks its own keys when made: required keys present (all missing ones are named
 * at once), sizes positive, rates in range, and the defaults of optional keys filled in, so an
 * accessor never returns null unless its Javadoc says so. {@link #load(Path)} adds where in the
 * file a problem is. What needs the whole model (ports, wiring, whether a policy rule matches a
 * parameter) is checked by {@link dev.floe.run.Experiment#build}.
 *
  * @param stages the stages to run in order, each adding its rules to {@code policy}; default one
  *     stage of {@code training.epochs}
  * @param progressive ULMFiT-style gradual unfreezing of one component instead of {@code stages};
  *     default none
  * @param layerDecay {@code layer_decay}: γ in (0, 1]; the i-th declared layer from the top of a
  *     component learns at γ^i times its rate; default 1 (off)
  * @param layerDecayByComponent {@code layer_decay_by_component}: γ per component name, overriding
  *     {@code layer_decay}; default none
  * @param trainBn {@code train_bn}: BatchNorm scale and shift train, and their statistics update,
  *     even inside frozen components; default false
 * @param seed seeds parameter initialisation, data selection and shuffling; default 0
 * @param data what to train and evaluate on; required
 * @param model the graph; required
 * @param policy freeze rules in order, last match wins; default none (everything trains)
 * @param optimizer required
 * @param training required
 * @param peft LoRA modules and adapters to inject; default none
 * @param checkpointing gradient checkpointing: globs over segment paths ({@code encoder/layer.*});
 *     each segment they match keeps only its inputs for the backward pass and is recomputed then;
 *     default none. Whether each glob matches a segment is checked when the graph is built.
 * @param tasks multi-task training instead of {@code data}: one entry per task with its own data,
 *     output and loss weight; the first task is the primary one (early stopping, final evaluation)
 */
public record ExperimentConfig(
        Long seed,
        Data data,
        Model model,
        List<PolicyRule> policy,
        OptimizerConfig optimizer,
        Training training,
        List<StageConfig> stages,
        ProgressiveConfig progressive,
        Double layerDecay,
        Map<String, Double> layerDecayByComponent,
        Boolean trainBn,
        PeftConfig peft,
        List<String> checkpointing,
        List<TaskConfig> tasks) {

    /** The top-level keys. */
    public static final Set<String> SECTIONS = Set.of("seed", "data", "model", "policy", "optimizer", "training",
            "stages", "progressive", "layer_decay", "layer_decay_by_component", "train_bn", "peft", "checkpointing",
            "tasks");

    /**
     * Fills in defaults and checks the sections and how they combine; a bad value throws an
     * exception naming its YAML key, what was expected and what was found.
     *
     * @param stages the stages to run in order, each adding its rules to {@code policy}; default
     *     one stage of {@code training.epochs}
     * @param progressive ULMFiT-style gradual unfreezing of one component instead of
     *     {@code stages}; default none
     * @param layerDecay {@code layer_decay}: γ in (0, 1]; the i-th declared layer from the top of a
     *     component learns at γ^i times its rate; default 1 (off)
     * @param layerDecayByComponent {@code layer_decay_by_component}: γ per component name,
     *     overriding {@code layer_decay}; default none
     * @param trainBn {@code train_bn}: BatchNorm scale and shift train, and their statistics
     *     update, even inside frozen components; default false
     * @param seed seeds parameter initialisation, data selection and shuffling; default 0
     * @param data what to train and evaluate on; required
     * @param model the graph; required
     * @param policy freeze rules in order, last match wins; default none (everything trains)
     * @param optimizer required
     * @param training required
     * @param peft LoRA modules and adapters to inject; default none
     * @param checkpointing gradient checkpointing: globs over segment paths ({@code
     *     encoder/layer.*}); each segment they match keeps only its inputs for the backward pass
     *     and is recomputed then; default none. Whether each glob matches a segment is checked when
     *     the graph is built.
     * @param tasks multi-task training instead of {@code data}: one entry per task with its own
     *     data, output and loss weight; the first task is the primary one (early stopping, final
     *     evaluation)
     */
    public ExperimentConfig {
        Fields.Required required = Fields.required();
        if (tasks == null) {
            required.key("data", data);
        }
        required.key("model", model).key("optimizer", optimizer).key("training", training)
                .check("examples/fashion-finetune.yaml");
        if (tasks != null) {
            checkTasks(data, tasks, model);
        }
        seed = seed == null ? 0L : seed;
        layerDecay = layerDecay == null ? 1.0 : layerDecay;
        layerDecayByComponent = layerDecayByComponent == null ? Map.of() : Fields.orderedMap(layerDecayByComponent);
        trainBn = trainBn != null && trainBn;
        try {
            new FreezePolicy(List.of(), layerDecay, Map.of(), trainBn);
        } catch (IllegalArgumentException e) {
            throw Fields.bad("layer_decay", e.getMessage());
        }
        for (Map.Entry<String, Double> e : layerDecayByComponent.entrySet()) {
            try {
                new FreezePolicy(List.of(), 1.0, java.util.Collections.singletonMap(e.getKey(), e.getValue()), false);
            } catch (IllegalArgumentException bad) {
                throw Fields.inside(List.of("layer_decay_by_component", e.getKey()), bad.getMessage());
            }
        }
        policy = Fields.list(policy);
        stages = Fields.list(stages);
        checkpointing = Fields.list(checkpointing);
        for (int i = 0; i < checkpointing.size(); i++) {
            try {
                dev.floe.graph.PathGlob.compile(checkpointing.get(i));
            } catch (IllegalArgumentException e) {
                throw Fields.inside(List.of("checkpointing", i), e.getMessage());
            }
        }
        if (!stages.isEmpty() && progressive != null) {
            throw Fields.bad("stages",
                    "both stages and progressive are given; use one: progressive makes the stages for you");
        }
        if (stages.isEmpty() && progressive == null && training.epochs() == null) {
            throw Fields.bad("training",
                    "training.epochs is missing; give the number of epochs (training: {epochs: 3, batch_size: 64}),"
                            + " or give stages or progressive");
        }
        java.util.Set<String> stageNames = new java.util.HashSet<>();
        for (int i = 0; i < stages.size(); i++) {
            if (stages.get(i) == null) {
                throw Fields.inside(List.of("stages", i), "stage " + i + " is empty; write - {name: head, epochs: 2,"
                        + " policy: [...]}");
            }
            if (!stageNames.add(stages.get(i).name())) {
                throw Fields.inside(List.of("stages", i, "name"), "two stages are named '" + stages.get(i).name()
                        + "'; names must be unique");
            }
        }
        for (int i = 0; i < policy.size(); i++) {
            if (policy.get(i) == null) {
                throw Fields.inside(List.of("policy", i),
                        "policy entry " + i + " is empty; write - freeze: \"glob\" or - train: \"glob\"");
            }
        }
    }

    private static void checkTasks(Data data, List<TaskConfig> tasks, Model model) {
        if (data != null) {
            throw Fields.bad("tasks", "both data and tasks are given; a multi-task run gives each task its own data"
                    + " inside tasks: move data into the first task or remove tasks");
        }
        if (tasks.isEmpty()) {
            throw Fields.bad("tasks", "tasks is empty; list at least one task, e.g. - {name: a, output: logits, data: {...}}");
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        java.util.Set<String> outputs = new java.util.HashSet<>();
        boolean text = false;
        for (int i = 0; i < tasks.size(); i++) {
            TaskConfig t = tasks.get(i);
            if (t == null) {
                throw Fields.inside(List.of("tasks", i), "task " + i + " is empty; write - {name: ..., output: ...,"
                        + " data: {...}}");
            }
            if (!names.add(t.name())) {
                throw Fields.inside(List.of("tasks", i, "name"), "two tasks are named '" + t.name() + "'; names must"
                        + " be unique");
            }
            if (!outputs.add(t.output())) {
                throw Fields.inside(List.of("tasks", i, "output"), "two tasks read output '" + t.output() + "'; give"
                        + " each task its own head and output");
            }
            if (!model.outputs().containsKey(t.output())) {
                throw Fields.inside(List.of("tasks", i, "output"), "task " + t.name() + " reads output '" + t.output()
                        + "' but model.outputs declares " + model.outputs().keySet() + "; name one of them");
            }
            boolean isText = Data.TEXT.equals(t.data().format());
            if (i > 0 && isText != text) {
                throw Fields.inside(List.of("tasks", i, "data", "format"), "task " + t.name() + " has " + (isText
                        ? "text" : "numeric") + " data but the first task has " + (text ? "text" : "numeric")
                        + "; the tasks feed the same graph inputs, so use one kind of data for all of them");
            }
            text = isText;
        }
    }

    /**
     * The number of tasks: the entries of {@code tasks}, or 1 with {@code data}.
     *
     * @return the number of tasks, at least 1
     */
    public int taskCount() {
        return tasks == null ? 1 : tasks.size();
    }

    /**
     * A single-task config with task {@code i}'s data in place of {@code tasks} (everything else the
     * same), for reading that task's data.
     *
     * @param i the task index, in {@code [0, taskCount())}
     * @return a new config for that task
     */
    public ExperimentConfig forTask(int i) {
        return new ExperimentConfig(seed, tasks.get(i).data(), model, policy, optimizer, training, stages, progressive,
                layerDecay, layerDecayByComponent, trainBn, peft, checkpointing, null);
    }

    /**
     * Reads and checks a config file.
     *
     * @param file the YAML file
     * @return the checked config, defaults filled in
     * @throws ConfigException naming the file, line, column and key for malformed YAML, an unknown
     *     key (listing the valid ones), a missing required key, a value of the wrong type or out of
     *     range, or an unknown component or optimizer type (listing the valid ones); also when the
     *     file cannot be read
     */
    public static ExperimentConfig load(Path file) {
        return parse(read(file), file.toString());
    }

    /**
     * Parses and checks YAML text.
     *
     * @return the checked config, defaults filled in
     * @param yaml the file's bytes, UTF-8
     * @param source how to name the file in messages, e.g. its path; may be null
     * @throws ConfigException as {@link #load(Path)}
     */
    public static ExperimentConfig parse(byte[] yaml, String source) {
        return ConfigReader.parse(yaml, source);
    }

    /**
     * The bytes of a config file.
     *
     * @param file the config file
     * @return the file's bytes
     * @throws ConfigException if it is missing or not a regular file
     * @throws UncheckedIOException if reading fails otherwise
     */
    public static byte[] read(Path file) {
        if (Files.isDirectory(file)) {
            throw new ConfigException(file.toString(), ConfigException.UNKNOWN, ConfigException.UNKNOWN, "",
                    "is a folder; expected a YAML config file such as examples/fashion-finetune.yaml", null);
        }
        try {
            long size = Files.isRegularFile(file) ? Files.size(file) : 0;
            if (size > ConfigReader.MAX_CONFIG_BYTES) {
                throw ConfigReader.tooBig(file.toString(), size); // before reading: a wrong file may be huge
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), ConfigException.UNKNOWN, ConfigException.UNKNOWN, "",
                    "no such file (looked in " + file.toAbsolutePath().normalize() + "); check the path", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config " + file + ": " + e + "; check its permissions", e);
        }
    }

    /**
     * The config with every default filled in, as indented JSON with the YAML key names; absent
     * optional keys are omitted.
     *
     * @return the JSON text
     */
    public String toJson() {
        return ConfigReader.toJson(this);
    }

    /**
     * The run's stages: the {@code stages} list, the {@code progressive} template, or one stage of
     * {@code training.epochs} under {@code policy}.
     *
     * @return the schedule of stages to run
     * @param graph the built graph ({@code progressive} reads its component's layer order)
     * @throws ConfigException naming {@code progressive.component} when there is no such component or
     *     it cannot be unfrozen by layers, {@code progressive.layers} when it has fewer layers
     */
    public dev.floe.schedule.Schedule schedule(dev.floe.graph.ModelGraph graph) {
        List<dev.floe.freeze.FreezeRule> hostRules = peftHostRules(graph);
        checkHostRuleConflicts(hostRules);
        dev.floe.schedule.LrSchedule base = training.lrSchedule() == null
                ? dev.floe.schedule.LrSchedule.constant()
                : StageConfig.parseSchedule(training.lrSchedule());
        if (progressive != null) {
            ProgressiveConfig p = progressive;
            List<String> order = GraphChecks.component(graph, p.component(), "progressive.component").layerOrder();
            if (order.isEmpty()) {
                throw new ConfigException("progressive.component", "component " + p.component() + " declares no layer"
                        + " order, so it cannot be unfrozen layer by layer; use stages instead", null);
            }
            if (p.layers() != null && p.layers() > order.size()) {
                throw new ConfigException("progressive.layers", "layers is " + p.layers() + " but component "
                        + p.component() + " has " + order.size() + " layers " + order + "; choose 1 to " + order.size(),
                        null);
            }
            try {
                int layers = p.layers() != null ? p.layers() : order.size();
                return dev.floe.schedule.Schedule.progressive(graph, p.component(), freezePolicy(), layers, p.epochsPerStage(), p.lrScale(),
                        p.lrSchedule() == null ? base : StageConfig.parseSchedule(p.lrSchedule()),
                        p.earlyStopping() == null ? null : p.earlyStopping().toEarlyStopping());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("progressive", e.getMessage(), e);
            }
        }
        if (stages.isEmpty()) {
            return dev.floe.schedule.Schedule.single(new dev.floe.schedule.Stage(
                    "train", freezePolicy(), training.epochs(), base, null));
        }
        List<dev.floe.freeze.FreezeRule> rules = new java.util.ArrayList<>(freezePolicy().rules());
        List<dev.floe.schedule.Stage> out = new java.util.ArrayList<>();
        for (StageConfig sc : stages) {
            sc.policy().forEach(r -> rules.add(r.toRule()));
            out.add(new dev.floe.schedule.Stage(sc.name(), freezePolicy().withRules(List.copyOf(rules)), sc.epochs(),
                    sc.lrSchedule() == null ? base : StageConfig.parseSchedule(sc.lrSchedule()),
                    sc.earlyStopping() == null ? null : sc.earlyStopping().toEarlyStopping(),
                    sc.steps() == null ? 0 : sc.steps()));
        }
        return new dev.floe.schedule.Schedule(out);
    }

    /**
     * A graph input's spec as written in {@code model.inputs}: a shape in brackets, optionally
     * followed by an element type, e.g. {@code "[batch, 1, 28, 28]"} (float32) or
     * {@code "[batch, seq] int64"} (token ids).
     *
     * @param text the spec text
     * @return the spec
     * @throws IllegalArgumentException naming the shape or type that cannot be read
     */
    public static TensorSpec inputSpec(String text) {
        String s = text.trim();
        int close = s.lastIndexOf(']');
        String type = close < 0 ? "" : s.substring(close + 1).trim();
        if (type.isEmpty()) {
            return TensorSpec.of(s);
        }
        dev.floe.graph.ElementType element;
        try {
            element = dev.floe.graph.ElementType.parse(type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input '" + text + "' ends in '" + type + "', which is not an element"
                    + " type; write float32 (the default) or int64 after the shape, e.g. \"[batch, seq] int64\"", e);
        }
        return TensorSpec.of(s.substring(0, close + 1), element);
    }

    /**
     * The {@code policy} rules as a {@link FreezePolicy}; the rules of {@code peft.freeze_host} are not
     * among them ({@link FreezePolicy#resolve} puts them first).
     *
     * @return the policy
     */
    public FreezePolicy freezePolicy() {
        List<dev.floe.freeze.FreezeRule> rules = new java.util.ArrayList<>();
        policy.forEach(r -> rules.add(r.toRule()));
        return new FreezePolicy(rules, layerDecay, layerDecayByComponent, trainBn);
    }

    /**
     * The rules {@code peft.freeze_host} puts before the policy: {@code freeze COMPONENT/**} for each
     * component, in graph order, that holds a module named in {@code peft.active}; empty without a
     * {@code peft} section or with {@code freeze_host: false}. These are {@link FreezePolicy#hostRules}
     * of the graph {@link GraphChecks#injectPeft} injected into, the rules {@link FreezePolicy#resolve} applies.
     *
     * @param graph the built graph with the modules injected
     * @return the rules, in the order the plan numbers them
     */
    public List<dev.floe.freeze.FreezeRule> peftHostRules(dev.floe.graph.ModelGraph graph) {
        return peft == null ? List.of() : FreezePolicy.hostRules(graph);
    }

    /** A policy rule on the same glob as a host rule would be refused as a conflict; say what to do instead. */
    private void checkHostRuleConflicts(List<dev.floe.freeze.FreezeRule> hostRules) {
        for (dev.floe.freeze.FreezeRule host : hostRules) {
            List<Object> at = null;
            for (int i = 0; i < policy.size() && at == null; i++) {
                at = policy.get(i).toRule().glob().equals(host.glob()) ? List.of("policy", i) : null;
            }
            for (int j = 0; j < stages.size() && at == null; j++) {
                for (int k = 0; k < stages.get(j).policy().size() && at == null; k++) {
                    at = stages.get(j).policy().get(k).toRule().glob().equals(host.glob())
                            ? List.of("stages", j, "policy", k) : null;
                }
            }
            if (at != null) {
                throw new ConfigException(ConfigReader.render(at), "this rule's glob '" + host.glob() + "' is the one"
                        + " peft.freeze_host freezes (a rule the plan lists before the policy's); to train the whole component set"
                        + " peft.freeze_host: false, to train part of it give a narrower glob", null);
            }
        }
    }

    /**
     * The {@code data} section. Relative file paths are resolved against the config file's folder
     * and, when nothing exists there, against the bundled {@code datasets/} folder
     * ({@link dev.floe.data.FashionMnist#locateDatasets()}).
     *
     * <p>The training set is read (the first {@code limit} examples), filtered to {@code classes},
     * split for evaluation when {@code eval_fraction} is set, then cut to {@code per_class} examples
     * per class; the {@code test} set is read whole and filtered to {@code classes}.
     *
     * @param format {@code idx}, {@code csv} or {@code text}; required
     * @param train the training files; required ({@code images} and {@code labels} for idx,
     *     {@code path} for csv)
     * @param test the evaluation files, or null (evaluate on {@code eval_fraction} of train, or not at all)
     * @param labelColumn {@code label_column}, csv and text: header name (or JSON field) of the label
     *     column; default {@code label}
     * @param textColumn {@code text_column}, text only: the column or JSON field holding the text;
     *     default {@code text}
     * @param labels text and csv: the class names (text) or label values as written (csv, e.g.
     *     {@code [1, 2, 3]}) in class order; labels outside it are an error. Default: for text the
     *     distinct labels of the training file, sorted; for csv class indices 0..num_classes-1
     * @param header csv only: {@code true} (default), {@code false} or {@code auto} (no header when
     *     every cell of the first line is a number)
     * @param delimiter csv only: the one character between cells; default {@code ,}
     * @param labelIndex {@code label_index}, csv only: the label column's 0-based position, instead
     *     of {@code label_column}; required with {@code header: false}
     * @param dropColumns {@code drop_columns}, csv only: header names of columns to ignore
     * @param normalize idx and csv: {@code standard} or {@code minmax}, fitted on the training split
     *     only (after every selection step) and applied to training and evaluation examples; default none
     * @param maxTokens {@code max_tokens}, text only: word pieces per text, {@code [CLS]} and
     *     {@code [SEP]} included; longer texts are cut. Default (null here) 128, or the encoder's
     *     {@code max_positions} when that is smaller
     * @param numClasses {@code num_classes}: classes in the files, labels are 0 to num_classes-1;
     *     required for idx and csv; for text, optional (checked against the labels found)
     * @param classes keep only these classes, relabelled 0..k-1 in this order; null keeps all
     * @param perClass {@code per_class}: labelled training examples per class, drawn with the seed; null keeps all
     * @param evalFraction {@code eval_fraction}: share of train held out for evaluation when there is
     *     no test set, in [0, 1); default 0 (no evaluation)
     * @param limit read at most this many training examples, the first ones in the file; null reads all
     */
    public record Data(
            String format,
            DataFiles train,
            DataFiles test,
            String labelColumn,
            String textColumn,
            List<String> labels,
            Integer maxTokens,
            String header,
            String delimiter,
            Integer labelIndex,
            List<String> dropColumns,
            String normalize,
            Integer numClasses,
            List<Integer> classes,
            Integer perClass,
            Double evalFraction,
            Integer limit) {

        /** Format name of MNIST-style IDX files. */
        public static final String IDX = "idx";
        /** Format name of numeric CSV files with a label column. */
        public static final String CSV = "csv";
        /** Format name of labelled texts in JSON Lines or CSV files. */
        public static final String TEXT = "text";
        /** {@code max_tokens} when not given. */
        public static final int DEFAULT_MAX_TOKENS = 128;

        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param format {@code idx}, {@code csv} or {@code text}; required
         * @param train the training files; required ({@code images} and {@code labels} for idx,
         *     {@code path} for csv)
         * @param test the evaluation files, or null (evaluate on {@code eval_fraction} of train, or
         *     not at all)
         * @param labelColumn {@code label_column}, csv and text: header name (or JSON field) of the
         *     label column; default {@code label}
         * @param textColumn {@code text_column}, text only: the column or JSON field holding the
         *     text; default {@code text}
         * @param labels text and csv: the class names (text) or label values as written (csv, e.g.
         *     {@code [1, 2, 3]}) in class order; labels outside it are an error. Default: for text
         *     the distinct labels of the training file, sorted; for csv class indices
         *     0..num_classes-1
         * @param maxTokens {@code max_tokens}, text only: word pieces per text, {@code [CLS]} and
         *     {@code [SEP]} included; longer texts are cut. Default (null here) 128, or the
         *     encoder's {@code max_positions} when that is smaller
         * @param header csv only: {@code true} (default), {@code false} or {@code auto} (no header
         *     when every cell of the first line is a number)
         * @param delimiter csv only: the one character between cells; default {@code ,}
         * @param labelIndex {@code label_index}, csv only: the label column's 0-based position,
         *     instead of {@code label_column}; required with {@code header: false}
         * @param dropColumns {@code drop_columns}, csv only: header names of columns to ignore
         * @param normalize idx and csv: {@code standard} or {@code minmax}, fitted on the training
         *     split only (after every selection step) and applied to training and evaluation
         *     examples; default none
         * @param numClasses {@code num_classes}: classes in the files, labels are 0 to
         *     num_classes-1; required for idx and csv; for text, optional (checked against the
         *     labels found)
         * @param classes keep only these classes, relabelled 0..k-1 in this order; null keeps all
         * @param perClass {@code per_class}: labelled training examples per class, drawn with the
         *     seed; null keeps all
         * @param evalFraction {@code eval_fraction}: share of train held out for evaluation when
         *     there is no test set, in [0, 1); default 0 (no evaluation)
         * @param limit read at most this many training examples, the first ones in the file; null
         *     reads all
         */
        public Data {
            Fields.required().key("format", format).key("train", train)
                    .check("data: {format: idx, train: {images: ..., labels: ...}, num_classes: 10}");
            if (!IDX.equals(format) && !CSV.equals(format) && !TEXT.equals(format)) {
                throw Fields.bad("format",
                        "format must be " + IDX + ", " + CSV + " or " + TEXT + ", found '" + format + "'");
            }
            boolean text = TEXT.equals(format);
            boolean csv = CSV.equals(format);
            if (normalize != null && text) {
                throw Fields.bad("normalize", "normalize scales numeric features, but format is text; remove it");
            }
            if (normalize != null && !Normalization.METHODS.contains(normalize)) {
                throw Fields.bad("normalize", "normalize must be standard or minmax, found '" + normalize + "'; standard"
                        + " subtracts the mean and divides by the standard deviation, minmax maps the training range to"
                        + " [0, 1]");
            }
            if (!csv) {
                for (String[] k : new String[][] {{"header", header}, {"delimiter", delimiter},
                        {"label_index", labelIndex == null ? null : ""}, {"drop_columns", dropColumns == null ? null : ""}}) {
                    if (k[1] != null) {
                        throw Fields.bad(k[0], k[0] + " is for format csv, but format is " + format + "; remove " + k[0]);
                    }
                }
            }
            if (!text) {
                if (!(csv && labels != null)) {
                    Fields.required().key("num_classes", numClasses)
                            .check("data: {format: " + format + ", train: {...}, num_classes: 10}");
                }
                for (String[] k : new String[][] {{"text_column", textColumn}, {"labels", csv || labels == null ? null : ""},
                        {"max_tokens", maxTokens == null ? null : ""}}) {
                    if (k[1] != null) {
                        throw Fields.bad(k[0], k[0] + " is for format text" + (k[0].equals("labels") ? " and csv" : "")
                                + ", but format is " + format + "; remove " + k[0]);
                    }
                }
            }
            if (csv) {
                header = header == null ? "true" : header;
                if (!List.of("true", "false", "auto").contains(header)) {
                    throw Fields.bad("header", "header must be true, false or auto, found '" + header + "'; auto reads"
                            + " the first line as data when every cell is a number");
                }
                if (delimiter != null && delimiter.length() != 1) {
                    throw Fields.bad("delimiter", "delimiter must be one character, found '" + delimiter
                            + "' (" + delimiter.length() + " characters); e.g. delimiter: \";\" or \"\\t\" for tabs");
                }
                if (delimiter != null && (Character.isLetterOrDigit(delimiter.charAt(0))
                        || ".+-\"\r\n".indexOf(delimiter.charAt(0)) >= 0)) {
                    throw Fields.bad("delimiter", "delimiter '" + delimiter + "' can occur inside numbers or quoted"
                            + " cells or ends lines; use ',', ';', a tab or a space");
                }
                if (labelIndex != null && labelIndex < 0) {
                    throw Fields.bad("label_index", "label_index must be a 0-based column index >= 0, found " + labelIndex);
                }
                if (labelIndex != null && labelColumn != null) {
                    throw Fields.bad("label_index", "both label_column and label_index are given; the label column is"
                            + " found by name or by position: remove one");
                }
                if (header.equals("false") && labelIndex == null) {
                    throw Fields.bad("header", "with header: false the label column cannot be found by name; set"
                            + " label_index to its 0-based position, e.g. label_index: 4");
                }
                if (header.equals("false") && dropColumns != null) {
                    throw Fields.bad("drop_columns", "drop_columns names header columns, but header is false;"
                            + " remove drop_columns or give the file a header");
                }
                if (dropColumns != null) {
                    dropColumns = Fields.list(dropColumns);
                    for (int i = 0; i < dropColumns.size(); i++) {
                        if (dropColumns.get(i) == null || dropColumns.get(i).isBlank()) {
                            throw Fields.inside(List.of("drop_columns", i), "drop_columns entry " + i + " is empty;"
                                    + " give a header name");
                        }
                    }
                }
                if (labels != null) {
                    labels = checkLabels(labels, numClasses);
                    if (classes != null) {
                        throw Fields.bad("classes", "classes keeps class indices, but labels already says which label"
                                + " values are classes and in which order; remove classes and list only the values"
                                + " you want to keep in labels");
                    }
                }
            } else if (text) {
                textColumn = textColumn == null ? "text" : textColumn;
                Fields.notBlank("text_column", textColumn);
                Fields.notBlank("label_column", labelColumn);
                if (maxTokens != null && maxTokens < 2) {
                    throw Fields.bad("max_tokens", "max_tokens must be at least 2 (room for [CLS] and [SEP]), found "
                            + maxTokens + "; 64 to 256 suits most texts");
                }
                if (classes != null) {
                    throw Fields.bad("classes", "classes keeps numbered classes of idx or csv data; for format text"
                            + " list the class names in labels: [...] instead");
                }
                if (labels != null) {
                    labels = checkLabels(labels, numClasses);
                }
            }
            train.check("train", format);
            if (test != null) {
                test.check("test", format);
            }
            if (IDX.equals(format) && labelColumn != null) {
                throw Fields.bad("label_column",
                        "label_column is for csv data, but format is idx (labels come from the labels file);"
                                + " remove label_column");
            }
            labelColumn = !IDX.equals(format) && labelColumn == null && labelIndex == null ? "label" : labelColumn;
            Fields.positive("num_classes", numClasses);
            if (classes != null) {
                classes = Fields.list(classes);
                if (classes.isEmpty()) {
                    throw Fields.bad("classes", "classes is empty; list the classes to keep or remove the key");
                }
                for (Integer c : classes) {
                    if (c == null || c < 0 || c >= numClasses) {
                        throw Fields.bad("classes", "classes " + classes + " holds " + c
                                + ", outside [0, " + numClasses + ") given by num_classes; fix the class index");
                    }
                    if (classes.indexOf(c) != classes.lastIndexOf(c)) {
                        throw Fields.bad("classes", "classes " + classes + " lists " + c + " twice; list each once");
                    }
                }
            }
            Fields.positive("per_class", perClass);
            Fields.positive("limit", limit);
            evalFraction = evalFraction == null ? 0.0 : evalFraction;
            Fields.unitInterval("eval_fraction", evalFraction);
            if (test != null && evalFraction > 0) {
                throw Fields.bad("eval_fraction",
                        "both test and eval_fraction are given; evaluate on the test files or on a held-out part"
                                + " of train, not both: remove one");
            }
        }

        private static List<String> checkLabels(List<String> labels, Integer numClasses) {
            labels = Fields.list(labels);
            if (labels.isEmpty()) {
                throw Fields.bad("labels", "labels is empty; list the classes in label order, e.g. labels: [ham, spam],"
                        + " or remove the key");
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < labels.size(); i++) {
                if (labels.get(i) == null || labels.get(i).isBlank()) {
                    throw Fields.inside(List.of("labels", i), "label " + i + " is empty; give a class name");
                }
                if (!seen.add(labels.get(i))) {
                    throw Fields.inside(List.of("labels", i), "labels lists '" + labels.get(i)
                            + "' twice; list each class once");
                }
            }
            if (numClasses != null && numClasses != labels.size()) {
                throw Fields.bad("num_classes", "num_classes is " + numClasses + " but labels lists "
                        + labels.size() + " classes " + labels + "; remove num_classes or make them agree");
            }
            return labels;
        }

        /**
         * Number of classes the model sees: {@code classes.size()} when filtered, else
         * {@code labels.size()} or {@code num_classes}; -1 for text data that gives neither (the
         * training file decides).
         *
         * @return the number of classes, or -1 when the training file decides
         */
        public int effectiveClasses() {
            if (classes != null) {
                return classes.size();
            }
            if (labels != null) {
                return labels.size();
            }
            return numClasses == null ? -1 : numClasses;
        }
    }

    /**
     * The files of one split: {@code images} and {@code labels} for idx data, {@code path} for csv.
     *
     * @param images IDX images file, plain or gzipped
     * @param labels IDX labels file, plain or gzipped
     * @param path CSV file (csv), or JSON Lines or CSV file (text), plain or gzipped
     */
    public record DataFiles(String images, String labels, String path) {

        /**
         * Checks that no given file name is blank.
         *
         * @param images IDX images file, plain or gzipped
         * @param labels IDX labels file, plain or gzipped
         * @param path CSV file (csv), or JSON Lines or CSV file (text), plain or gzipped
         */
        public DataFiles {
            Fields.notBlank("images", images);
            Fields.notBlank("labels", labels);
            Fields.notBlank("path", path);
        }

        /** Whether the keys fit the format; errors are reported at {@code data.KEY}. */
        void check(String key, String format) {
            if (Data.IDX.equals(format)) {
                if (images == null || labels == null || path != null) {
                    String missing = images == null && labels == null ? "images and labels"
                            : images == null ? "images" : labels == null ? "labels" : null;
                    throw Fields.inside(List.of(key), key + " needs images and labels for format idx"
                            + (missing != null ? " but lacks " + missing : "")
                            + (path != null ? (missing != null ? " and" : " but") + " has path (that is for csv)" : "")
                            + "; e.g. " + key + ": {images: x-images-idx3-ubyte.gz, labels: x-labels-idx1-ubyte.gz}");
                }
            } else if (path == null || images != null || labels != null) {
                throw Fields.inside(List.of(key), key + " needs path for format " + format
                        + (path == null ? " but lacks it" : "")
                        + (images != null || labels != null ? (path == null ? " and" : " but")
                                + " has images/labels (those are for idx)" : "")
                        + "; e.g. " + key + ": {path: " + key + (Data.TEXT.equals(format) ? ".jsonl" : ".csv") + "}");
            }
        }
    }

    /**
     * The {@code model} section: a {@link dev.floe.graph.ModelGraph} written as data.
     *
     * @param inputs graph inputs and their shapes, e.g. {@code {image: "[batch, 1, 28, 28]"}}; required
     * @param components required, at least one
     * @param wires from a graph input or {@code component.port} to {@code component.port}; required
     * @param outputs graph outputs read from {@code component.port}, e.g. {@code {logits: head.logits}};
     *     required, exactly one for training
     * @param init weight files loaded after the graph is built, in order; default none
     */
    public record Model(
            Map<String, String> inputs,
            List<ComponentConfig> components,
            List<Wire> wires,
            Map<String, String> outputs,
            List<Init> init) {

        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param inputs graph inputs and their shapes, e.g. {@code {image: "[batch, 1, 28, 28]"}};
         *     required
         * @param components required, at least one
         * @param wires from a graph input or {@code component.port} to {@code component.port};
         *     required
         * @param outputs graph outputs read from {@code component.port}, e.g.
         *     {@code {logits: head.logits}}; required, exactly one for training
         * @param init weight files loaded after the graph is built, in order; default none
         */
        public Model {
            Fields.required().key("inputs", inputs).key("components", components).key("wires", wires)
                    .key("outputs", outputs)
                    .check("model: {inputs: {image: \"[batch, 1, 28, 28]\"}, components: [...], wires: [...],"
                            + " outputs: {logits: head.logits}}");
            inputs = Fields.orderedMap(inputs);
            outputs = Fields.orderedMap(outputs);
            components = Fields.list(components);
            wires = Fields.list(wires);
            init = Fields.list(init);
            if (inputs.isEmpty()) {
                throw Fields.bad("inputs", "inputs is empty; declare one, e.g. inputs: {image: \"[batch, 1, 28, 28]\"}");
            }
            for (Map.Entry<String, String> e : inputs.entrySet()) {
                if (e.getValue() == null) {
                    throw Fields.inside(List.of("inputs", e.getKey()), "input " + e.getKey()
                            + " has no shape; write e.g. \"[batch, 1, 28, 28]\"");
                }
                try {
                    inputSpec(e.getValue());
                } catch (IllegalArgumentException bad) {
                    throw Fields.inside(List.of("inputs", e.getKey()), bad.getMessage());
                }
            }
            if (components.isEmpty()) {
                throw Fields.bad("components", "components is empty; add at least one component");
            }
            checkEntries("components", components);
            checkEntries("wires", wires);
            checkEntries("init", init);
            if (outputs.isEmpty()) {
                throw Fields.bad("outputs", "outputs is empty; declare one, e.g. outputs: {logits: head.logits}");
            }
            for (Map.Entry<String, String> e : outputs.entrySet()) {
                if (e.getValue() == null || e.getValue().isBlank()) {
                    throw Fields.inside(List.of("outputs", e.getKey()),
                            "output " + e.getKey() + " has no source; write component.port, e.g. head.logits");
                }
            }
        }

        private static void checkEntries(String key, List<?> entries) {
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i) == null) {
                    throw Fields.inside(List.of(key, i), key + " entry " + i + " is empty; remove it or fill it in");
                }
            }
        }
    }

    /**
     * A wire of the graph.
     *
     * @param from a graph input ({@code image}) or a component output ({@code encoder.features}); required
     * @param to a component input ({@code head.in}); required
     */
    public record Wire(String from, String to) {
        /**
         * Checks that both ends are given.
         *
         * @param from a graph input ({@code image}) or a component output ({@code
         *     encoder.features}); required
         * @param to a component input ({@code head.in}); required
         */
        public Wire {
            Fields.required().key("from", from).key("to", to).check("{from: encoder.features, to: head.in}");
        }
    }

    /**
     * Weights to load into the built graph, with {@link dev.floe.io.ModelWeights#load}: the file must
     * hold exactly the parameters under {@code prefix}, with matching shapes.
     *
     * @param path a safetensors file; relative paths are resolved against the config file's folder; required
     * @param prefix parameter path prefix such as {@code encoder/}; default empty (the whole model)
     */
    public record Init(String path, String prefix) {
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param path a safetensors file; relative paths are resolved against the config file's
         *     folder; required
         * @param prefix parameter path prefix such as {@code encoder/}; default empty (the whole
         *     model)
         */
        public Init {
            Fields.required().key("path", path).check("{path: pretrained.safetensors, prefix: \"encoder/\"}");
            Fields.notBlank("path", path);
            prefix = prefix == null ? "" : prefix;
        }
    }

    /**
     * The {@code training} section.
     *
     * @param classWeights {@code class_weights}: {@value #BALANCED} or one positive weight per
     *     class in label order, weighting the training loss; default none
     * @param epochs passes over the training set, &ge; 1; required unless {@code stages} or
     *     {@code progressive} give the budget (then ignored)
     * @param batchSize {@code batch_size}: examples per forward pass, &ge; 1; required
     * @param gradientAccumulation {@code gradient_accumulation}: batches summed per optimizer step, &ge; 1; default 1
     * @param clipGradNorm {@code clip_grad_norm}: global gradient-norm limit, &ge; 0 (0 = off); default 0
     * @param lrSchedule {@code lr_schedule}: {@code {type: constant | warmup_cosine | slanted_triangular, ...}};
     *     default constant; restarted in every stage
     */
    public record Training(
            Integer epochs, Integer batchSize, Integer gradientAccumulation, Double clipGradNorm, Map<String, Object> lrSchedule,
            Object classWeights) {

        /** {@code class_weights: balanced}. */
        public static final String BALANCED = "balanced";

        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param classWeights {@code class_weights}: {@value #BALANCED} or one positive weight per
         *     class in label order, weighting the training loss; default none
         * @param epochs passes over the training set, &ge; 1; required unless {@code stages} or
         *     {@code progressive} give the budget (then ignored)
         * @param batchSize {@code batch_size}: examples per forward pass, &ge; 1; required
         * @param gradientAccumulation {@code gradient_accumulation}: batches summed per optimizer
         *     step, &ge; 1; default 1
         * @param clipGradNorm {@code clip_grad_norm}: global gradient-norm limit, &ge; 0 (0 = off);
         *     default 0
         * @param lrSchedule {@code lr_schedule}:
         *     {@code {type: constant | warmup_cosine | slanted_triangular, ...}}; default constant;
         *     restarted in every stage
         */
        public Training {
            if (classWeights != null) {
                classWeights(classWeights); // checks the form; the count is checked against the data's classes
            }
            Fields.required().key("batch_size", batchSize).check("training: {epochs: 3, batch_size: 64}");
            if (epochs != null) {
                Fields.positive("epochs", epochs);
            }
            Fields.positive("batch_size", batchSize);
            gradientAccumulation = gradientAccumulation == null ? 1 : gradientAccumulation;
            Fields.positive("gradient_accumulation", gradientAccumulation);
            clipGradNorm = clipGradNorm == null ? 0.0 : clipGradNorm;
            Fields.nonNegative("clip_grad_norm", clipGradNorm);
            if (lrSchedule != null) {
                StageConfig.parseSchedule(lrSchedule);
            }
        }

        /**
         * {@code training.class_weights} as trainer weights, or null when not set.
         *
         * @return the class weights, or null
         */
        public dev.floe.train.ClassWeights classWeightsSpec() {
            return classWeights == null ? null : classWeights(classWeights);
        }

        private static dev.floe.train.ClassWeights classWeights(Object value) {
            String example = "; write class_weights: balanced, or one positive number per class, e.g."
                    + " class_weights: [1.0, 4.0]";
            if (value instanceof String s) {
                if (!BALANCED.equals(s.trim())) {
                    throw Fields.bad("class_weights", "class_weights is '" + s + "'" + example);
                }
                return dev.floe.train.ClassWeights.balanced();
            }
            if (!(value instanceof List<?> list)) {
                throw Fields.bad("class_weights", "class_weights is " + value + example);
            }
            List<Double> weights = new java.util.ArrayList<>();
            for (int k = 0; k < list.size(); k++) {
                Object w = list.get(k);
                if (!(w instanceof Number n) || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
                    throw Fields.bad("class_weights", "class_weights[" + k + "] is " + w
                            + "; every class weight must be a finite number > 0" + example);
                }
                weights.add(n.doubleValue());
            }
            if (weights.isEmpty()) {
                throw Fields.bad("class_weights", "class_weights is an empty list" + example);
            }
            return dev.floe.train.ClassWeights.of(weights);
        }
    }
}
