package dev.floe.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * The entry point of a sweep's worker JVM: {@code WorkerMain MAIN_CLASS ARGS...} runs
 * {@code MAIN_CLASS.main(ARGS)} and ends this JVM as soon as its standard input reaches its end.
 *
 * <p>{@link LocalProcessExecutor} keeps each worker's standard input open and writes nothing to it,
 * so the input ends only when the sweep's JVM is gone. A sweep killed by SIGKILL runs no shutdown
 * hook that could stop its workers; without this, they would go on writing their run folders while
 * the rerun of the same sweep classifies and restarts those runs. The worker then ends as a killed
 * run does (exit {@value #PARENT_GONE}), which the rerun resumes from its last checkpoint.
 */
public final class WorkerMain {

    /** Exit code of a worker whose sweep ended: 128 + SIGTERM, as a run stopped from outside. */
    static final int PARENT_GONE = 143;

    private WorkerMain() {}

    /**
     * Watches standard input on a daemon thread, then runs the worker's main class.
     *
     * @param args the main class's name, then its arguments
     * @throws Exception what the main class throws
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: WorkerMain MAIN_CLASS ARGS...");
        }
        Thread watch = new Thread(() -> {
            waitForEnd(System.in);
            Runtime.getRuntime().halt(PARENT_GONE);
        }, "sweep-parent-watch");
        watch.setDaemon(true);
        watch.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.setAccessible(true);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    /** Returns when the stream ends or breaks; whatever it carries is ignored. */
    static void waitForEnd(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // nothing is sent; keep reading until the end
            }
        } catch (IOException e) {
            // a broken pipe: the sweep is gone as well
        }
    }
}
