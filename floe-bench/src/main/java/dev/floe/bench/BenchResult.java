package dev.floe.bench;

import dev.floe.train.StepPhases;
import java.util.List;

/**
 * One bench's outcome. Times are medians over interleaved trials, in seconds per {@code unit}.
 * Fields that do not apply are null.
 *
 * @param id {@code B1} .. {@code B12}
 * @param title what is compared, one line
 * @param unit what one {@code seconds} value covers, e.g. {@code "optimizer step"} or {@code "whole run"}
 * @param seconds Floe's median time
 * @param limitSeconds the median time of the limit Floe is held against, or null
 * @param peer what Floe is compared with besides the limit, or null
 * @param peerSeconds the peer's median time, or null
 * @param target the bound on {@code targetOn} that counts as met, or null when there is none
 * @param targetOn which ratio the target bounds: {@code "ratio_to_limit"} or {@code "ratio_to_peer"}
 * @param met whether every target of the bench was met
 * @param notes how it was measured, and why a target was missed
 * @param memory Floe's own byte counts for the Floe arm, and the process's peak RSS during the bench
 * @param activations memory kept for the backward pass by the Floe arm and the peer, or null where
 *     the bench does not compare it
 * @param phases where the time of training steps went, per arm (empty where the bench does not
 *     split it)
 */
public record BenchResult(
        String id,
        String title,
        String unit,
        double seconds,
        Double limitSeconds,
        String peer,
        Double peerSeconds,
        Double target,
        String targetOn,
        boolean met,
        String notes,
        Memory memory,
        Activations activations,
        List<Phases> phases) {

    /**
     * Copies the phase list, so later changes to the caller's list do not reach the result; a null
     * list becomes empty.
     *
     * @param id the bench id, {@code B1} .. {@code B12}
     * @param title what is compared, one line
     * @param unit what one {@code seconds} value covers
     * @param seconds Floe's median time per {@code unit}
     * @param limitSeconds the limit's median time, or null
     * @param peer what Floe is compared with besides the limit, or null
     * @param peerSeconds the peer's median time, or null
     * @param target the bound on {@code targetOn} that counts as met, or null
     * @param targetOn {@code "ratio_to_limit"} or {@code "ratio_to_peer"}, or null without a target
     * @param met whether every target of the bench was met
     * @param notes how it was measured, and why a target was missed
     * @param memory Floe's byte counts and the process's peak RSS during the bench
     * @param activations backward-pass memory of the Floe arm and the peer, or null
     * @param phases the phase split per arm; null or empty when the bench does not split the time
     */
    public BenchResult {
        phases = phases == null ? List.of() : List.copyOf(phases);
    }

    /**
     * A result without a phase split ({@code phases} empty).
     *
     * @param id the bench id, {@code B1} .. {@code B12}
     * @param title what is compared, one line
     * @param unit what one {@code seconds} value covers
     * @param seconds Floe's median time per {@code unit}
     * @param limitSeconds the limit's median time, or null
     * @param peer what Floe is compared with besides the limit, or null
     * @param peerSeconds the peer's median time, or null
     * @param target the bound on {@code targetOn} that counts as met, or null
     * @param targetOn {@code "ratio_to_limit"} or {@code "ratio_to_peer"}, or null without a target
     * @param met whether every target of the bench was met
     * @param notes how it was measured, and why a target was missed
     * @param memory Floe's byte counts and the process's peak RSS during the bench
     * @param activations backward-pass memory of the Floe arm and the peer, or null
     */
    public BenchResult(String id, String title, String unit, double seconds, Double limitSeconds, String peer,
            Double peerSeconds, Double target, String targetOn, boolean met, String notes, Memory memory,
            Activations activations) {
        this(id, title, unit, seconds, limitSeconds, peer, peerSeconds, target, targetOn, met, notes, memory,
                activations, List.of());
    }

    /**
     * A result that does not compare activation memory ({@code activations} null) and has no
     * phase split ({@code phases} empty).
     *
     * @param id the bench id, {@code B1} .. {@code B12}
     * @param title what is compared, one line
     * @param unit what one {@code seconds} value covers
     * @param seconds Floe's median time per {@code unit}
     * @param limitSeconds the limit's median time, or null
     * @param peer what Floe is compared with besides the limit, or null
     * @param peerSeconds the peer's median time, or null
     * @param target the bound on {@code targetOn} that counts as met, or null
     * @param targetOn {@code "ratio_to_limit"} or {@code "ratio_to_peer"}, or null without a target
     * @param met whether every target of the bench was met
     * @param notes how it was measured, and why a target was missed
     * @param memory Floe's byte counts and the process's peak RSS during the bench
     */
    public BenchResult(String id, String title, String unit, double seconds, Double limitSeconds, String peer,
            Double peerSeconds, Double target, String targetOn, boolean met, String notes, Memory memory) {
        this(id, title, unit, seconds, limitSeconds, peer, peerSeconds, target, targetOn, met, notes, memory, null);
    }

    /** A copy with these phase splits. */
    BenchResult withPhases(List<Phases> split) {
        return new BenchResult(id, title, unit, seconds, limitSeconds, peer, peerSeconds, target, targetOn, met, notes,
                memory, activations, split);
    }

    /**
     * The phase split of one arm's training steps, summed over its timed rounds.
     *
     * @param arm which arm, e.g. {@code "floe"} or {@code "pytorch"}
     * @param split the times; for a peer, {@code nativeArrays} is 0 (not counted)
     */
    public record Phases(String arm, StepPhases split) {}

    /**
     * Memory kept for the backward pass.
     *
     * @param keptBytes the Floe arm's largest count of native bytes alive in a batch's scope when its
     *     forward pass ended ({@code Trainer.peakForwardBytes()})
     * @param peerKeptBytes the same count for the peer
     * @param ratio {@code keptBytes / peerKeptBytes}
     * @param target the bound on {@code ratio} that counts as met
     * @param rssGrowthMb how much the resident set grew during one step of the Floe arm, MiB (-1: unknown)
     * @param peerRssGrowthMb the same for the peer
     * @param rssRatio {@code rssGrowthMb / peerRssGrowthMb}, or null when not measurable
     */
    public record Activations(long keptBytes, long peerKeptBytes, double ratio, double target, double rssGrowthMb,
            double peerRssGrowthMb, Double rssRatio) {}

    /**
     * Memory of the Floe arm.
     *
     * @param parameterBytes fp32 bytes of every parameter and buffer of the model
     * @param gradientBytes fp32 bytes of the gradients of trainable parameters
     * @param optimizerBytes bytes of optimizer state actually held ({@code GroupedOptimizer.stateBytes()})
     * @param trainableParams scalar count of trainable parameters
     * @param peakRssMb the process's peak resident set during the bench, MiB (-1 when unknown)
     */
    public record Memory(long parameterBytes, long gradientBytes, long optimizerBytes, long trainableParams,
            double peakRssMb) {}

    /**
     * {@code seconds / limitSeconds}, or null without a limit; below 1 Floe beats the limit.
     *
     * @return the ratio, or null
     */
    public Double ratioToLimit() {
        return limitSeconds == null ? null : seconds / limitSeconds;
    }

    /**
     * {@code seconds / peerSeconds}, or null without a peer; below 1 Floe is faster than the peer.
     *
     * @return the ratio, or null
     */
    public Double ratioToPeer() {
        return peerSeconds == null ? null : seconds / peerSeconds;
    }
}
