package dev.floe.io;

import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Saves and loads a graph's parameters as safetensors, keyed by parameter path.
 *
 * <p>Loading checks every tensor's name, dtype and shape against the graph before it writes any
 * value, so a bad file leaves the model untouched; values are written in place, so optimizers
 * holding the parameters keep working.
 */
public final class ModelWeights {

    /** Metadata key recording the file format version. */
    public static final String FORMAT_KEY = "floe.format";
    /** Current format version. */
    public static final String FORMAT = "floe-weights/1";

    private ModelWeights() {}

    /**
     * A copy of every parameter's values (buffers included), by path, in memory.
     *
     * @param graph the graph to read; its arrays are not changed
     * @return a new map from parameter path to its values, row-major
     */
    public static Map<String, float[]> snapshot(ModelGraph graph) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Param p : graph.parameters().values()) {
            values.put(p.path(), p.toFloatArray());
        }
        return values;
    }

    /**
     * Writes a {@link #snapshot} back in place; parameters missing from it are left as they are.
     *
     * @param graph the graph whose parameters are overwritten
     * @param values values by parameter path, as {@link #snapshot} returns them; each must have the
     *     parameter's element count
     */
    public static void restore(ModelGraph graph, Map<String, float[]> values) {
        for (Param p : graph.parameters().values()) {
            float[] v = values.get(p.path());
            if (v != null) {
                p.load(v, p.shape().getShape());
            }
        }
    }

    /**
     * Writes all parameters (buffers included), atomically, with {@code metadata} plus the format
     * version.
     *
     * @param graph the graph to save
     * @param file the safetensors file to write; replaced if it exists
     * @param metadata string metadata stored in the file's header
     * @throws IOException if the file cannot be written; an existing file is then unchanged
     */
    public static void save(ModelGraph graph, Path file, Map<String, String> metadata) throws IOException {
        save(graph, file, metadata, "");
    }

    /**
     * Writes the parameters whose path starts with {@code prefix} (e.g. {@code encoder/}), atomically.
     *
     * @param graph the graph to save
     * @param file the safetensors file to write; replaced if it exists
     * @param metadata string metadata stored in the file's header
     * @param prefix the path prefix that selects parameters; the empty string selects all
     * @throws IOException if the file cannot be written; an existing file is then unchanged
     */
    public static void save(ModelGraph graph, Path file, Map<String, String> metadata, String prefix) throws IOException {
        prefix = asPrefix(prefix);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Param p : graph.parameters().values()) {
            if (p.path().startsWith(prefix)) {
                tensors.put(p.path(), TensorData.ofFloats(p.shape().getShape(), p.toFloatArray()));
            }
        }
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException(
                    "no parameter path starts with '" + prefix + "'; components are "
                            + graph.components().stream().map(c -> c.name() + "/").toList());
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(FORMAT_KEY, FORMAT);
        Safetensors.write(file, tensors, meta);
    }

    /** {@code encoder} and {@code encoder/} both mean "the parameters of component encoder". */
    private static String asPrefix(String prefix) {
        return prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    }

    /**
     * Loads every parameter of the graph from {@code file}; the file must hold exactly those
     * tensors.
     *
     * @param graph the graph whose parameters are overwritten
     * @param file the safetensors file to read
     * @return the file's metadata
     * @throws IOException if the file cannot be read
     */
    public static Map<String, String> load(ModelGraph graph, Path file) throws IOException {
        return load(graph, file, "");
    }

    /**
     * Loads the parameters under {@code prefix} (all of them, and nothing else may be in the file).
     *
     * @param graph the graph whose parameters are overwritten
     * @param file the safetensors file to read
     * @param prefix the path prefix that selects the parameters to load, e.g. {@code encoder/}
     * @throws IOException if the file cannot be read
     * @return the file's metadata
     * @throws IllegalArgumentException naming the tensor when one is missing, unexpected, of the
     *     wrong dtype or of the wrong shape; nothing is loaded then
     */
    public static Map<String, String> load(ModelGraph graph, Path file, String prefix) throws IOException {
        prefix = asPrefix(prefix);
        SafetensorsFile f = Safetensors.read(file);
        List<Param> targets = new ArrayList<>();
        for (Param p : graph.parameters().values()) {
            if (p.path().startsWith(prefix)) {
                targets.add(p);
            }
        }
        List<String> problems = new ArrayList<>();
        TreeSet<String> unexpected = new TreeSet<>(f.tensors().keySet());
        for (Param p : targets) {
            unexpected.remove(p.path());
            TensorData t = f.tensors().get(p.path());
            if (t == null) {
                problems.add("tensor " + p.path() + " " + Arrays.toString(p.shape().getShape()) + " is missing");
            } else if (t.dtype() != DType.F32) {
                problems.add("tensor " + p.path() + " is " + t.dtype() + " but the model expects F32");
            } else if (!Arrays.equals(t.shape(), p.shape().getShape())) {
                problems.add("tensor " + p.path() + " has shape " + Arrays.toString(t.shape())
                        + " in the file but the model expects " + Arrays.toString(p.shape().getShape()));
            }
        }
        for (String name : unexpected) {
            problems.add("tensor " + name + " is in the file but not in the model"
                    + (prefix.isEmpty() ? "" : " under " + prefix));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "cannot load " + file + ": " + String.join("; ", problems)
                            + "; nothing was loaded — the file was written for a different architecture: check the"
                            + " component sizes and names, or load a file made for this model");
        }
        for (Param p : targets) {
            TensorData t = f.tensors().get(p.path());
            p.load(t.toFloats(), t.shape());
        }
        return f.metadata();
    }
}
