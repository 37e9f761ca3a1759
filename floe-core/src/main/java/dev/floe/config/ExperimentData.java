package dev.floe.config;

import dev.floe.data.CsvReader;
import dev.floe.data.Dataset;
import dev.floe.data.FashionMnist;
import dev.floe.data.IdxReader;
import dev.floe.data.OptionNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.floe.data.Examples;
import dev.floe.data.TextDataset;
import dev.floe.data.TextReader;
import dev.floe.text.TokenizedExamples;
import dev.floe.text.Tokenizer;

/**
 * The data sets an experiment trains and evaluates on, read and selected as its {@code data}
 * section says (see {@link ExperimentConfig.Data} for the order of the steps).
 *
 * <p>Numeric data ({@code idx}, {@code csv}) feeds the model's one input as
 * {@link Examples.Numeric}; text data ({@code format: text}) is tokenized with the tokenizer of the
 * encoder that graph input {@code input_ids} feeds, as {@link TokenizedExamples}.
 *
 * @param train the training examples after limit, class filter, hold-out and per-class selection
 * @param eval the evaluation examples, or null when the config has neither {@code test} nor
 *     {@code eval_fraction}
 * @param files the files read, by config key ({@code data.train.images}, ...), resolved
 * @param labels the class names, label {@code k} is {@code labels.get(k)}: for text data, and for
 *     csv data with {@code data.labels}; null otherwise (classes are numbers)
 * @param normalization what {@code data.normalize} fitted on the training split, or null
 * @param tasks with {@code tasks}: every task's data in config order (the first is also
 *     {@code train}, {@code eval}, {@code labels} and {@code normalization} above, and {@code files}
 *     holds every task's files); empty for a single-task config
 */
public record ExperimentData(Examples train, Examples eval, Map<String, Path> files, List<String> labels,
        Normalization normalization, List<TaskData> tasks) {

    /**
     * One task's data in a multi-task run.
     *
     * @param name the task's name
     * @param output the graph output holding its logits
     * @param weight its weight in the summed loss
     * @param data its examples, read as a single-task config with its {@code data} section would be
     */
    public record TaskData(String name, String output, double weight, ExperimentData data) {}

    /** How the readers' messages name the options a config sets: by their YAML keys under {@code data}. */
    static final OptionNames KEYS = new OptionNames("data.label_column", "data.label_index", "data.header",
            "data.delimiter", "data.num_classes", "data.drop_columns", "data.labels");

    /** How text-reader messages name the config's keys. */
    static final TextReader.OptionKeys TEXT_KEYS =
            new TextReader.OptionKeys("data.text_column", "data.label_column", "data.labels");

    /** Graph input that text data feeds with token ids. */
    public static final String INPUT_IDS = TokenizedExamples.INPUT_IDS;

    /**
     * Copies the files, labels and tasks.
     *
     * @param train the training examples after limit, class filter, hold-out and per-class
     *     selection
     * @param eval the evaluation examples, or null when the config has neither {@code test} nor
     *     {@code eval_fraction}
     * @param files the files read, by config key ({@code data.train.images}, ...), resolved
     * @param labels the class names, label {@code k} is {@code labels.get(k)}: for text data, and
     *     for csv data with {@code data.labels}; null otherwise (classes are numbers)
     * @param normalization what {@code data.normalize} fitted on the training split, or null
     * @param tasks with {@code tasks}: every task's data in config order (the first is also
     *     {@code train}, {@code eval}, {@code labels} and {@code normalization} above, and
     *     {@code files} holds every task's files); empty for a single-task config
     * @throws IllegalArgumentException if there is no training set
     */
    public ExperimentData {
        if (train == null) {
            throw new IllegalArgumentException("experiment data needs a training set");
        }
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        labels = labels == null ? null : List.copyOf(labels);
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
    }

    /**
     * Single-task data.
     *
     * @param train the training examples
     * @param eval the evaluation examples, or null
     * @param files the files read, by config key; copied
     * @param labels class names by label, or null
     * @param normalization the fitted normalisation, or null
     */
    public ExperimentData(Examples train, Examples eval, Map<String, Path> files, List<String> labels,
            Normalization normalization) {
        this(train, eval, files, labels, normalization, List.of());
    }

    /**
     * Numeric data: no class names, no normalisation.
     *
     * @param train the training examples
     * @param eval the evaluation examples, or null
     * @param files the files read, by config key; copied
     */
    public ExperimentData(Examples train, Examples eval, Map<String, Path> files) {
        this(train, eval, files, null, null, List.of());
    }

    /**
     * Data without normalisation.
     *
     * @param train the training examples
     * @param eval the evaluation examples, or null
     * @param files the files read, by config key; copied
     * @param labels class names by label, or null
     */
    public ExperimentData(Examples train, Examples eval, Map<String, Path> files, List<String> labels) {
        this(train, eval, files, labels, null, List.of());
    }

    /**
     * Reads and selects the data.
     *
     * @param config the checked config
     * @return the data: training and evaluation examples, files read, class names and normalisation
     * @param baseDir the folder relative paths start from, normally the config file's folder
     * @throws ConfigException when a file is not found, is a folder or cannot be read (as
     *     {@link #locate}), or the selection is impossible (e.g. a class has fewer than
     *     {@code per_class} examples)
     * @throws dev.floe.data.DataFormatException when a file is damaged, naming file and position; its
     *     fixes name the config's keys ({@code data.label_column}, {@code data.num_classes})
     */
    public static ExperimentData load(ExperimentConfig config, Path baseDir) {
        if (config.tasks() != null) {
            return loadTasks(config, baseDir);
        }
        ExperimentConfig.Data d = config.data();
        long seed = config.seed();
        Map<String, Path> files = locate(config, baseDir);
        if (ExperimentConfig.Data.TEXT.equals(d.format())) {
            return loadText(config, baseDir, files);
        }
        Dataset train = read(d, files, "data.train", d.limit());
        Dataset eval = d.test() == null ? null : read(d, files, "data.test", null);
        if (d.classes() != null) {
            int[] keep = d.classes().stream().mapToInt(Integer::intValue).toArray();
            train = filter(train, keep, "data.train");
            eval = eval == null ? null : filter(eval, keep, "data.test");
        }
        if (eval == null && d.evalFraction() > 0) {
            checkHoldOut(d.evalFraction(), train.size());
            Dataset.Split split = train.split(d.evalFraction(), seed);
            eval = split.first();
            train = split.second();
        }
        if (d.perClass() != null) {
            try {
                train = train.takePerClass(d.perClass(), seed);
            } catch (IllegalArgumentException tooFew) {
                throw new ConfigException("data.per_class", tooFew.getMessage()
                        + "; lower per_class or raise limit (the training set has class counts "
                        + java.util.Arrays.toString(train.classCounts()) + ")", tooFew);
            }
        }
        Normalization norm = null;
        if (d.normalize() != null) {
            norm = Normalization.fit(d.normalize(), train); // the training split only
            train = norm.apply(train);
            eval = eval == null ? null : norm.apply(eval);
        }
        String input = config.model().inputs().keySet().iterator().next();
        return new ExperimentData(Examples.of(train, input), eval == null ? null : Examples.of(eval, input), files,
                d.labels(), norm);
    }

    /**
     * Reads one more data file as the config reads its own (same reader and options, same class
     * names, same tokenizer and {@code max_tokens}), for scoring or predicting with a trained model.
     * No selection ({@code limit}, {@code per_class}, {@code eval_fraction}) is applied; with
     * {@code data.classes} the examples of the other classes are dropped and labels renumbered as in
     * training.
     *
     * @param config the checked config
     * @param baseDir the folder relative paths start from
     * @param file a CSV file, a text file (JSON Lines or CSV), or IDX images
     * @param idxLabels the IDX labels file of {@code file} (IDX only; ignored otherwise)
     * @param classNames text data: the run's class names, label {@code k} is {@code classNames.get(k)}
     * @param name how the examples are named in messages and records
     * @param normalization numeric data: the normalisation the run fitted on its training split
     *     ({@link #normalization()}), applied as training applied it; null when the run has none
     * @return the examples, transformed as the config's training data was
     * @throws dev.floe.data.DataFormatException when the file is damaged or does not fit the config
     *     (naming file, position and the config key to change)
     */
    public static Examples readExamples(ExperimentConfig config, Path baseDir, Path file, Path idxLabels,
            List<String> classNames, String name, Normalization normalization) {
        ExperimentConfig.Data d = config.data();
        if (ExperimentConfig.Data.TEXT.equals(d.format())) {
            TextEncoderAt enc = textEncoder(config);
            int maxTokens = d.maxTokens() != null ? d.maxTokens()
                    : (int) Math.min(ExperimentConfig.Data.DEFAULT_MAX_TOKENS, enc.encoder().maxPositions());
            TextReader.Builder b = TextReader.builder()
                    .setPath(file)
                    .optFormat(textFormat(file.toString(), "the data file"))
                    .optTextField(d.textColumn())
                    .optLabelField(d.labelColumn())
                    .optName(name)
                    .optOptionKeys(TEXT_KEYS);
            if (classNames != null) {
                b.optClassNames(classNames);
            }
            TextDataset texts = b.build().read();
            TokenizedExamples examples;
            try (Tokenizer tok = enc.encoder().tokenizer(maxTokens, baseDir, enc.key())) {
                examples = TokenizedExamples.of(texts, tok);
            }
            checkVocab(examples, enc);
            return examples;
        }
        Dataset data;
        if (ExperimentConfig.Data.IDX.equals(d.format())) {
            data = IdxReader.read(file, idxLabels, d.numClasses(), name, Integer.MAX_VALUE, KEYS);
        } else {
            data = csvReader(d, file, name).read();
        }
        if (d.classes() != null) {
            data = filter(data, d.classes().stream().mapToInt(Integer::intValue).toArray(), name);
        }
        if (normalization != null) {
            data = normalization.apply(data);
        }
        return Examples.of(data, config.model().inputs().keySet().iterator().next());
    }

    /**
     * The tokenizer text data of {@code config} is read with: the one of the encoder that input
     * {@code input_ids} feeds, cut to {@code data.max_tokens} (default: the smaller of 256 and the
     * encoder's positions).
     *
     * @param config a config of {@code data.format: text}
     * @param baseDir the folder the config's relative paths start from
     * @return the tokenizer; the caller closes it
     * @throws ConfigException when no minilm or transformer component takes {@code input_ids}
     */
    public static Tokenizer tokenizer(ExperimentConfig config, Path baseDir) {
        TextEncoderAt enc = textEncoder(config);
        ExperimentConfig.Data d = config.data();
        int maxTokens = d.maxTokens() != null ? d.maxTokens()
                : (int) Math.min(ExperimentConfig.Data.DEFAULT_MAX_TOKENS, enc.encoder().maxPositions());
        return enc.encoder().tokenizer(maxTokens, baseDir, enc.key());
    }

    /**
     * The data files the config names, resolved as {@link #load} resolves them, each checked to be a
     * regular file that can be opened for reading. Their contents are not read, so this is fast
     * whatever their size; a damaged file is found only by {@link #load}.
     *
     * @param config the checked config
     * @param baseDir the folder relative paths start from, normally the config file's folder
     * @return the files by config key ({@code data.train.images}, {@code data.test.path}, ...), in
     *     config order
     * @throws ConfigException naming the key when a file is missing, a folder or not readable
     */
    public static Map<String, Path> locate(ExperimentConfig config, Path baseDir) {
        if (config.tasks() != null) {
            Map<String, Path> all = new LinkedHashMap<>();
            for (int i = 0; i < config.tasks().size(); i++) {
                String prefix = "tasks[" + i + "].";
                ExperimentConfig single = config.forTask(i);
                Map<String, Path> found = inTask(i, () -> locate(single, baseDir));
                found.forEach((k, v) -> all.put(prefix + k, v));
            }
            return all;
        }
        ExperimentConfig.Data d = config.data();
        Map<String, Path> files = new LinkedHashMap<>();
        locate(d, d.train(), "data.train", baseDir, files);
        if (d.test() != null) {
            locate(d, d.test(), "data.test", baseDir, files);
        }
        return files;
    }

    private static void locate(ExperimentConfig.Data d, ExperimentConfig.DataFiles f, String key, Path baseDir,
            Map<String, Path> files) {
        if (ExperimentConfig.Data.IDX.equals(d.format())) {
            files.put(key + ".images", readable(f.images(), baseDir, key + ".images", "IDX images file"));
            files.put(key + ".labels", readable(f.labels(), baseDir, key + ".labels", "IDX labels file"));
        } else if (ExperimentConfig.Data.TEXT.equals(d.format())) {
            textFormat(f.path(), key + ".path");
            files.put(key + ".path", readable(f.path(), baseDir, key + ".path", "text file (JSON Lines or CSV)"));
        } else {
            files.put(key + ".path", readable(f.path(), baseDir, key + ".path", "CSV file"));
        }
    }

    /** A data file that exists, is not a folder and opens for reading. */
    private static Path readable(String file, Path baseDir, String key, String what) {
        Path path;
        try {
            path = ConfigPaths.dataFile(file, baseDir, key);
        } catch (ConfigException notFound) {
            Path folder = folderAt(file, baseDir);
            if (folder == null) {
                throw notFound;
            }
            throw new ConfigException(key, "'" + file + "' is a folder (" + folder + "); expected " + what
                    + "; give the path of the file, not of its folder", notFound);
        }
        try (InputStream in = Files.newInputStream(path)) {
            in.read();
        } catch (AccessDeniedException e) {
            throw new ConfigException(key, "cannot read " + what + " '" + file + "' (" + path + "): permission denied;"
                    + " make it readable (chmod +r) or point " + key + " at a copy you can read", e);
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read " + what + " '" + file + "' (" + path + "): " + e.getMessage()
                    + "; check the file and its permissions", e);
        }
        return path;
    }

    /** Where {@link ConfigPaths#dataFile} would have found {@code file} had it not been a folder, or null. */
    private static Path folderAt(String file, Path baseDir) {
        Path given = Path.of(file);
        List<Path> candidates = new ArrayList<>();
        candidates.add(given.isAbsolute() ? given : baseDir.resolve(given));
        if (!given.isAbsolute()) {
            try {
                candidates.add(FashionMnist.locateDatasets().resolve(given));
            } catch (IllegalStateException noDatasets) {
                // only the config's folder was searched
            }
        }
        return candidates.stream().filter(Files::isDirectory).map(p -> p.toAbsolutePath().normalize())
                .findFirst().orElse(null);
    }

    private static Dataset read(ExperimentConfig.Data d, Map<String, Path> files, String key, Integer limit) {
        if (ExperimentConfig.Data.IDX.equals(d.format())) {
            Path images = files.get(key + ".images");
            ExperimentConfig.DataFiles f = key.equals("data.train") ? d.train() : d.test();
            String name = key.substring("data.".length()) + " " + f.images();
            return IdxReader.read(images, files.get(key + ".labels"), d.numClasses(), name,
                    limit == null ? Integer.MAX_VALUE : limit, KEYS);
        }
        ExperimentConfig.DataFiles f = key.equals("data.train") ? d.train() : d.test();
        Dataset all = csvReader(d, files.get(key + ".path"), key.substring("data.".length()) + " " + f.path()).read();
        if (limit == null || all.size() <= limit) {
            return all;
        }
        int[] first = new int[limit];
        for (int i = 0; i < limit; i++) {
            first[i] = i;
        }
        return all.subset(first);
    }

    /**
     * The one CSV reader of numeric data: every {@code data} option that shapes how a CSV file reads
     * ({@code delimiter}, {@code header}, {@code label_column} or {@code label_index},
     * {@code drop_columns}, {@code labels} or {@code num_classes}), for training and for every file
     * read later with the run's config.
     */
    private static CsvReader csvReader(ExperimentConfig.Data d, Path file, String name) {
        CsvReader.Builder csv = CsvReader.builder()
                .setPath(file)
                .optName(name)
                .optOptionNames(KEYS);
        if (d.labelIndex() != null) {
            csv.optLabelIndex(d.labelIndex());
        } else {
            csv.optLabelColumn(d.labelColumn());
        }
        if (d.labels() != null) {
            csv.optLabelValues(d.labels());
        } else {
            csv.optNumClasses(d.numClasses());
        }
        switch (d.header()) {
            case "auto" -> csv.optHeaderAuto();
            case "false" -> csv.optHeader(false);
            default -> csv.optHeader(true);
        }
        if (d.delimiter() != null) {
            csv.optDelimiter(d.delimiter().charAt(0));
        }
        if (d.dropColumns() != null) {
            csv.optDropColumns(d.dropColumns());
        }
        return csv.build();
    }

    private static Dataset filter(Dataset data, int[] classes, String key) {
        Dataset kept = data.filterClasses(classes);
        if (kept.size() == 0) {
            throw new ConfigException("data.classes", key + " has no examples of classes "
                    + java.util.Arrays.toString(classes) + "; check classes (and limit)", null);
        }
        return kept;
    }

    // ---- tasks ----------------------------------------------------------------------------------

    private static ExperimentData loadTasks(ExperimentConfig config, Path baseDir) {
        List<TaskData> tasks = new ArrayList<>();
        Map<String, Path> files = new LinkedHashMap<>();
        for (int i = 0; i < config.tasks().size(); i++) {
            TaskConfig t = config.tasks().get(i);
            ExperimentConfig single = config.forTask(i);
            ExperimentData d = inTask(i, () -> load(single, baseDir));
            String prefix = "tasks[" + i + "].";
            d.files().forEach((k, v) -> files.put(prefix + k, v));
            tasks.add(new TaskData(t.name(), t.output(), t.weight(), d));
        }
        ExperimentData first = tasks.get(0).data();
        return new ExperimentData(first.train(), first.eval(), files, first.labels(), first.normalization(), tasks);
    }

    /** Runs a step for task {@code i}, naming the task's keys ({@code tasks[i].data.*}) in its config errors. */
    private static <T> T inTask(int i, java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (ConfigException e) {
            String where = e.where() == null || e.where().isEmpty() ? "data" : e.where();
            throw new ConfigException("tasks[" + i + "]." + where, e.detail(), e);
        }
    }

    // ---- text data --------------------------------------------------------------------------

    /** JSON Lines or CSV, from the file name ({@code .jsonl}, {@code .ndjson}, {@code .csv}, each optionally {@code .gz}). */
    static TextReader.Format textFormat(String file, String key) {
        TextReader.Format format = TextReader.Format.fromName(Path.of(file));
        if (format != null) {
            return format;
        }
        throw new ConfigException(key, "cannot tell whether '" + file + "' is JSON Lines or CSV from its name;"
                + " format text reads .jsonl, .ndjson or .csv files (optionally gzipped, .gz): rename the file", null);
    }

    /** The encoder fed by graph input {@code input_ids}, with its {@code model.components[i]} key. */
    private record TextEncoderAt(ComponentConfig.TextEncoder encoder, String key) {}

    private static TextEncoderAt textEncoder(ExperimentConfig config) {
        ExperimentConfig.Model m = config.model();
        for (ExperimentConfig.Wire w : m.wires()) {
            if (!w.from().trim().equals(INPUT_IDS)) {
                continue;
            }
            String target = w.to().trim();
            String component = target.contains(".") ? target.substring(0, target.indexOf('.')) : target;
            for (int i = 0; i < m.components().size(); i++) {
                ComponentConfig c = m.components().get(i);
                if (c.name().equals(component)) {
                    if (c instanceof ComponentConfig.TextEncoder enc) {
                        return new TextEncoderAt(enc, "model.components[" + i + "]");
                    }
                    throw new ConfigException("data.format", "format text tokenizes with the encoder that input "
                            + INPUT_IDS + " feeds, but it feeds " + component + ", which is not a minilm or transformer"
                            + " component; wire " + INPUT_IDS + " to one", null);
                }
            }
        }
        throw new ConfigException("data.format", "format text feeds token ids to graph input " + INPUT_IDS
                + ", but no wire goes from " + INPUT_IDS + " to a minilm or transformer component; declare the inputs"
                + " {" + INPUT_IDS + ": \"[batch, seq] int64\", " + TokenizedExamples.ATTENTION_MASK
                + ": \"[batch, seq] int64\"} and wire them to the encoder's ports of the same names", null);
    }

    private static ExperimentData loadText(ExperimentConfig config, Path baseDir, Map<String, Path> files) {
        ExperimentConfig.Data d = config.data();
        long seed = config.seed();
        TextEncoderAt enc = textEncoder(config);
        int maxTokens = d.maxTokens() != null ? d.maxTokens()
                : (int) Math.min(ExperimentConfig.Data.DEFAULT_MAX_TOKENS, enc.encoder().maxPositions());
        if (maxTokens > enc.encoder().maxPositions()) {
            throw new ConfigException("data.max_tokens", "max_tokens is " + d.maxTokens() + " but the encoder "
                    + enc.key() + " takes at most " + enc.encoder().maxPositions() + " tokens (its max_positions);"
                    + " lower max_tokens", null);
        }
        TextDataset train = readText(d, files, "data.train", d.labels());
        if (d.numClasses() != null && d.labels() == null && d.numClasses() != train.numClasses()) {
            throw new ConfigException("data.num_classes", "num_classes is " + d.numClasses() + " but the training"
                    + " file holds " + train.numClasses() + " classes " + train.classNames() + "; remove num_classes"
                    + " or list the classes in data.labels", null);
        }
        TextDataset eval = d.test() == null ? null : readText(d, files, "data.test", train.classNames());
        if (d.limit() != null && train.size() > d.limit()) {
            int[] first = new int[d.limit()];
            java.util.Arrays.setAll(first, i -> i);
            train = train.subset(first);
        }
        if (eval == null && d.evalFraction() > 0) {
            checkHoldOut(d.evalFraction(), train.size());
            TextDataset.Split split = train.split(d.evalFraction(), seed);
            eval = split.first();
            train = split.second();
        }
        if (d.perClass() != null) {
            train = perClass(train, d.perClass(), seed);
        }
        TokenizedExamples trainEx;
        TokenizedExamples evalEx;
        try (Tokenizer tok = enc.encoder().tokenizer(maxTokens, baseDir, enc.key())) {
            trainEx = TokenizedExamples.of(train, tok);
            evalEx = eval == null ? null : TokenizedExamples.of(eval, tok);
        }
        checkVocab(trainEx, enc);
        if (evalEx != null) {
            checkVocab(evalEx, enc);
        }
        return new ExperimentData(trainEx, evalEx, files, train.classNames());
    }

    private static TextDataset readText(ExperimentConfig.Data d, Map<String, Path> files, String key,
            List<String> classNames) {
        ExperimentConfig.DataFiles f = key.equals("data.train") ? d.train() : d.test();
        TextReader.Builder b = TextReader.builder()
                .setPath(files.get(key + ".path"))
                .optFormat(textFormat(f.path(), key + ".path"))
                .optTextField(d.textColumn())
                .optLabelField(d.labelColumn())
                .optName(key.substring("data.".length()) + " " + f.path())
                .optOptionKeys(TEXT_KEYS);
        if (classNames != null) {
            b.optClassNames(classNames);
        }
        return b.build().read();
    }

    /**
     * Exactly {@code perClass} texts of every class, as {@link Dataset#takePerClass}: the first of
     * each class along {@code shuffledIndices(seed)}, kept in file order.
     */
    private static TextDataset perClass(TextDataset data, int perClass, long seed) {
        int[] counts = data.classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < perClass) {
                throw new ConfigException("data.per_class", "per_class is " + perClass + " but class '"
                        + data.classNames().get(c) + "' has only " + counts[c] + " training texts (class counts "
                        + java.util.Arrays.toString(counts) + " for " + data.classNames() + "); lower per_class or"
                        + " raise limit", null);
            }
        }
        int[] taken = new int[counts.length];
        int[] chosen = new int[perClass * counts.length];
        int n = 0;
        for (int i : data.shuffledIndices(seed)) {
            int label = data.label(i);
            if (taken[label] < perClass) {
                taken[label]++;
                chosen[n++] = i;
            }
        }
        java.util.Arrays.sort(chosen);
        return data.subset(chosen);
    }

    /** Every token id is inside the encoder's vocabulary (a tokenizer made for a larger one is caught here). */
    private static void checkVocab(TokenizedExamples examples, TextEncoderAt enc) {
        for (int i = 0; i < examples.size(); i++) {
            for (long id : examples.ids(i)) {
                if (id >= enc.encoder().vocab()) {
                    throw new ConfigException(enc.key() + ".vocab", "the tokenizer gives token id " + id + " (text "
                            + i + " of " + examples.name() + ") but the encoder's vocabulary has " + enc.encoder().vocab()
                            + " entries; set vocab to the tokenizer's vocabulary size or use its tokenizer", null);
                }
            }
        }
    }

    /**
     * {@code data.eval_fraction} of {@code size} training examples leaves examples on both sides.
     *
     * @throws ConfigException at {@code data.eval_fraction} otherwise
     */
    private static void checkHoldOut(double evalFraction, int size) {
        long held = Math.round(evalFraction * size);
        if (held < 1 || held >= size) {
            throw new ConfigException("data.eval_fraction", "eval_fraction " + evalFraction + " of " + size
                    + " training examples holds out " + held + "; both parts need examples: change eval_fraction or"
                    + " limit", null);
        }
    }
}
