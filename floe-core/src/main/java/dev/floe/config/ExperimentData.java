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

    /**
     * How the readers' messages name the options a config sets. There is no key for the CSV header
     * or delimiter: files must have a header line and use commas.
     */
    static final OptionNames KEYS = new OptionNames("data.label_column", null, null, null, "data.num_classes");

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
     * @throws ConfigException when a file is not found, is a folder or cannot be read (as
     *     {@link #locate}), or the selection is impossible (e.g. a class has fewer than
     *     {@code per_class} examples)
     * @throws dev.floe.data.DataFormatException when a file is damaged, naming file and position; its
     *     fixes name the config's keys ({@code data.label_column}, {@code data.num_classes})
     */
    public static ExperimentData load(ExperimentConfig config, Path baseDir) {
        ExperimentConfig.Data d = config.data();
        long seed = config.seed();
        Map<String, Path> files = locate(config, baseDir);
        Dataset train = read(d, files, "data.train", d.limit());
        Dataset eval = d.test() == null ? null : read(d, files, "data.test", null);
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

    /**
     * The data files the config names, resolved as {@link #load} resolves them, each checked to be a
     * regular file that can be opened for reading. Their contents are not read, so this is fast
     * whatever their size; a damaged file is found only by {@link #load}.
     *
     * @param baseDir the folder relative paths start from, normally the config file's folder
     * @return the files by config key ({@code data.train.images}, {@code data.test.path}, ...), in
     *     config order
     * @throws ConfigException naming the key when a file is missing, a folder or not readable
     */
    public static Map<String, Path> locate(ExperimentConfig config, Path baseDir) {
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
        Dataset all = CsvReader.builder()
                .setPath(files.get(key + ".path"))
                .optLabelColumn(d.labelColumn())
                .optNumClasses(d.numClasses())
                .optName(key.substring("data.".length()) + " " + f.path())
                .optOptionNames(KEYS)
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
