package dev.floe.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.cache.Prefix;
import dev.floe.data.Examples;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.train.EpochMetrics;
import dev.floe.train.TrainResult;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cost side of a run, measured after training and recorded in {@code manifest.json} as
 * {@code outcome.metrics} and in {@code metrics.json} as {@code measurements}. The keys, all numbers:
 *
 * <ul>
 *   <li>{@value #TRAINABLE_PARAMS}, {@value #TOTAL_PARAMS}: scalar parameters that train under the last
 *       stage's plan, and all of them (frozen ones and buffers included);
 *   <li>{@value #EXAMPLES_PER_SECOND}: training examples over training seconds, summed over the epochs
 *       this process ran (evaluation excluded);
 *   <li>{@value #PARAM_BYTES}: bytes of all parameters and buffers as stored (4 per fp32 value);
 *   <li>{@value #GRAD_BYTES}: bytes of the gradients of the trainable parameters (one value each);
 *   <li>{@value #OPTIMIZER_STATE_BYTES}: optimizer state held at the end, measured (AdamW: two fp32
 *       moments, 8 bytes per trainable parameter; SGD with momentum: 4);
 *   <li>{@value #ACTIVATION_BYTES}: Floe's count of the activations one training batch keeps for
 *       backward: for {@code training.batch_size} training examples, the bytes of every output value of
 *       every component outside the last plan's frozen prefix ({@link Prefix#of}) — the components
 *       backward runs through; the frozen prefix runs without a graph and keeps nothing. Values inside
 *       a component (between its layers) are not counted, so this is a lower bound comparable across
 *       policies of one graph, not the engine's peak;
 *   <li>{@value #LATENCY_B1_P50_MS}, {@value #LATENCY_B1_P95_MS}, {@value #LATENCY_B32_P50_MS},
 *       {@value #LATENCY_B32_P95_MS}: inference milliseconds per example (a batch's time divided by its
 *       size) at batch 1 and 32, on evaluation examples (training examples without an evaluation set),
 *       median and 95th percentile (nearest rank) of {@value #TIMED_B1} and {@value #TIMED_B32} timed
 *       forward passes after {@value #WARMUP} untimed ones each, with the graph as trained;
 *   <li>{@value #CACHE_SECONDS_SAVED}: {@link dev.floe.train.Trainer#cacheSecondsSaved()}.
 * </ul>
 */
public final class Measurements {

    /** Key of the count of scalar parameters that train under the last stage's plan. */
    public static final String TRAINABLE_PARAMS = "trainable_params";
    /** Key of the total scalar parameter count, buffers included. */
    public static final String TOTAL_PARAMS = "total_params";
    /** Key of the training throughput, examples per second. */
    public static final String EXAMPLES_PER_SECOND = "examples_per_second";
    /** Key of the bytes of all parameters and buffers. */
    public static final String PARAM_BYTES = "param_bytes";
    /** Key of the gradient bytes of the trainable parameters. */
    public static final String GRAD_BYTES = "grad_bytes";
    /** Key of the optimizer state bytes held at the end. */
    public static final String OPTIMIZER_STATE_BYTES = "optimizer_state_bytes";
    /** Key of the activation bytes one training batch keeps for backward. */
    public static final String ACTIVATION_BYTES = "activation_bytes";
    /** Key of the batch-1 inference latency median, milliseconds per example. */
    public static final String LATENCY_B1_P50_MS = "latency_b1_p50_ms";
    /** Key of the batch-1 inference latency 95th percentile, milliseconds per example. */
    public static final String LATENCY_B1_P95_MS = "latency_b1_p95_ms";
    /** Key of the batch-32 inference latency median, milliseconds per example. */
    public static final String LATENCY_B32_P50_MS = "latency_b32_p50_ms";
    /** Key of the batch-32 inference latency 95th percentile, milliseconds per example. */
    public static final String LATENCY_B32_P95_MS = "latency_b32_p95_ms";
    /** Key of the seconds the feature cache saved. */
    public static final String CACHE_SECONDS_SAVED = "cache_seconds_saved";

    /** Every key, in the order they are recorded. */
    public static final List<String> KEYS = List.of(TRAINABLE_PARAMS, TOTAL_PARAMS, EXAMPLES_PER_SECOND, PARAM_BYTES,
            GRAD_BYTES, OPTIMIZER_STATE_BYTES, ACTIVATION_BYTES, LATENCY_B1_P50_MS, LATENCY_B1_P95_MS,
            LATENCY_B32_P50_MS, LATENCY_B32_P95_MS, CACHE_SECONDS_SAVED);

    /**
     * The keys measured with a clock, which differ between any two runs of one recipe: costs, not
     * results ({@code floe compare} and {@code floe reproduce} list them with time and memory).
     */
    public static final java.util.Set<String> TIMED = java.util.Set.of(EXAMPLES_PER_SECOND, LATENCY_B1_P50_MS,
            LATENCY_B1_P95_MS, LATENCY_B32_P50_MS, LATENCY_B32_P95_MS, CACHE_SECONDS_SAVED);

    /** Untimed forward passes before timing, per batch size. */
    static final int WARMUP = 3;
    /** Timed forward passes at batch 1. */
    static final int TIMED_B1 = 30;
    /** Timed forward passes at batch 32. */
    static final int TIMED_B32 = 12;
    private static final int LARGE_BATCH = 32;

    private Measurements() {}

    /**
     * Measures a trained graph.
     *
     * @param graph the graph as trained
     * @param plan the last stage's plan (decides what trains and the frozen prefix)
     * @param training what the trainer returned
     * @param optimizerStateBytes the optimizer's state at the end
     * @param cacheSecondsSaved {@link dev.floe.train.Trainer#cacheSecondsSaved()}
     * @param train the training data (its first batch is used for the activation count)
     * @param eval the evaluation data (latency is timed on it), or null to time on training data
     * @param batchSize the training batch size
     * @return the values by key, in {@link #KEYS} order
     */
    public static Map<String, Double> measure(ModelGraph graph, FreezePlan plan, TrainResult training,
            long optimizerStateBytes, double cacheSecondsSaved, Examples train, Examples eval, int batchSize) {
        String output = graph.outputs().keySet().iterator().next();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(TRAINABLE_PARAMS, (double) plan.trainableCount());
        m.put(TOTAL_PARAMS, (double) plan.totalCount());
        m.put(EXAMPLES_PER_SECOND, examplesPerSecond(training.epochs()));
        m.put(PARAM_BYTES, (double) bytes(graph.parameters().values()));
        m.put(GRAD_BYTES, (double) bytes(plan.trainable()));
        m.put(OPTIMIZER_STATE_BYTES, (double) optimizerStateBytes);
        m.put(ACTIVATION_BYTES, (double) activationBytes(graph, plan, train, batchSize));
        Examples timed = eval != null ? eval : train;
        double[] b1 = latencies(graph, timed, output, 1, TIMED_B1);
        double[] b32 = latencies(graph, timed, output, LARGE_BATCH, TIMED_B32);
        m.put(LATENCY_B1_P50_MS, percentile(b1, 50));
        m.put(LATENCY_B1_P95_MS, percentile(b1, 95));
        m.put(LATENCY_B32_P50_MS, percentile(b32, 50));
        m.put(LATENCY_B32_P95_MS, percentile(b32, 95));
        m.put(CACHE_SECONDS_SAVED, cacheSecondsSaved);
        return m;
    }

    /** Bytes of {@code params} as stored, one value per scalar. */
    private static long bytes(Iterable<Param> params) {
        long bytes = 0;
        for (Param p : params) {
            bytes += p.size() * p.dataType().getNumOfBytes();
        }
        return bytes;
    }

    /** Training examples over training seconds of the given epochs; 0 when none ran. */
    static double examplesPerSecond(List<EpochMetrics> epochs) {
        double examples = 0;
        double seconds = 0;
        for (EpochMetrics e : epochs) {
            examples += e.examplesPerSecond() * e.seconds();
            seconds += e.seconds();
        }
        return seconds > 0 ? examples / seconds : 0;
    }

    /** See {@link #ACTIVATION_BYTES}. */
    static long activationBytes(ModelGraph graph, FreezePlan plan, Examples train, int batchSize) {
        Prefix prefix = Prefix.of(plan, graph.outputs().keySet());
        int[] idx = indices(0, Math.min(batchSize, train.size()), train.size());
        long bytes = 0;
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> all = graph.forwardAll(train.inputs(batch, idx), ForwardContext.INFERENCE);
            for (Map.Entry<String, NDArray> e : all.entrySet()) {
                int dot = e.getKey().indexOf('.');
                if (dot < 0 || prefix.components().contains(e.getKey().substring(0, dot)) || graph.inputs().containsKey(e.getKey())) {
                    continue; // a graph input or a frozen-prefix value
                }
                NDArray a = e.getValue();
                long perExample = a.getShape().size() / idx.length;
                bytes += perExample * batchSize * a.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /** Milliseconds per example of {@code timed} forward passes at batch {@code size}, after {@link #WARMUP}. */
    private static double[] latencies(ModelGraph graph, Examples data, String output, int size, int timed) {
        double[] ms = new double[timed];
        for (int call = -WARMUP; call < timed; call++) {
            int[] idx = indices(Math.max(0, call + WARMUP) * size, size, data.size());
            try (NDManager batch = graph.manager().newSubManager()) {
                Map<String, NDArray> in = data.inputs(batch, idx);
                long start = System.nanoTime();
                NDArray logits = graph.forward(in, ForwardContext.INFERENCE, List.of(output)).get(output);
                logits.toFloatArray(); // waits for the result
                double perExample = (System.nanoTime() - start) / 1e6 / size;
                if (call >= 0) {
                    ms[call] = perExample;
                }
            }
        }
        return ms;
    }

    /** {@code count} example indices from {@code from}, wrapping around a data set of {@code size}. */
    private static int[] indices(int from, int count, int size) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) {
            idx[i] = (from + i) % size;
        }
        return idx;
    }

    /** Nearest-rank percentile {@code p} (0..100] of {@code values}. */
    static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
}
