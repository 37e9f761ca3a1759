package dev.floe.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The one place Floe touches DJL's engine registry.
 *
 * <p>Floe runs on DJL's PyTorch engine on the CPU. The engine must start without a network:
 * the libtorch binaries come from the {@code pytorch-native-cpu} jar on the class path and
 * {@code DJL_OFFLINE}/{@code ai.djl.offline} forbid any download attempt.
 */
public final class FloeEngine {

    /** Name of DJL's PyTorch engine. */
    public static final String ENGINE_NAME = "PyTorch";

    private FloeEngine() {}

    /**
     * Returns the PyTorch engine, starting it on first use.
     *
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
     * {@code staging}.
     *
     * <p>On the CPU, {@code NDManager.create} from Java data makes a tensor over a Java direct buffer
     * (no copy) that is freed only when the garbage collector reclaims the Java array object. Use
     * this for arrays that must outlive their Java owner (parameters, optimizer state). It was tried
     * for batch inputs against the open convolution-gradient bug and did not cure it; batch inputs
     * live in their batch's manager until the batch ends, so they do not need it.
     */
    public static NDArray owned(NDArray staging) {
        try (staging) {
            return staging.duplicate();
        }
    }

    /**
     * A 0-d tensor holding {@code value}, in libtorch-owned memory and in {@code like}'s manager and
     * dtype. Use it instead of DJL's {@code mul(Number)}, {@code div(Number)}, ... on anything
     * autograd records: those make the scalar over a Java direct buffer and close it at once, but
     * autograd keeps the tensor for the backward pass, which then reads memory the garbage
     * collector may already have freed (we saw NaN gradients in about one run in five).
     */
    public static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new ai.djl.ndarray.types.Shape(), value, like.getDataType());
    }

    /** A new root manager on the CPU; the caller owns it and must close it. */
    public static NDManager newManager() {
        return get().newBaseManager();
    }

    /** Seeds the engine's own random generator (dropout masks, shuffles done in native code). */
    public static void seed(long seed) {
        get().setRandomSeed((int) (seed ^ (seed >>> 32)));
    }

    /**
     * Number of native arrays alive in the whole engine: every root manager (models, optimizer
     * state, batches) hangs below the engine's system manager.
     */
    public static int liveArraysEverywhere() {
        try (NDManager probe = newManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    /** Number of native arrays alive under the given manager and all of its sub-managers. */
    public static int liveArrays(NDManager manager) {
        return manager.getManagedArrays().size();
    }
}
