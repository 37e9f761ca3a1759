package dev.floe.sweep;

import java.util.concurrent.CompletableFuture;

/**
 * Runs the runs of a sweep somewhere: {@link LocalProcessExecutor} in child JVMs on this machine; an
 * engine for a cluster implements the same contract.
 *
 * <p>A run is an ordinary {@code floe} invocation ({@link RunSpec#trainArguments()}) that writes an
 * ordinary run folder; the executor only starts it, waits for it and says how it ended. A run that
 * crashes or is killed completes its future with a failed {@link RunResult} (never exceptionally), so
 * one run's failure does not stop the others.
 */
public interface SweepExecutor extends AutoCloseable {

    /**
     * How many runs execute at once.
     *
     * @return the number of concurrent runs, at least 1
     */
    int parallelism();

    /**
     * Queues a run; it starts when a worker is free.
     *
     * @param run the run to execute
     * @param listener told when it starts, of each output line, and when it ends
     * @return completes when the run ends, finished or failed
     */
    CompletableFuture<RunResult> submit(RunSpec run, RunListener listener);

    /** Stops runs still going and releases the workers. */
    @Override
    void close();
}
