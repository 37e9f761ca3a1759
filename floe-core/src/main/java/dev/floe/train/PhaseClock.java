package dev.floe.train;

/**
 * Splits training steps into phases with lap times: each {@link #lap} gives the time since the
 * previous lap to the phase named. The disabled clock ({@link #OFF}) does nothing and reads no
 * timer, so a trainer that does not profile pays one predictable branch per lap.
 */
final class PhaseClock {

    /** The phases of {@link StepPhases}, in its order. */
    enum Phase { DATA, FORWARD, BACKWARD, OPTIMIZER, METRICS, OTHER }

    /** A clock that records nothing. */
    static final PhaseClock OFF = new PhaseClock(false);

    private final boolean on;
    private final long[] nanos = new long[Phase.values().length];
    private long last;
    private long steps;
    private long examples;
    private long arrays;

    private PhaseClock(boolean on) {
        this.on = on;
    }

    /** A clock that records, or {@link #OFF}. */
    static PhaseClock of(boolean on) {
        return on ? new PhaseClock(true) : OFF;
    }

    boolean on() {
        return on;
    }

    /** Starts a step: time from here on is counted. */
    void start() {
        if (on) {
            last = System.nanoTime();
        }
    }

    /** Gives the time since the previous lap (or {@link #start}) to {@code phase}. */
    void lap(Phase phase) {
        if (on) {
            long now = System.nanoTime();
            nanos[phase.ordinal()] += now - last;
            last = now;
        }
    }

    /** Ends a step: the time since the last lap is {@link Phase#OTHER}. */
    void stepDone(long stepExamples) {
        if (on) {
            lap(Phase.OTHER);
            steps++;
            examples += stepExamples;
        }
    }

    /** Adds native arrays created in a batch's scope. */
    void arrays(long count) {
        if (on) {
            arrays += count;
        }
    }

    /** What was recorded since the last call, and starts over. */
    StepPhases take() {
        double[] s = new double[nanos.length];
        double total = 0;
        for (int i = 0; i < nanos.length; i++) {
            s[i] = nanos[i] / 1e9;
            total += s[i];
            nanos[i] = 0;
        }
        StepPhases p = new StepPhases(steps, examples, s[0], s[1], s[2], s[3], s[4], s[5], total, arrays);
        steps = 0;
        examples = 0;
        arrays = 0;
        return p;
    }
}
