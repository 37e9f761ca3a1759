package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Creates parameters under a path prefix while a component initialises itself.
 *
 * <p>Instances are handed to components by the graph; a component makes child scopes by name
 * ({@code scope.child("block1").child("conv1")}) and layers create their parameters in them.
 */
public final class ParamScope {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

    private final String prefix;
    private final NDManager manager;
    private final long seed;
    private final Map<String, Param> sink;
    private final Map<String, Layer> layers;

    /**
     * @param prefix path prefix without a trailing slash (a component name)
     * @param manager the model's long-lived manager that will own the arrays
     * @param seed graph seed; each parameter's generator is derived from it and the path
     * @param sink where created parameters are registered, keyed by path
     */
    public ParamScope(String prefix, NDManager manager, long seed, Map<String, Param> sink) {
        this(prefix, manager, seed, sink, new LinkedHashMap<>());
    }

    /**
     * As {@link #ParamScope(String, NDManager, long, Map)}, also registering layers in {@code layers}
     * (keyed by module path) so that they can be found later, e.g. to inject LoRA.
     */
    public ParamScope(String prefix, NDManager manager, long seed, Map<String, Param> sink, Map<String, Layer> layers) {
        this.prefix = prefix;
        this.manager = manager;
        this.seed = seed;
        this.sink = sink;
        this.layers = layers;
    }

    /** Records a layer at its module path (layers call this from their constructors). */
    public void register(Layer layer) {
        layers.put(layer.path(), layer);
    }

    /** This scope's path, e.g. {@code encoder/block1}. */
    public String path() {
        return prefix;
    }

    /** A child scope; names are letters, digits, '_', '.', '-'. */
    public ParamScope child(String name) {
        checkName(name);
        return new ParamScope(prefix + "/" + name, manager, seed, sink, layers);
    }

    /**
     * Creates and registers a parameter at {@code path()/name}.
     *
     * @throws IllegalArgumentException if the path already exists
     */
    public Param create(String name, ParamKind kind, Shape shape, Init init) {
        return create(name, kind, shape, init, null);
    }

    /**
     * Creates a parameter that belongs to the named LoRA module or adapter ({@code adapter} must be
     * non-null exactly when {@code kind.isAdapter()}).
     */
    public Param create(String name, ParamKind kind, Shape shape, Init init, String adapter) {
        checkName(name);
        String path = prefix + "/" + name;
        if (sink.containsKey(path)) {
            throw new IllegalArgumentException(
                    "parameter " + path + " is declared twice; give each child a unique name");
        }
        float[] values = new float[Math.toIntExact(shape.size())];
        init.fill(values, new SplittableRandom(seed ^ stableHash(path)));
        NDArray array = FloeEngine.owned(manager.create(values, shape));
        NDScope.unregister(array);
        Param param = new Param(path, kind, array, adapter);
        sink.put(path, param);
        return param;
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "name '" + name + "' is not allowed; use letters, digits, '_', '.' or '-'");
        }
    }

    /** FNV-1a 64 over the UTF-8 path: stable across JVMs, unlike String.hashCode mixing. */
    static long stableHash(String path) {
        long h = 0xcbf29ce484222325L;
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
