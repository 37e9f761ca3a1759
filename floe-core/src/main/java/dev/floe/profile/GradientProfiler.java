package dev.floe.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Losses;
import dev.floe.nn.Param;
import dev.floe.optim.GradientClipping;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.LrSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a few training steps of one {@link FreezePlan} with every parameter receiving gradients and
 * measures, per declared layer, how the loss gradient flows (see {@link LayerProfile}).
 *
 * <p>Frozen parameters are measured, not updated: their gradients are computed and read, then
 * zeroed; the optimizer holds and steps only the plan's trainable parameters (with the plan's
 * groups, learning-rate scales and weight decay, the given schedule and gradient clipping of the
 * trainable ones), so frozen weights stay bit-identical. Modules run in the plan's training context
 * (frozen BatchNorm keeps its statistics), as in training. The profiled steps change the trainable
 * weights; profile a graph you can throw away or reload. When it returns, gradient tracking is as
 * the plan sets it.
 *
 * <p>How: components are run one by one and every declared layer boundary a component marks
 * ({@link dev.floe.nn.ForwardContext#layerOutput}) is cut into a new leaf, so the backward pass can
 * run layer by layer from the loss down (each piece fed the gradient its successor computed). That
 * gives the gradient at every boundary and the backward time of every layer; the gradients of the
 * parameters are the same as one backward pass would give. Forward time is wall time between
 * boundaries; activation memory is the bytes of the arrays a layer's forward creates in the step's
 * scope. Components that mark no boundaries are measured as their last declared layer (or as
 * themselves without a layer order). Not thread-safe; one gradient collector per JVM at a time.
 *
 * <pre>{@code
 * Profile profile = GradientProfiler.builder()
 *         .plan(experiment.plan()).optimizer(experiment.optimizer())
 *         .batchSize(10).steps(50).seed(42).build()
 *         .run(Examples.of(data.train(), "image"));
 * FreezeAdvice advice = FreezeAdvice.of(profile);
 * }</pre>
 */
public final class GradientProfiler {

    /** GELU inputs below this are in its flat tail: GELU'(−3) ≈ −0.012. */
    public static final double GELU_TAIL = -3.0;
    private static final double NANOS_PER_MILLI = 1e6;

    private final FreezePlan plan;
    private final OptimizerSpec spec;
    private final int steps;
    private final int batchSize;
    private final long seed;
    private final double clipNorm;
    private final LrSchedule lr;
    private final String output;

    private GradientProfiler(Builder b) {
        this.plan = b.plan;
        this.spec = b.optimizer;
        this.steps = b.steps;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.clipNorm = b.clipNorm;
        this.lr = b.lr;
        this.output = b.output;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Profiles {@link Builder#steps} optimizer steps on shuffled batches of {@code train} (cycling
     * through it as often as needed).
     *
     * @param train the training examples
     * @return the per-layer gradient, update and time statistics
     * @throws IllegalArgumentException when the graph has several outputs and none was named, the
     *     output is unknown, or the data has more classes than the output
     */
    public Profile run(Examples train) {
        ModelGraph graph = plan.graph();
        String out = output != null ? output : single(graph.outputs().keySet());
        ModelGraph.Endpoint source = graph.outputs().get(out);
        if (source == null) {
            throw new IllegalArgumentException("no graph output named '" + out + "'; outputs are " + graph.outputs().keySet());
        }
        long classes = graph.component(source.component()).output(source.port()).spec().lastSize().orElse(-1L);
        if (classes > 0 && train.numClasses() > classes) {
            throw new IllegalArgumentException("data set " + train.name() + " has " + train.numClasses()
                    + " classes but output " + out + " has " + classes + "; give the head " + train.numClasses()
                    + " classes");
        }
        Layers layers = Layers.of(graph, plan);
        List<Component> order = needed(graph, source.component());
        Tally tally = new Tally(layers, steps);
        FloeEngine.seed(seed);
        try (GroupedOptimizer optimizer = GroupedOptimizer.of(spec)) {
            plan.apply();
            optimizer.setGroups(plan.groups(spec));
            for (Param p : graph.parameters().values()) {
                if (!p.kind().isBuffer()) {
                    p.setTrainable(true); // measured; the optimizer only holds the plan's trainable ones
                }
            }
            int[] shuffled = train.shuffledIndices(seed);
            int cursor = 0;
            int epoch = 0;
            for (int s = 0; s < steps; s++) {
                if (cursor >= shuffled.length) {
                    epoch++;
                    shuffled = train.shuffledIndices(seed + epoch);
                    cursor = 0;
                }
                int[] idx = Arrays.copyOfRange(shuffled, cursor, Math.min(shuffled.length, cursor + batchSize));
                cursor += idx.length;
                step(s, graph, order, source, train, idx, layers, tally, optimizer);
            }
        } finally {
            plan.apply();
        }
        return tally.profile(steps, batchSize, spec);
    }

    private void step(int s, ModelGraph graph, List<Component> order, ModelGraph.Endpoint source, Examples data,
            int[] idx, Layers layers, Tally tally, GroupedOptimizer optimizer) {
        try (NDManager batch = graph.manager().newSubManager()) {
            Probe probe = new Probe(plan.trainingContext(), layers, batch);
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                Map<String, NDArray> env = new LinkedHashMap<>(data.inputs(batch, idx));
                NDArray y = data.labels(batch, idx); // (B)
                for (Component c : order) {
                    Map<String, NDArray> args = new LinkedHashMap<>();
                    for (ModelGraph.Wire w : graph.wires()) {
                        if (w.to().component().equals(c.name())) {
                            args.put(w.to().port(), env.get(w.from().toString()));
                        }
                    }
                    probe.begin(c, args.values());
                    Map<String, NDArray> produced = c.forward(probe, args);
                    probe.end(c, produced, env);
                }
                NDArray logits = env.get(source.toString()); // (B, classes)
                NDArray loss = Losses.crossEntropy(logits, y); // ()
                tally.loss[s] = loss.getFloat();
                gc.backward(loss);
                probe.backward();
            }
            probe.record(s, tally);
            readGradients(s, layers, tally);
            if (clipNorm > 0) {
                GradientClipping.clipGlobalNorm(plan.trainable(), clipNorm);
            }
            Map<String, NDArray> before = new LinkedHashMap<>();
            for (Param p : plan.trainable()) {
                before.put(p.path(), p.array().duplicate());
            }
            try {
                optimizer.step(lr.factor(s, steps));
                updateRatios(s, layers, tally, before);
            } finally {
                before.values().forEach(NDArray::close);
            }
        }
    }

    /** Gradient norm per layer; then zeroes the gradients of parameters the optimizer does not hold. */
    private void readGradients(int s, Layers layers, Tally tally) {
        double[] squares = new double[layers.size()];
        for (Map.Entry<Param, Integer> e : layers.paramLayer().entrySet()) {
            PtNDArray grad = JniUtils.getGradient((PtNDArray) e.getKey().array());
            if (grad == null) {
                continue;
            }
            try (grad; NDArray sq = grad.square(); NDArray sum = sq.sum()) {
                squares[e.getValue()] += sum.getFloat();
            }
            if (!plan.entry(e.getKey().path()).trains()) {
                JniUtils.zeroGrad((PtNDArray) e.getKey().array());
            }
        }
        for (int i = 0; i < squares.length; i++) {
            tally.gradNorm[i][s] = Math.sqrt(squares[i]);
        }
    }

    private void updateRatios(int s, Layers layers, Tally tally, Map<String, NDArray> before) {
        double[] delta = new double[layers.size()];
        double[] weight = new double[layers.size()];
        for (Param p : plan.trainable()) {
            Integer layer = layers.paramLayer().get(p);
            if (layer == null) {
                continue;
            }
            NDArray old = before.get(p.path());
            try (NDArray d = p.array().sub(old); NDArray d2 = d.square(); NDArray ds = d2.sum();
                    NDArray w2 = old.square(); NDArray ws = w2.sum()) {
                delta[layer] += ds.getFloat();
                weight[layer] += ws.getFloat();
            }
        }
        for (int i = 0; i < delta.length; i++) {
            tally.updateRatio[i][s] = weight[i] == 0 ? 0 : Math.sqrt(delta[i] / weight[i]);
        }
    }

    /** The components {@code last} depends on, and itself, in execution order. */
    private static List<Component> needed(ModelGraph graph, String last) {
        Set<String> needed = new HashSet<>();
        List<String> todo = new ArrayList<>(List.of(last));
        while (!todo.isEmpty()) {
            String c = todo.remove(todo.size() - 1);
            if (needed.add(c)) {
                for (ModelGraph.Wire w : graph.wires()) {
                    if (w.to().component().equals(c) && !w.from().isGraphInput()) {
                        todo.add(w.from().component());
                    }
                }
            }
        }
        return graph.components().stream().filter(c -> needed.contains(c.name())).toList();
    }

    private static String single(Set<String> names) {
        if (names.size() != 1) {
            throw new IllegalArgumentException("the graph has outputs " + names + "; name the output to profile");
        }
        return names.iterator().next();
    }

    /** Per-step measurements, filled by the steps. */
    static final class Tally {
        final Layers layers;
        final double[] loss;
        final double[][] gradNorm;
        final double[][] gradIn;
        final double[][] gradOut;
        final double[][] updateRatio;
        final double[][] forwardNanos;
        final double[][] backwardNanos;
        final double[][] bytes;
        final boolean[] hasGradIn;
        final long[] reluDead;
        final long[] reluTotal;
        final long[] geluTail;
        final long[] geluTotal;

        Tally(Layers layers, int steps) {
            this.layers = layers;
            int n = layers.size();
            loss = new double[steps];
            gradNorm = new double[n][steps];
            gradIn = new double[n][steps];
            gradOut = new double[n][steps];
            updateRatio = new double[n][steps];
            forwardNanos = new double[n][steps];
            backwardNanos = new double[n][steps];
            bytes = new double[n][steps];
            hasGradIn = new boolean[n];
            reluDead = new long[n];
            reluTotal = new long[n];
            geluTail = new long[n];
            geluTotal = new long[n];
        }

        Profile profile(int steps, int batchSize, OptimizerSpec spec) {
            List<LayerProfile> out = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                Layers.Info info = layers.info(i);
                out.add(new LayerProfile(info.path(), info.component(), info.state(), info.params(),
                        info.trainableParams(), info.lrScale(), info.weightRms(), Series.of(gradNorm[i]),
                        hasGradIn[i] ? Series.of(gradIn[i]) : null, Series.of(gradOut[i]),
                        info.trainableParams() > 0 ? Series.of(updateRatio[i]) : null,
                        reluTotal[i] == 0 ? null : (double) reluDead[i] / reluTotal[i],
                        geluTotal[i] == 0 ? null : (double) geluTail[i] / geluTotal[i],
                        afterFirst(forwardNanos[i]) / NANOS_PER_MILLI, afterFirst(backwardNanos[i]) / NANOS_PER_MILLI,
                        afterFirst(bytes[i])));
            }
            List<ComponentProfile> comps = new ArrayList<>();
            for (String c : layers.components()) {
                List<LayerProfile> of = out.stream().filter(l -> l.component().equals(c)).toList();
                double[] norm = new double[steps];
                for (int i = 0; i < layers.size(); i++) {
                    if (layers.info(i).component().equals(c)) {
                        for (int s = 0; s < steps; s++) {
                            norm[s] += gradNorm[i][s] * gradNorm[i][s];
                        }
                    }
                }
                comps.add(new ComponentProfile(c, of.stream().mapToLong(LayerProfile::params).sum(),
                        of.stream().mapToLong(LayerProfile::trainableParams).sum(),
                        Arrays.stream(norm).map(Math::sqrt).average().orElse(0),
                        of.stream().mapToDouble(LayerProfile::forwardMillis).sum(),
                        of.stream().mapToDouble(LayerProfile::backwardMillis).sum(),
                        of.stream().mapToDouble(LayerProfile::activationBytes).sum()));
            }
            return new Profile(steps, batchSize, spec.name(), spec.lr(), Series.of(loss), out, comps);
        }

        /** Mean of the steps after the first (whose timings include one-off allocation), or of the only one. */
        private static double afterFirst(double[] v) {
            return v.length == 1 ? v[0] : Arrays.stream(v, 1, v.length).average().orElse(0);
        }
    }

    /** Builder: {@code plan} and {@code optimizer} are required. */
    public static final class Builder {
        private FreezePlan plan;
        private OptimizerSpec optimizer;
        private int steps = 50;
        private int batchSize = 64;
        private long seed;
        private double clipNorm;
        private LrSchedule lr = new LrSchedule.Constant();
        private String output;

        private Builder() {}

        /**
         * The plan to profile (required); its graph is the model.
         *
         * @param plan the resolved plan
         * @return this builder
         */
        public Builder plan(FreezePlan plan) {
            this.plan = plan;
            return this;
        }

        /**
         * The optimizer (required).
         *
         * @param optimizer the optimizer spec
         * @return this builder
         */
        public Builder optimizer(OptimizerSpec optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /**
         * Optimizer steps to profile (default 50).
         *
         * @param steps the number of steps, at least 1
         * @return this builder
         */
        public Builder steps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Examples per step (default 64).
         *
         * @param batchSize examples per step, at least 1
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Seed for shuffling and dropout (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Global gradient-norm limit for the trainable parameters, as in training (0: off, the
         * default).
         *
         * @param maxNorm the limit, 0 or more
         * @return this builder
         */
        public Builder clipGradNorm(double maxNorm) {
            this.clipNorm = maxNorm;
            return this;
        }

        /**
         * Learning-rate schedule over the profiled steps (default constant).
         *
         * @param lr the schedule
         * @return this builder
         */
        public Builder lrSchedule(LrSchedule lr) {
            this.lr = lr;
            return this;
        }

        /**
         * Graph output holding logits (default: the only one).
         *
         * @param name the output name
         * @return this builder
         */
        public Builder output(String name) {
            this.output = name;
            return this;
        }

        /**
         * Checks the settings and builds.
         *
         * @return a new profiler
         */
        public GradientProfiler build() {
            if (plan == null) {
                throw new IllegalArgumentException("profiler: plan is required, e.g. policy.resolve(graph)");
            }
            if (optimizer == null) {
                throw new IllegalArgumentException("profiler: optimizer is required, e.g. OptimizerSpec.adamW(1e-3)");
            }
            if (steps < 1) {
                throw new IllegalArgumentException("profiler: steps must be at least 1, found " + steps);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("profiler: batch size must be at least 1, found " + batchSize);
            }
            if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
                throw new IllegalArgumentException("profiler: clip_grad_norm must be a finite number ≥ 0, found " + clipNorm);
            }
            if (lr == null) {
                throw new IllegalArgumentException("profiler: the learning-rate schedule must not be null");
            }
            return new GradientProfiler(this);
        }
    }
}
