package dev.floe.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.function.Consumer;

/**
 * The one place Floe touches DJL's engine registry.
 *
 * <p>Floe runs on DJL's PyTorch engine on the CPU. The engine must start without a network:
 * the libtorch binaries come from the {@code pytorch-native-cpu} jar on the class path and
 * {@code DJL_OFFLINE}/{@code ai.djl.offline} forbid any download attempt.
 *
 * <p><b>Tensors made from Java data.</b> In DJL 0.36 on the CPU, {@code PtNDManager.create(Buffer,
 * Shape, DataType)} (where every {@code NDManager.create(float[]/long[]/int[]/Number, ...)} ends)
 * copies the data into a new Java direct {@code ByteBuffer} (or takes a direct one as it is) and
 * hands its address to {@code torch::from_blob} without a deleter: the tensor's storage is that
 * Java buffer, and libtorch does not own it. The {@code PtNDArray} keeps the buffer reachable until
 * {@code close()}; after that the garbage collector may free it while libtorch can still read the
 * memory through autograd (which saves operands for the backward pass), through views
 * ({@code reshape}, slices) or through anything else that shares the storage. {@code NDArray.set(Buffer)}
 * makes the Java buffer the storage in the same way, and the {@code Number} overloads
 * ({@code mul(Number)}, {@code div(Number)}, {@code add(Number)}, ...) make such a scalar and close
 * it before they return. Memory that libtorch allocates is its own: {@code duplicate()} (a libtorch
 * {@code clone()} under a no-grad guard), {@code zeros}, {@code ones}, {@code full}, {@code arange},
 * the random creators and the results of operations; {@code set(NDIndex, NDArray)} copies into the
 * existing storage ({@code index_put_}). (Read from the DJL 0.36.0 sources: {@code PtNDManager},
 * {@code PtNDArray}, {@code JniUtils} and the JNI {@code torchFromBlob}, {@code torchSet},
 * {@code tensorClone}.) Floe therefore makes tensors from Java data through {@link #owned} and the
 * scalar operands of recorded operations through {@link #scalar}. {@code ConvGradientStressTest} (floe-core tests) is where a violation would show: it compares 200
 * backward passes bit for bit with the garbage collector running between forward and backward.
 */
public final class FloeEngine {

    /** Name of DJL's PyTorch engine. */
    public static final String ENGINE_NAME = "PyTorch";

    private FloeEngine() {}

    /**
     * Returns the PyTorch engine, starting it on first use.
     *
     * @return DJL's PyTorch engine, the same instance for the whole JVM
     * @throws IllegalStateException if the engine cannot start (for example the native jar is
     *     missing from the class path), with the cause and the fix
     */
    public static Engine get() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        try {
            return Engine.getEngine(ENGINE_NAME);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException(
                    "the PyTorch engine did not start: "
                            + e.getMessage()
                            + "; expected libtorch from ai.djl.pytorch:pytorch-native-cpu"
                            + " (classifier linux-x86_64) on the class path; run through ./floe or"
                            + " ./mvnw, which put it there",
                    e);
        }
    }

    /**
     * A copy of {@code staging} in memory that libtorch owns, in the same manager; closes
     * {@code staging}. Wrap every {@code NDManager.create} from Java data in it: {@code staging}
     * lives over a Java direct buffer (see the class comment), the copy does not, so its lifetime is
     * the tensor's own however long autograd or a view keeps it.
     *
     * @param staging a tensor made from Java data; closed by this call, do not use it afterwards
     * @return a copy in libtorch-owned memory with the same shape, dtype and manager as
     *     {@code staging}
     */
    public static NDArray owned(NDArray staging) {
        try (staging) {
            return staging.duplicate();
        }
    }

    /**
     * Staging buffers larger than this are not kept for reuse (a one-off batch of that size
     * allocates its own).
     */
    static final int MAX_KEPT_STAGING_BYTES = 64 << 20;

    /** Each thread's reusable staging buffer for {@link #ownedFloats} and {@link #ownedLongs}. */
    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

    /**
     * A float32 tensor in libtorch-owned memory, filled from Java by {@code fill}: {@code fill}
     * writes exactly {@code shape.size()} floats into the buffer it is given (a view of this
     * thread's reused direct staging buffer), which libtorch then copies once. This is what
     * {@code owned(manager.create(float[], shape))} does without a Java array and without a new direct
     * buffer (allocated and zeroed) per call: gathering a 64 × 784 batch this way took 15–25 µs
     * against 50–200 µs that way (measured in one JVM on this machine's CPU).
     *
     * @param manager the manager that owns the result
     * @param shape the result's shape
     * @param fill writes the values in row-major order; must not keep the buffer
     * @return a new float32 array in libtorch-owned memory
     * @throws IllegalStateException if {@code fill} wrote another number of values
     */
    public static NDArray ownedFloats(NDManager manager, Shape shape, Consumer<FloatBuffer> fill) {
        return staged(manager, shape, DataType.FLOAT32, ByteBuffer::asFloatBuffer, fill);
    }

    /**
     * As {@link #ownedFloats} for int64 values.
     *
     * @param manager the manager that owns the result
     * @param shape the result's shape
     * @param fill writes the values in row-major order; must not keep the buffer
     * @return a new int64 array in libtorch-owned memory
     * @throws IllegalStateException if {@code fill} wrote another number of values
     */
    public static NDArray ownedLongs(NDManager manager, Shape shape, Consumer<LongBuffer> fill) {
        return staged(manager, shape, DataType.INT64, ByteBuffer::asLongBuffer, fill);
    }

    /**
     * {@code values} as a float32 tensor of {@code shape} in libtorch-owned memory (see
     * {@link #ownedFloats}).
     *
     * @param manager the manager that owns the result
     * @param values the values in row-major order, {@code shape.size()} of them
     * @param shape the result's shape
     * @return a new float32 array in libtorch-owned memory
     * @throws IllegalStateException if {@code values} does not hold {@code shape.size()} values
     */
    public static NDArray owned(NDManager manager, float[] values, Shape shape) {
        return ownedFloats(manager, shape, b -> b.put(values));
    }

    /**
     * {@code values} as an int64 tensor of {@code shape} in libtorch-owned memory (see
     * {@link #ownedFloats}).
     *
     * @param manager the manager that owns the result
     * @param values the values in row-major order, {@code shape.size()} of them
     * @param shape the result's shape
     * @return a new int64 array in libtorch-owned memory
     * @throws IllegalStateException if {@code values} does not hold {@code shape.size()} values
     */
    public static NDArray owned(NDManager manager, long[] values, Shape shape) {
        return ownedLongs(manager, shape, b -> b.put(values));
    }

    /** {@link #ownedFloats} and {@link #ownedLongs}: {@code fill} writes through a typed view of the staging buffer. */
    private static <B extends java.nio.Buffer> NDArray staged(NDManager manager, Shape shape, DataType type,
            java.util.function.Function<ByteBuffer, B> typed, Consumer<B> fill) {
        long n = shape.size();
        ByteBuffer staging = staging(Math.multiplyExact(n, (long) type.getNumOfBytes()));
        B view = typed.apply(staging);
        fill.accept(view);
        if (view.position() != n) {
            throw new IllegalStateException("a tensor of shape " + shape + " needs " + n
                    + " values but " + view.position() + " were written");
        }
        return owned(manager.create(staging, shape, type));
    }

    /** This thread's staging buffer, cleared, at least {@code bytes} long, in native byte order. */
    private static ByteBuffer staging(long bytes) {
        if (bytes > MAX_KEPT_STAGING_BYTES) {
            return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
        }
        ByteBuffer b = STAGING.get();
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect((int) Math.min(MAX_KEPT_STAGING_BYTES, Math.max(bytes, 2 * (b == null ? 0L : b.capacity()))))
                    .order(ByteOrder.nativeOrder());
            STAGING.set(b);
        }
        b.clear();
        b.limit((int) bytes);
        return b;
    }

    /**
     * A 0-d tensor holding {@code value}, in libtorch-owned memory and in {@code like}'s manager and
     * dtype. Use it instead of DJL's {@code mul(Number)}, {@code div(Number)}, ... on anything
     * autograd records: those make the scalar over a Java direct buffer and close it at once, but
     * autograd keeps the tensor for the backward pass, which then reads memory the garbage
     * collector may already have freed (with the loss scaled by {@code mul(Number)},
     * {@code ConvGradientStressTest} gets garbage gradients in about one pass in ten).
     *
     * @param like the tensor the scalar is combined with; the scalar takes its manager, device and
     *     dtype
     * @param value the scalar's value
     * @return a 0-dimensional tensor in libtorch-owned memory, attached to {@code like}'s manager
     */
    public static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /**
     * A new root manager on the CPU; the caller owns it and must close it.
     *
     * @return a new root manager; closing it frees every array made under it
     */
    public static NDManager newManager() {
        return get().newBaseManager();
    }

    /**
     * Seeds the engine's own random generator (dropout masks, shuffles done in native code).
     *
     * @param seed the seed for libtorch's generator
     */
    public static void seed(long seed) {
        get().setRandomSeed((int) (seed ^ (seed >>> 32)));
    }

    /**
     * Number of native arrays alive in the whole engine: every root manager (models, optimizer
     * state, batches) hangs below the engine's system manager.
     *
     * @return the count of live native arrays over all managers of the engine
     */
    public static int liveArraysEverywhere() {
        try (NDManager probe = newManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    /**
     * Bytes of the native arrays alive under {@code manager} and its sub-managers (each array counted
     * at its own size, so views of one storage are counted once per view).
     *
     * @param manager the manager whose arrays are measured; it is not changed
     * @return the summed size in bytes of the live arrays under {@code manager}
     */
    public static long liveBytes(NDManager manager) {
        long bytes = 0;
        for (NDArray a : manager.getManagedArrays()) {
            bytes += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /**
     * Number of native arrays alive under the given manager and all of its sub-managers.
     *
     * @param manager the manager whose arrays are counted; it is not changed
     * @return the count of live native arrays under {@code manager}
     */
    public static int liveArrays(NDManager manager) {
        return manager.getManagedArrays().size();
    }
}
