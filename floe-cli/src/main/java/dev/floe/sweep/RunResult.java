package dev.floe.sweep;

/**
 * How a run of a sweep ended.
 *
 * @param spec the run
 * @param finished true when it exited normally with a finished run folder
 * @param exitCode the worker's exit code (0 when finished; 128 + N when killed by signal N)
 * @param error null when finished; otherwise why it failed, with the last lines the worker wrote on stderr
 * @param seconds wall time of the worker
 */
public record RunResult(RunSpec spec, boolean finished, int exitCode, String error, double seconds) {

    /** Exit codes above this mean the process was killed by signal {@code code - SIGNAL_BASE}. */
    static final int SIGNAL_BASE = 128;
    private static final int SIGKILL = 9;
    private static final int SIGABRT = 6;
    private static final int SIGTERM = 15;
    private static final int BAD_INPUT = 2;

    /**
     * What an exit code means, for a failed run's error: {@code 137} is "killed by signal 9 (SIGKILL),
     * most likely by the operating system for running out of memory".
     */
    static String describeExit(int code) {
        if (code > SIGNAL_BASE && code < SIGNAL_BASE + 64) {
            int signal = code - SIGNAL_BASE;
            return "exit " + code + ": killed by signal " + signal + switch (signal) {
                case SIGKILL -> " (SIGKILL), most likely by the operating system for running out of memory; run fewer"
                        + " --workers or give the machine more memory";
                case SIGABRT -> " (SIGABRT): the native engine aborted";
                case SIGTERM -> " (SIGTERM): it was stopped";
                default -> "";
            };
        }
        return code == BAD_INPUT ? "exit 2: the run refused its input" : "exit " + code + ": the worker failed";
    }
}
