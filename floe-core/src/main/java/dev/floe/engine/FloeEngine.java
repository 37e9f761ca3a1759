package dev.floe.engine;

import ai.djl.engine.Engine;
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
