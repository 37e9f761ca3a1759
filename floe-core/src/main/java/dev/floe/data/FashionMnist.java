package dev.floe.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Fashion-MNIST subset bundled in a Floe checkout under {@code datasets/fashion-mnist}: the
 * first {@value #TRAIN_SIZE} training and first {@value #TEST_SIZE} test images of Fashion-MNIST
 * (Zalando SE, MIT licence), 28x28 grayscale, feature shape {@code {1, 28, 28}}, pixels in [0, 1],
 * {@value #NUM_CLASSES} classes named by {@link #CLASS_NAMES}. Its README gives the per-class counts.
 */
public final class FashionMnist {

    /** System property naming the {@code datasets/} folder; checked first. */
    public static final String DATASETS_PROPERTY = "floe.datasets";
    /** Environment variable naming the {@code datasets/} folder; checked when the property is unset. */
    public static final String DATASETS_ENV = "FLOE_DATASETS";
    /** Sub-folder of {@code datasets/} holding the IDX files. */
    public static final String FOLDER = "fashion-mnist";
    /** Number of classes (clothing categories). */
    public static final int NUM_CLASSES = 10;
    /** Number of examples in the bundled training subset. */
    public static final int TRAIN_SIZE = 12000;
    /** Number of examples in the bundled test subset. */
    public static final int TEST_SIZE = 3000;
    /** Class names by label, 0 to 9. */
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {}

    /**
     * The {@value #TRAIN_SIZE} training examples.
     *
     * @return the training set: 28×28 grey images as floats in [0, 1], {@value #NUM_CLASSES}
     *     classes
     * @param datasetsDir the {@code datasets/} folder, e.g. from {@link #locateDatasets()}
     * @throws IllegalArgumentException if {@code datasetsDir} has no {@value #FOLDER} folder
     * @throws DataFormatException if a bundled file is damaged
     */
    public static Dataset train(Path datasetsDir) {
        return load(datasetsDir, "train");
    }

    /**
     * The {@value #TEST_SIZE} test examples; otherwise as {@link #train(Path)}.
     *
     * @param datasetsDir the {@code datasets/} folder
     * @return the test set, shaped as {@link #train(Path)}'s
     */
    public static Dataset test(Path datasetsDir) {
        return load(datasetsDir, "test");
    }

    private static Dataset load(Path datasetsDir, String split) {
        Path dir = datasetsDir.resolve(FOLDER);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no " + FOLDER + " folder in " + datasetsDir.toAbsolutePath()
                    + "; pass the datasets/ folder of a Floe checkout, e.g. FashionMnist.locateDatasets()");
        }
        return IdxReader.read(dir.resolve(split + "-images-idx3-ubyte.gz"), dir.resolve(split + "-labels-idx1-ubyte.gz"),
                NUM_CLASSES, FOLDER + "/" + split);
    }

    /**
     * Finds the {@code datasets/} folder: the system property {@value #DATASETS_PROPERTY} if set,
     * else the environment variable {@value #DATASETS_ENV} if set, else the first
     * {@code datasets/} folder holding {@value #FOLDER} found walking up from the working directory.
     *
     * @return the absolute, normalized folder
     * @throws IllegalStateException if the chosen setting points elsewhere or nothing is found;
     *     the message lists what was tried
     */
    public static Path locateDatasets() {
        return locateDatasets(System.getProperty(DATASETS_PROPERTY), System.getenv(DATASETS_ENV),
                Path.of(System.getProperty("user.dir")));
    }

    /** {@link #locateDatasets()} with its inputs given; {@code property} and {@code env} may be null. */
    static Path locateDatasets(String property, String env, Path workingDir) {
        if (property != null && !property.isBlank()) {
            return checked(Path.of(property), "system property " + DATASETS_PROPERTY + "=" + property);
        }
        if (env != null && !env.isBlank()) {
            return checked(Path.of(env), "environment variable " + DATASETS_ENV + "=" + env);
        }
        Path start = workingDir.toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("datasets").resolve(FOLDER))) {
                return dir.resolve("datasets");
            }
        }
        throw new IllegalStateException("cannot find datasets/" + FOLDER + ": system property " + DATASETS_PROPERTY
                + " and environment variable " + DATASETS_ENV + " are unset, and no datasets/" + FOLDER
                + " exists in " + start + " or any parent; run inside a Floe checkout, or set -D"
                + DATASETS_PROPERTY + "=/path/to/floe/datasets or " + DATASETS_ENV + "=/path/to/floe/datasets");
    }

    private static Path checked(Path datasets, String source) {
        Path dir = datasets.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir.resolve(FOLDER))) {
            throw new IllegalStateException(source + " but " + dir.resolve(FOLDER) + " is not a directory;"
                    + " point it at the datasets/ folder of a Floe checkout, the one holding " + FOLDER + "/");
        }
        return dir;
    }
}
