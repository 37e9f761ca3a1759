package dev.floe.sweep;

/** What a running sweep reports while its runs go; every method may be called from worker threads. */
public interface RunListener {

    /** Ignores everything. */
    RunListener NONE = new RunListener() { };

    /**
     * A run's worker started.
     *
     * @param run the run
     */
    default void started(RunSpec run) {}

    /**
     * A line the run wrote on its standard output (e.g. {@code epoch 3/10  train loss ...}).
     *
     * @param run the run
     * @param line the line, without its line break
     */
    default void output(RunSpec run, String line) {}

    /**
     * A run ended.
     *
     * @param result how the run ended
     */
    default void ended(RunResult result) {}
}
