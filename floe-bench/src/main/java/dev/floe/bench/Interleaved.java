package dev.floe.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Times several arms in one process, interleaved (A, B, A, B, ...) so that drift in the machine's
 * state (frequency, other load, heap growth) hits every arm alike.
 */
final class Interleaved {

    private Interleaved() {}

    /**
     * Runs every arm {@code warmup} times untimed, then {@code trials} timed rounds in which each arm
     * runs once, in order.
     *
     * @param arms each returns the seconds it measured (so an arm may exclude its own set-up)
     * @return the median seconds per arm, in the arms' order
     */
    static double[] medians(int warmup, int trials, List<DoubleSupplier> arms) {
        for (int w = 0; w < warmup; w++) {
            for (DoubleSupplier arm : arms) {
                arm.getAsDouble();
            }
        }
        List<double[]> samples = new ArrayList<>();
        for (int i = 0; i < arms.size(); i++) {
            samples.add(new double[trials]);
        }
        for (int t = 0; t < trials; t++) {
            for (int i = 0; i < arms.size(); i++) {
                samples.get(i)[t] = arms.get(i).getAsDouble();
            }
        }
        double[] out = new double[arms.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = median(samples.get(i));
        }
        return out;
    }

    /** The median; the mean of the two middle values for an even count. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The per-pair ratios {@code a[i] / b[i]} of two arms timed in the same rounds. */
    static double[] pairRatios(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = a[i] / b[i];
        }
        return r;
    }

    /**
     * Best-of-three seconds per call of {@code loop}, which makes {@code calls} calls; one untimed
     * run first warms it up.
     */
    static double bestPerCall(Runnable loop, int calls) {
        loop.run();
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            best = Math.min(best, time(loop));
        }
        return best / calls;
    }

    /** Wall seconds taken by {@code work}. */
    static double time(Runnable work) {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }
}
