package dev.floe.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process, read from Linux's {@code /proc/self}. Native tensors live
 * outside the Java heap, so the resident set, not heap usage, is what a run costs.
 */
public final class ProcessStats {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessStats() {}

    /**
     * Peak resident set size (VmHWM) in MiB, or -1 where {@code /proc} is unavailable.
     *
     * @return the peak resident set size in MiB, or a negative value when {@code /proc} cannot be
     *     read
     */
    public static double peakRssMb() {
        return readKb("VmHWM:") / 1024.0;
    }

    /**
     * Current resident set size (VmRSS) in MiB, or -1 where {@code /proc} is unavailable.
     *
     * @return the current resident set size in MiB, or a negative value when {@code /proc} cannot
     *     be read
     */
    public static double rssMb() {
        return readKb("VmRSS:") / 1024.0;
    }

    /**
     * Resets the peak to the current resident size (Linux: writing 5 to clear_refs), so that the
     * next {@link #peakRssMb()} measures one phase.
     *
     * @return false when the kernel does not allow it (the peak then covers the whole process)
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static long readKb(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1024;
        }
        return -1024;
    }
}
