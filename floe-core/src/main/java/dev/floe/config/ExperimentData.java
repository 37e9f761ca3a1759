package dev.floe.config;

import dev.floe.data.CsvReader;
import dev.floe.data.Dataset;
import dev.floe.data.IdxReader;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data sets an experiment trains and evaluates on, read and selected as its {@code data}
 * section says (see {@link ExperimentConfig.Data} for the order of the steps).
 *
 * @param train the training examples after limit, class filter, hold-out and per-class selection
 * @param eval the evaluation examples, or null when the config has neither {@code test} nor
 *     {@code eval_fraction}
 * @param files the files read, by config key ({@code data.train.images}, ...), resolved
 */
public record ExperimentData(Dataset train, Dataset eval, Map<String, Path> files) {

    public ExperimentData {
        if (train == null) {
            throw new IllegalArgumentException("experiment data needs a training set");
        }
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /**
     * Reads and selects the data.
     *
     * @param baseDir the folder relative paths start from, normally the config file's folder
     * @throws ConfigException when a file is not found or the selection is impossible (e.g. a class
     *     has fewer than {@code per_class} examples)
     * @throws dev.floe.data.DataFormatException when a file is damaged, naming file and position
     */
    public static ExperimentData load(ExperimentConfig config, Path baseDir) {
        ExperimentConfig.Data d = config.data();
        long seed = config.seed();
        Map<String, Path> files = new LinkedHashMap<>();
        Dataset train = read(d, d.train(), "data.train", baseDir, d.limit(), files);
        Dataset eval = d.test() == null ? null : read(d, d.test(), "data.test", baseDir, null, files);
        if (d.classes() != null) {
            int[] keep = d.classes().stream().mapToInt(Integer::intValue).toArray();
            train = filter(train, keep, "data.train");
            eval = eval == null ? null : filter(eval, keep, "data.test");
        }
        if (eval == null && d.evalFraction() > 0) {
            long held = Math.round(d.evalFraction() * train.size());
            if (held < 1 || held >= train.size()) {
                throw new ConfigException("data.eval_fraction", "eval_fraction " + d.evalFraction() + " of "
                        + train.size() + " training examples holds out " + held + "; both parts need examples:"
                        + " change eval_fraction or limit", null);
            }
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
        return new ExperimentData(train, eval, files);
    }

    private static Dataset read(ExperimentConfig.Data d, ExperimentConfig.DataFiles f, String key, Path baseDir,
            Integer limit, Map<String, Path> files) {
        if (ExperimentConfig.Data.IDX.equals(d.format())) {
            Path images = ConfigPaths.dataFile(f.images(), baseDir, key + ".images");
            Path labels = ConfigPaths.dataFile(f.labels(), baseDir, key + ".labels");
            files.put(key + ".images", images);
            files.put(key + ".labels", labels);
            String name = key.substring("data.".length()) + " " + f.images();
            return limit == null
                    ? IdxReader.read(images, labels, d.numClasses(), name)
                    : IdxReader.read(images, labels, d.numClasses(), name, limit);
        }
        Path path = ConfigPaths.dataFile(f.path(), baseDir, key + ".path");
        files.put(key + ".path", path);
        Dataset all = CsvReader.builder()
                .setPath(path)
                .optLabelColumn(d.labelColumn())
                .optNumClasses(d.numClasses())
                .optName(key.substring("data.".length()) + " " + f.path())
                .build()
                .read();
        if (limit == null || all.size() <= limit) {
            return all;
        }
        int[] first = new int[limit];
        for (int i = 0; i < limit; i++) {
            first[i] = i;
        }
        return all.subset(first);
    }

    private static Dataset filter(Dataset data, int[] classes, String key) {
        Dataset kept = data.filterClasses(classes);
        if (kept.size() == 0) {
            throw new ConfigException("data.classes", key + " has no examples of classes "
                    + java.util.Arrays.toString(classes) + "; check classes (and limit)", null);
        }
        return kept;
    }
}
