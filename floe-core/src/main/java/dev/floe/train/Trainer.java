package dev.floe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Trains a graph's classification output with cross-entropy under a {@link FreezePlan}.
 *
 * <p>The plan is applied when {@link #fit} starts: frozen parameters get no gradients and no
 * optimizer state, and their modules run in inference mode. Every batch runs in its own native
 * scope that is closed when the batch ends, so native memory stays flat over a run. With the same
 * seed, data and plan, and one engine thread, two runs give bit-identical weights.
 *
 * <p>Not thread-safe; one trainer per graph at a time (the engine allows one gradient collector
 * per JVM).
 */
public final class Trainer implements AutoCloseable {

    /** Evaluation batches hold at least this many examples (no gradients, so memory is small). */
    private static final int MIN_EVAL_BATCH = 256;
    /** Spreads epoch shuffle seeds apart (a prime, so seeds of nearby runs do not collide). */
    private static final long EPOCH_SEED_STRIDE = 1_000_003L;

    private final ModelGraph graph;
    private final FreezePlan plan;
    private final OptimizerSpec optimizerSpec;
    private final String input;
    private final String output;
    private final int batchSize;
    private final int evalBatchSize;
    private final int epochs;
    private final long seed;
    private final TrainingListener listener;
    private final GroupedOptimizer optimizer;
    private long steps;

    private Trainer(Builder b) {
        this.graph = b.plan.graph();
        this.plan = b.plan;
        this.optimizerSpec = b.optimizer;
        this.input = b.input != null ? b.input : single(graph.inputs().keySet(), "input");
        this.output = b.output != null ? b.output : single(graph.outputs().keySet(), "output");
        this.batchSize = b.batchSize;
        this.evalBatchSize = Math.max(b.batchSize, MIN_EVAL_BATCH);
        this.epochs = b.epochs;
        this.seed = b.seed;
        this.listener = b.listener;
        this.optimizer = GroupedOptimizer.of(optimizerSpec);
    }

    private static String single(java.util.Set<String> names, String what) {
        if (names.size() != 1) {
            throw new IllegalArgumentException(
                    "the graph has " + what + "s " + names + "; name the " + what + " to train with in the"
                            + " trainer builder (" + what + "(name))");
        }
        return names.iterator().next();
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The optimizer (for inspecting state bytes and step counts). */
    public GroupedOptimizer optimizer() {
        return optimizer;
    }

    /** Optimizer steps taken so far. */
    public long steps() {
        return steps;
    }

    /**
     * Trains for the configured epochs, evaluating on {@code eval} after each epoch when given.
     *
     * @param train training examples; their feature shape must fit the graph input
     * @param eval held-out examples, or null
     */
    public TrainResult fit(Dataset train, Dataset eval) {
        checkData(train);
        plan.apply();
        optimizer.setGroups(plan.groups(optimizerSpec));
        FloeEngine.seed(seed);
        ForwardContext context = plan.trainingContext();
        List<EpochMetrics> history = new ArrayList<>();
        double trainSeconds = 0;
        EvalResult last = null;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            int[] order = train.shuffledIndices(seed * EPOCH_SEED_STRIDE + epoch);
            int batches = (order.length + batchSize - 1) / batchSize;
            listener.epochStarted(epoch, epochs, batches);
            long start = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            int seen = 0;
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize;
                int to = Math.min(order.length, from + batchSize);
                int[] idx = java.util.Arrays.copyOfRange(order, from, to);
                float[] stats = trainBatch(train, idx, context);
                lossSum += stats[0] * idx.length;
                correct += (long) stats[1];
                seen += idx.length;
                double elapsed = (System.nanoTime() - start) / 1e9;
                listener.batchFinished(epoch, b + 1, batches, stats[0], (double) correct / seen, seen / elapsed);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            trainSeconds += seconds;
            EvalResult ev = eval == null ? null : evaluate(eval);
            last = ev;
            EpochMetrics m = new EpochMetrics(
                    epoch,
                    lossSum / seen,
                    (double) correct / seen,
                    ev == null ? Double.NaN : ev.loss(),
                    ev == null ? Double.NaN : ev.accuracy(),
                    seconds,
                    seen / seconds);
            history.add(m);
            listener.epochFinished(m);
        }
        return new TrainResult(history, steps, trainSeconds, last);
    }

    /** One optimizer step on the given examples; returns {mean loss, correct count}. */
    private float[] trainBatch(Dataset data, int[] idx, ForwardContext context) {
        try (NDManager batch = graph.manager().newSubManager()) {
            NDArray x = features(batch, data, idx); // (B, ...featureShape)
            NDArray y = labels(batch, data, idx); // (B)
            float loss;
            float correct;
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray logits = graph.forward(Map.of(input, x), context, List.of(output)).get(output); // (B, classes)
                NDArray lossArray = crossEntropy(logits, y); // ()
                gc.backward(lossArray);
                loss = lossArray.getFloat();
                correct = logits.argMax(1).eq(y).sum().toType(DataType.FLOAT32, false).getFloat();
            }
            optimizer.step(1.0);
            steps++;
            return new float[] {loss, correct};
        }
    }

    /** Mean cross-entropy and accuracy on {@code data} in inference mode. */
    public EvalResult evaluate(Dataset data) {
        checkData(data);
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.size(); from += evalBatchSize) {
            int to = Math.min(data.size(), from + evalBatchSize);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = from + i;
            }
            try (NDManager batch = graph.manager().newSubManager()) {
                NDArray x = features(batch, data, idx);
                NDArray y = labels(batch, data, idx);
                NDArray logits = graph.forward(Map.of(input, x), ForwardContext.INFERENCE, List.of(output)).get(output);
                lossSum += crossEntropy(logits, y).getFloat() * idx.length;
                correct += logits.argMax(1).eq(y).sum().toType(DataType.INT64, false).getLong();
            }
        }
        return new EvalResult(lossSum / data.size(), (double) correct / data.size(), data.size());
    }

    /** Mean over the batch of {@code -log softmax(logits)[label]}. */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbs = logits.logSoftmax(1); // (B, C)
        NDArray picked = logProbs.mul(labels.oneHot((int) logits.getShape().get(1))).sum(new int[] {1}); // (B)
        return picked.mean().neg();
    }

    private void checkData(Dataset data) {
        long classes = graph.outputs().isEmpty() ? -1 : outputClasses();
        if (classes > 0 && data.numClasses() > classes) {
            throw new IllegalArgumentException(
                    "data set " + data.name() + " has " + data.numClasses() + " classes but output " + output
                            + " has " + classes + "; give the head " + data.numClasses() + " classes");
        }
    }

    private long outputClasses() {
        ModelGraph.Endpoint source = graph.outputs().get(output);
        return graph.component(source.component()).output(source.port()).spec().lastSize().orElse(-1L);
    }

    private static NDArray features(NDManager manager, Dataset data, int[] idx) {
        long[] one = data.featureShape();
        long[] shape = new long[one.length + 1];
        shape[0] = idx.length;
        System.arraycopy(one, 0, shape, 1, one.length);
        return manager.create(data.gatherFeatures(idx), new Shape(shape));
    }

    private static NDArray labels(NDManager manager, Dataset data, int[] idx) {
        int[] y = data.gatherLabels(idx);
        long[] wide = new long[y.length];
        for (int i = 0; i < y.length; i++) {
            wide[i] = y[i];
        }
        return manager.create(wide);
    }

    /** Releases the optimizer state. The graph stays open. */
    @Override
    public void close() {
        optimizer.close();
    }

    /** Builder: {@code plan} and {@code optimizer} are required. */
    public static final class Builder {
        private FreezePlan plan;
        private OptimizerSpec optimizer;
        private String input;
        private String output;
        private int batchSize = 64;
        private int epochs = 1;
        private long seed = 0;
        private TrainingListener listener = TrainingListener.NONE;

        private Builder() {}

        /** The resolved freeze plan; its graph is the one trained (required). */
        public Builder plan(FreezePlan plan) {
            this.plan = plan;
            return this;
        }

        /** Optimizer (required). */
        public Builder optimizer(OptimizerSpec optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /** Graph input fed with features (default: the only one). */
        public Builder input(String name) {
            this.input = name;
            return this;
        }

        /** Graph output holding logits (default: the only one). */
        public Builder output(String name) {
            this.output = name;
            return this;
        }

        /** Examples per step (default 64). */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Passes over the training set (default 1). */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** Seed for shuffling and dropout (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Progress receiver (default none). */
        public Builder listener(TrainingListener listener) {
            this.listener = listener;
            return this;
        }

        /** Checks the settings and builds. */
        public Trainer build() {
            if (plan == null) {
                throw new IllegalArgumentException("trainer: plan is required; resolve a FreezePolicy against the graph");
            }
            if (optimizer == null) {
                throw new IllegalArgumentException("trainer: optimizer is required, e.g. OptimizerSpec.adamW(1e-3)");
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("trainer: batch_size must be positive, found " + batchSize);
            }
            if (epochs <= 0) {
                throw new IllegalArgumentException("trainer: epochs must be positive, found " + epochs);
            }
            return new Trainer(this);
        }
    }
}
