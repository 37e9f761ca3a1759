package dev.floe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.ModelGraph;
import dev.floe.io.ModelWeights;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Losses;
import dev.floe.nn.Param;
import dev.floe.optim.GradientClipping;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerState;
import dev.floe.optim.ParamGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A learning-rate range test (Smith 2017, fastai's {@code lr_find}): train for a few hundred steps
 * while the learning rate grows exponentially from {@link Settings#startLr()} to
 * {@link Settings#endLr()}, record the loss of every step, stop when the loss diverges, suggest a
 * rate, and put the model and the optimizer back exactly as they were.
 *
 * <p>The sweep uses the caller's optimizer and its groups as they are: only the parameters in its
 * groups change, and each group keeps its {@link ParamGroup#lrScale()}; the rate swept is the base
 * rate, so a group's rate at step {@code i} is {@code lr_i · lrScale}. Step {@code i} of {@code n}
 * uses {@code lr_i = startLr · (endLr / startLr)^(i / (n - 1))}.
 *
 * <p>Smoothing and stop: the smoothed loss is the bias-corrected exponential moving average
 * {@code avg_i = β avg_{i-1} + (1 - β) loss_i}, {@code smooth_i = avg_i / (1 - β^(i+1))}. The sweep
 * stops after the step whose smoothed loss exceeds {@link Settings#divergence()} times the lowest
 * smoothed loss so far, or whose loss is not finite.
 *
 * <p>The suggestion ({@link #RULE}): the rate where the smoothed loss falls fastest against
 * {@code log10(lr)} — the most negative slope {@code (smooth_{i+k} - smooth_{i-k}) / (log10 lr_{i+k} -
 * log10 lr_{i-k})}, {@code k = max(1, points / 20)}, over the points {@code i} from {@code points / 10 + k}
 * (the first tenth is left out: the moving average has not settled there, as fastai skips the start)
 * up to the lowest smoothed loss. When the loss never falls there (no negative slope), the
 * suggestion is the rate of the lowest
 * smoothed loss divided by 10 ({@link #FALLBACK_RULE}). Both numbers are in the result.
 *
 * <p>Restoring: every parameter and buffer of the graph and the optimizer's whole state (moments and
 * step counts, via {@link GroupedOptimizer#exportState()}) are copied before the first step and
 * written back after the last, also when a step throws; the results are bit-identical to before.
 * Not restored: the gradient buffers, which the optimizer leaves zeroed, and the engine's random
 * generator (dropout draws), which the sweep reseeds from {@link Batches#seed()} and leaves where
 * its last step did. Training afterwards is unaffected: {@link Trainer} seeds that generator itself
 * at the start of every epoch, so a run after a sweep gives bit-identical weights to one without.
 * Code that draws from the generator between a sweep and training should seed it first
 * ({@link FloeEngine#seed(long)}).
 */
public final class LrFinder {

    /** The rule behind {@link Result#suggestedLr()} when the loss falls somewhere before its minimum. */
    public static final String RULE =
            "steepest descent of the smoothed loss against log10(lr), after the first tenth of the sweep and before its minimum";
    /** The rule behind {@link Result#suggestedLr()} when the loss never falls. */
    public static final String FALLBACK_RULE = "rate of the lowest smoothed loss / 10 (the loss never fell)";
    /** Points per side of the central difference: {@code max(1, points / SLOPE_SPAN_DIVISOR)}. */
    private static final int SLOPE_SPAN_DIVISOR = 20;
    /** The first {@code points / SKIP_DIVISOR} points, where the moving average is unsettled, are not candidates. */
    private static final int SKIP_DIVISOR = 10;
    /** A rate a tenth of the one at the minimum: fastai's rule of thumb for a safe rate. */
    private static final double MIN_LOSS_DIVISOR = 10;

    private LrFinder() {}

    /**
     * How to sweep.
     *
     * @param startLr first base rate, finite and &gt; 0
     * @param endLr last base rate, finite and &gt; {@code startLr}
     * @param steps optimizer steps (one batch each) at most, at least 5
     * @param divergence stop once the smoothed loss exceeds this many times its lowest value; &gt; 1
     * @param smoothing β of the moving average, in [0, 1)
     */
    public record Settings(double startLr, double endLr, int steps, double divergence, double smoothing) {

        /** Default sweep: 1e-7 to 10 over 200 steps, stop at 4× the best smoothed loss, β 0.98. */
        public static final Settings DEFAULT = new Settings(1e-7, 10, 200, 4, 0.98);

        /**
         * Checks every field.
         *
         * @param startLr see the class comment
         * @param endLr see the class comment
         * @param steps see the class comment
         * @param divergence see the class comment
         * @param smoothing see the class comment
         * @throws IllegalArgumentException naming the field, its value and the allowed range
         */
        public Settings {
            if (!(startLr > 0) || Double.isInfinite(startLr)) {
                throw new IllegalArgumentException("the start learning rate must be a finite number > 0, found " + startLr);
            }
            if (!(endLr > startLr) || Double.isInfinite(endLr)) {
                throw new IllegalArgumentException("the end learning rate must be finite and above the start rate "
                        + startLr + ", found " + endLr + "; e.g. start 1e-7, end 10");
            }
            if (steps < 5) {
                throw new IllegalArgumentException("an LR sweep needs at least 5 steps, found " + steps
                        + "; a few hundred give a readable curve");
            }
            if (!(divergence > 1) || Double.isInfinite(divergence)) {
                throw new IllegalArgumentException("the divergence factor must be finite and > 1, found " + divergence);
            }
            if (!(smoothing >= 0 && smoothing < 1)) {
                throw new IllegalArgumentException("the smoothing must be in [0, 1), found " + smoothing);
            }
        }

        /**
         * The base rate of step {@code i}.
         *
         * @param i the step, from 0 to {@code steps - 1}
         * @return {@code startLr · (endLr / startLr)^(i / (steps - 1))}
         */
        public double lr(int i) {
            return startLr * Math.pow(endLr / startLr, (double) i / (steps - 1));
        }
    }

    /**
     * One step of the sweep.
     *
     * @param step its index, from 0
     * @param lr the base rate it used
     * @param loss its batch's mean loss, before the update
     * @param smoothedLoss the bias-corrected moving average up to it
     */
    public record Point(int step, double lr, double loss, double smoothedLoss) {}

    /**
     * What the sweep found.
     *
     * @param points every step taken, in order
     * @param suggestedLr the suggested base rate
     * @param rule how it was chosen: {@link #RULE} or {@link #FALLBACK_RULE}
     * @param minLossLr the rate of the lowest smoothed loss
     * @param minLossLrOver10 {@code minLossLr / 10}, the other common choice
     * @param diverged whether the sweep stopped early because the loss diverged
     * @param seconds wall time of the sweep, restoring included
     */
    public record Result(List<Point> points, double suggestedLr, String rule, double minLossLr, double minLossLrOver10,
            boolean diverged, double seconds) {

        /**
         * Copies the list.
         *
         * @param points see the class comment
         * @param suggestedLr see the class comment
         * @param rule see the class comment
         * @param minLossLr see the class comment
         * @param minLossLrOver10 see the class comment
         * @param diverged see the class comment
         * @param seconds see the class comment
         */
        public Result {
            points = List.copyOf(points);
        }
    }

    /**
     * Where the batches come from and how a step is made.
     *
     * @param train the training examples, at least one
     * @param output the graph output giving the logits {@code (B, classes)}
     * @param batchSize examples per step, &ge; 1
     * @param context the training context (e.g. {@link dev.floe.freeze.FreezePlan#trainingContext()})
     * @param clipGradNorm global gradient-norm limit before each step, 0 for none
     * @param seed seeds the shuffling of each pass over the data and the engine's generator
     */
    public record Batches(Examples train, String output, int batchSize, ForwardContext context, double clipGradNorm,
            long seed) {

        /**
         * Checks the fields.
         *
         * @param train see the class comment
         * @param output see the class comment
         * @param batchSize see the class comment
         * @param context see the class comment
         * @param clipGradNorm see the class comment
         * @param seed see the class comment
         * @throws IllegalArgumentException if the data is empty, the batch size is below 1 or the clip is negative
         */
        public Batches {
            if (train == null || train.size() == 0) {
                throw new IllegalArgumentException("an LR sweep needs training examples; the training set is empty");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
            }
            if (!(clipGradNorm >= 0)) {
                throw new IllegalArgumentException("clip_grad_norm must be >= 0, found " + clipGradNorm);
            }
        }
    }

    /**
     * Runs the sweep on {@code graph} with {@code optimizer} (whose groups say what trains), then
     * restores both (see the class comment).
     *
     * @param graph the model
     * @param optimizer the optimizer, its groups set; its state is used and then restored
     * @param batches the data and step settings
     * @param settings the sweep
     * @return the loss curve and the suggestion
     * @throws IllegalArgumentException if the optimizer has no groups or its groups hold no parameter
     */
    public static Result run(ModelGraph graph, GroupedOptimizer optimizer, Batches batches, Settings settings) {
        List<Param> trained = new ArrayList<>();
        optimizer.groups().forEach(g -> trained.addAll(g.params()));
        if (trained.isEmpty()) {
            throw new IllegalArgumentException("nothing trains: the optimizer's groups hold no parameter, so there is"
                    + " no learning rate to find; let the policy train something");
        }
        long start = System.nanoTime();
        Map<String, float[]> weights = ModelWeights.snapshot(graph);
        OptimizerState state = optimizer.exportState();
        List<Point> points = new ArrayList<>();
        boolean diverged = false;
        try {
            diverged = sweep(graph, optimizer, trained, batches, settings, points);
        } finally {
            ModelWeights.restore(graph, weights);
            optimizer.importState(state);
        }
        return suggest(points, diverged, (System.nanoTime() - start) / 1e9);
    }

    /** The steps; fills {@code points}; returns whether the loss diverged. */
    private static boolean sweep(ModelGraph graph, GroupedOptimizer optimizer, List<Param> trained, Batches b,
            Settings s, List<Point> points) {
        double baseLr = optimizer.spec().lr();
        double avg = 0;
        double best = Double.POSITIVE_INFINITY;
        int[] order = null;
        int pass = 0;
        int at = 0;
        for (int i = 0; i < s.steps(); i++) {
            if (order == null || at >= order.length) {
                FloeEngine.seed(b.seed() + pass);
                order = b.train().shuffledIndices(b.seed() + pass);
                pass++;
                at = 0;
            }
            int[] idx = Arrays.copyOfRange(order, at, Math.min(order.length, at + b.batchSize()));
            at += b.batchSize();
            double loss = backward(graph, b, idx);
            if (!Double.isFinite(loss)) {
                points.add(new Point(i, s.lr(i), loss, Double.NaN));
                optimizer.step(0); // zeroes the gradients; what else it changes is restored
                return true;
            }
            avg = s.smoothing() * avg + (1 - s.smoothing()) * loss;
            double smooth = avg / (1 - Math.pow(s.smoothing(), i + 1));
            points.add(new Point(i, s.lr(i), loss, smooth));
            if (smooth > s.divergence() * best) {
                optimizer.step(0); // zeroes the gradients; what else it changes is restored
                return true;
            }
            best = Math.min(best, smooth);
            if (b.clipGradNorm() > 0) {
                GradientClipping.clipGlobalNorm(trained, b.clipGradNorm());
            }
            optimizer.step(s.lr(i) / baseLr);
        }
        return false;
    }

    /** Forward and backward of the mean cross-entropy over one batch; returns the loss. */
    private static double backward(ModelGraph graph, Batches b, int[] idx) {
        try (NDManager batch = graph.manager().newSubManager();
                GradientCollector gc = FloeEngine.get().newGradientCollector()) {
            NDArray y = b.train().labels(batch, idx); // (B)
            NDArray logits = graph.forward(b.train().inputs(batch, idx), b.context(), List.of(b.output()))
                    .get(b.output()); // (B, classes)
            NDArray loss = Losses.crossEntropy(logits, y); // ()
            gc.backward(loss);
            return loss.getFloat();
        }
    }

    /**
     * The suggestion for a recorded curve (see the class comment), as {@link #run} makes it.
     *
     * @param points the steps, in order (the last may have a non-finite loss)
     * @param diverged whether the sweep stopped on divergence
     * @param seconds the sweep's wall time
     * @return the result
     * @throws IllegalArgumentException if there is no point with a finite smoothed loss
     */
    public static Result suggest(List<Point> points, boolean diverged, double seconds) {
        List<Point> finite = points.stream().filter(p -> Double.isFinite(p.smoothedLoss())).toList();
        if (finite.isEmpty()) {
            throw new IllegalArgumentException("the loss was not finite from the first step (" + points.get(0).loss()
                    + " at lr " + points.get(0).lr() + "); lower the start learning rate or check the data");
        }
        int min = 0;
        for (int i = 1; i < finite.size(); i++) {
            if (finite.get(i).smoothedLoss() < finite.get(min).smoothedLoss()) {
                min = i;
            }
        }
        double minLr = finite.get(min).lr();
        int k = Math.max(1, finite.size() / SLOPE_SPAN_DIVISOR);
        int steepest = -1;
        double steepestSlope = 0;
        for (int i = finite.size() / SKIP_DIVISOR + k; i <= min && i + k < finite.size(); i++) {
            Point lo = finite.get(i - k);
            Point hi = finite.get(i + k);
            double slope = (hi.smoothedLoss() - lo.smoothedLoss()) / (Math.log10(hi.lr()) - Math.log10(lo.lr()));
            if (slope < steepestSlope) {
                steepestSlope = slope;
                steepest = i;
            }
        }
        return steepest >= 0
                ? new Result(points, finite.get(steepest).lr(), RULE, minLr, minLr / MIN_LOSS_DIVISOR, diverged, seconds)
                : new Result(points, minLr / MIN_LOSS_DIVISOR, FALLBACK_RULE, minLr, minLr / MIN_LOSS_DIVISOR, diverged,
                        seconds);
    }
}
