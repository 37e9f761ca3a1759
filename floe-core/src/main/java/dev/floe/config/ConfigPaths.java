package dev.floe.config;

import dev.floe.data.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the files a config names are: relative paths start at the config file's folder; data files
 * not found there are looked up in the {@code datasets/} folder of the checkout
 * ({@link FashionMnist#locateDatasets()}).
 */
public final class ConfigPaths {

    private ConfigPaths() {}

    /**
     * A data file: absolute as given; relative against {@code baseDir}, else against the datasets folder.
     *
     * @param file the path as written in the config
     * @param baseDir the config file's folder
     * @return the existing file
     * @param key the config key, e.g. {@code data.train.images}, for the message
     * @throws ConfigException listing every place tried when the file exists in none
     */
    public static Path dataFile(String file, Path baseDir, String key) {
        Path given = Path.of(file);
        List<Path> tried = new ArrayList<>();
        Path first = given.isAbsolute() ? given : baseDir.resolve(given);
        if (Files.isRegularFile(first)) {
            return first.normalize();
        }
        requireNotFolder(first, file, key);
        tried.add(first.toAbsolutePath().normalize());
        String datasetsProblem = null;
        if (!given.isAbsolute()) {
            try {
                Path candidate = FashionMnist.locateDatasets().resolve(given);
                if (Files.isRegularFile(candidate)) {
                    return candidate.normalize();
                }
                tried.add(candidate.normalize());
            } catch (IllegalStateException noDatasets) {
                datasetsProblem = noDatasets.getMessage();
            }
        }
        throw new ConfigException(key, "file '" + file + "' not found; tried " + join(tried)
                + (datasetsProblem == null ? "" : " (no datasets folder: " + datasetsProblem + ")")
                + "; relative data paths are resolved against the config file's folder, then the datasets folder;"
                + " fix the path", null);
    }

    /**
     * A file relative to the config's folder only (weights to load).
     *
     * @param file the path as written in the config
     * @param baseDir the config file's folder
     * @param key the config key, for the message
     * @return the existing file
     * @throws ConfigException when it does not exist
     */
    public static Path configFile(String file, Path baseDir, String key) {
        Path given = Path.of(file);
        Path path = (given.isAbsolute() ? given : baseDir.resolve(given)).normalize();
        requireNotFolder(path, file, key);
        if (!Files.isRegularFile(path)) {
            throw new ConfigException(key, "file '" + file + "' not found; tried " + path.toAbsolutePath()
                    + "; relative paths are resolved against the config file's folder; fix the path", null);
        }
        return path;
    }

    /** A folder where a file is expected is its own mistake, not "not found". */
    private static void requireNotFolder(Path path, String file, String key) {
        if (Files.isDirectory(path)) {
            throw new ConfigException(key, "'" + file + "' is a folder (" + path.toAbsolutePath().normalize()
                    + "); expected a file: name the file inside it", null);
        }
    }

    private static String join(List<Path> paths) {
        List<String> names = new ArrayList<>();
        paths.forEach(p -> names.add(p.toString()));
        return String.join(" and ", names);
    }
}
