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
    /** Whether parameters start as zeros without drawing initial values (weights are loaded next). */
    private final boolean deferred;

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
     *
     * @param prefix path prefix without a trailing slash (a component name)
     * @param manager the model's long-lived manager that will own the arrays
     * @param seed graph seed; each parameter's generator is derived from it and the path
     * @param sink where created parameters are registered, keyed by path
     * @param layers where layers are registered, keyed by module path
     */
    public ParamScope(String prefix, NDManager manager, long seed, Map<String, Param> sink, Map<String, Layer> layers) {
        this(prefix, manager, seed, sink, layers, false);
    }

    private ParamScope(String prefix, NDManager manager, long seed, Map<String, Param> sink, Map<String, Layer> layers,
            boolean deferred) {
        this.prefix = prefix;
        this.manager = manager;
        this.seed = seed;
        this.sink = sink;
        this.layers = layers;
        this.deferred = deferred;
    }

    /**
     * This scope, except that the parameters it and its children create start as zeros made in
     * native memory: no initial values are drawn. For components whose every parameter is loaded
     * right after the graph is built (pretrained imports), where drawing random values first only
     * costs time. The checks of {@link #create} still apply.
     *
     * @return a scope with the same path, manager and sinks
     */
    public ParamScope deferringInitialValues() {
        return new ParamScope(prefix, manager, seed, sink, layers, true);
    }

    /**
     * Records a layer at its module path (layers call this from their constructors).
     *
     * @param layer the layer; its path must be new
     */
    public void register(Layer layer) {
        layers.put(layer.path(), layer);
    }

    /**
     * This scope's path, e.g. {@code encoder/block1}.
     *
     * @return the path
     */
    public String path() {
        return prefix;
    }

    /**
     * A child scope; names are letters, digits, '_', '.', '-'.
     *
     * @param name the child's name
     * @return a new scope at {@code path() + "/" + name}, sharing this scope's manager and maps
     */
    public ParamScope child(String name) {
        checkName(name);
        return new ParamScope(prefix + "/" + name, manager, seed, sink, layers, deferred);
    }

    /**
     * Creates and registers a parameter at {@code path()/name}.
     *
     * @param name the parameter's name within this scope
     * @param kind what the parameter is for
     * @param shape its shape; every dimension at least 1
     * @param init how its values start; drawn from a generator seeded by the graph seed and the
     *     path
     * @return the parameter, registered in the sink and owned by the manager
     * @throws IllegalArgumentException if the path already exists, or, before anything is
     *     allocated, if the shape has a dimension below 1, more than {@link #MAX_VALUES} values, more
     *     bytes than the Java heap has free, or would take its component past this machine's memory;
     *     the size messages start with {@code parameter PATH}
     */
    public Param create(String name, ParamKind kind, Shape shape, Init init) {
        return create(name, kind, shape, init, null);
    }

    /**
     * Creates a parameter that belongs to the named LoRA module or adapter ({@code adapter} must be
     * non-null exactly when {@code kind.isAdapter()}).
     *
     * @param name the parameter's name within this scope
     * @param kind what the parameter is for
     * @param shape its shape
     * @param init how its values start
     * @param adapter the module name, or null for a base parameter
     * @return the parameter, registered in the sink and owned by the manager
     */
    public Param create(String name, ParamKind kind, Shape shape, Init init, String adapter) {
        checkName(name);
        String path = prefix + "/" + name;
        if (sink.containsKey(path)) {
            throw new IllegalArgumentException(
                    "parameter " + path + " is declared twice; give each child a unique name");
        }
        int count = checkedCount(path, shape, sink);
        NDArray array;
        if (deferred) {
            array = manager.zeros(shape); // libtorch-owned already; the values are loaded next
        } else {
            float[] values = new float[count];
            init.fill(values, new SplittableRandom(seed ^ stableHash(path)));
            array = FloeEngine.owned(manager.create(values, shape));
        }
        NDScope.unregister(array);
        Param param = new Param(path, kind, array, adapter);
        sink.put(path, param);
        return param;
    }

    /**
     * The most values one parameter can hold: its initial values are made in one Java array, and
     * Java arrays stop just short of 2^31 elements.
     */
    public static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    private static final long BYTES_PER_VALUE = Float.BYTES;

    /**
     * The number of values of {@code shape}, after checking that the parameter can be made: every
     * dimension at least 1, at most {@link #MAX_VALUES} values, its bytes free on the Java heap
     * (for the initial values) and the parameters of this scope's component within the machine's
     * memory (for the native copies). Checked before anything is allocated, so a typo such as a width of 2^40 is refused
     * with a message instead of failing deep in the allocator.
     */
    private static int checkedCount(String path, Shape shape, Map<String, Param> existing) {
        long[] dims = shape.getShape();
        long count = 1;
        boolean overflow = false;
        for (long d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("parameter " + path + " would have shape " + shape
                        + ", with a dimension below 1; every size must be a positive integer");
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                overflow = true;
            }
        }
        if (overflow || count > MAX_VALUES) {
            throw new IllegalArgumentException("parameter " + path + " would have shape " + shape + ", "
                    + (overflow ? "more than 2^63" : Long.toString(count)) + " values ("
                    + (overflow ? "far beyond any memory" : bytes(count * BYTES_PER_VALUE) + " as fp32")
                    + "), but one parameter holds at most " + MAX_VALUES + " values; lower the sizes that"
                    + " make this shape");
        }
        long bytes = count * BYTES_PER_VALUE;
        Runtime rt = Runtime.getRuntime();
        long heapFree = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > heapFree) {
            throw new IllegalArgumentException("parameter " + path + " would have shape " + shape + ", " + count
                    + " values (" + bytes(bytes) + " as fp32), more than the " + bytes(Math.max(0, heapFree))
                    + " the Java heap has free for its initial values; lower the sizes that make this shape,"
                    + " or give Java more memory (-Xmx)");
        }
        long modelBytes = bytes;
        for (Param p : existing.values()) {
            modelBytes += p.size() * BYTES_PER_VALUE;
        }
        long machine = machineMemory();
        if (machine > 0 && modelBytes > machine) {
            throw new IllegalArgumentException("parameter " + path + " would have shape " + shape + " and bring"
                    + " its component's parameters to " + bytes(modelBytes) + ", more than this machine's "
                    + bytes(machine) + " of memory; lower the component's sizes");
        }
        return (int) count;
    }

    /** Physical memory in bytes, or 0 when the JVM does not say. */
    private static long machineMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    /** {@code 1.5 GiB}, {@code 512 B}. */
    private static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
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
