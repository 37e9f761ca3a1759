package dev.floe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.Examples;
import dev.floe.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Benches of a frozen prefix (a ConvEncoder) under a trainable suffix (linear heads): B2 uncached,
 * B1 cached (later epochs), B5 many experiments on one frozen backbone.
 *
 * <p>B1 and B5 need the FeatureCache ({@code dev.floe.cache}); until it is available their Floe arm
 * is Floe without a cache, and they are reported as not met.
 */
final class PrefixBenches {

    /** Floe may take this many times the limit (B1, B2, B5). */
    static final double TARGET = 1.05;
    static final double LR = 1e-3;
    /** B5: head variants trained on one backbone. */
    static final int VARIANTS = 8;
    /** B5: learning rates of the variants span this many decades, from {@link #B5_LOWEST_LR}. */
    static final double B5_LOWEST_LR = 1e-4;
    static final double B5_DECADES = 2;
    static final String CACHE_CLASS = "dev.floe.cache.FeatureCache";
    private static final long SEED = 2;

    private PrefixBenches() {}

    /** Whether the FeatureCache class is on the class path (it may land after this harness). */
    static boolean cacheAvailable() {
        try {
            Class.forName(CACHE_CLASS);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static String cacheNote() {
        return cacheAvailable()
                ? "FeatureCache is on the class path but this harness does not use it yet: Floe arm is Floe without cache"
                : "FeatureCache not yet available: Floe arm is Floe without cache, so the target cannot be met";
    }

    /** B2 and B1, which share a model, data and Floe arm. */
    static List<BenchResult> runB2B1(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        int batch = BenchSettings.CONV_BATCH;
        int batches = s.convBatches();
        Dataset data = Synthetic.images(batches * batch, SEED);
        Examples examples = Examples.of(data, Graphs.IMAGE);
        OptimizerSpec spec = OptimizerSpec.adamW(LR);
        try (ModelGraph graph = Graphs.convWithHeads(1, SEED);
                BareDjl.Head bare = new BareDjl.Head(Graphs.FEATURE_WIDTH, Synthetic.CLASSES, (float) LR, SEED)) {
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").build().resolve(graph);
            float[] cached = features(graph, examples, batches, batch);
            try (Trainer trainer = Trainer.builder().plan(plan).optimizer(spec).output(Graphs.logits(0))
                    .batchSize(batch).seed(SEED).build()) {
                DoubleSupplier floe = () -> Interleaved.time(() -> trainer.run(data, null)) / batches;
                DoubleSupplier uncachedLimit = () -> Interleaved.time(() -> {
                    for (int b = 0; b < batches; b++) {
                        int[] idx = Synthetic.range(b * batch, batch);
                        try (NDManager m = graph.manager().newSubManager()) {
                            NDArray f = prefix(graph, examples.inputs(m, idx)); // (B, 64)
                            bare.step(f, examples.labels(m, idx));
                        }
                    }
                }) / batches;
                DoubleSupplier cachedLimit = () -> Interleaved.time(() -> {
                    for (int b = 0; b < batches; b++) {
                        int[] idx = Synthetic.range(b * batch, batch);
                        try (NDManager m = graph.manager().newSubManager()) {
                            bare.step(read(m, cached, idx), examples.labels(m, idx));
                        }
                    }
                }) / batches;
                log.accept("B2/B1: " + s.trials() + " interleaved trials of " + batches
                        + " steps: Floe frozen encoder, prefix inference + bare head, bare head on cached features");
                double[] m = Interleaved.medians(s.warmup(), s.trials(), List.of(floe, uncachedLimit, cachedLimit));
                BenchResult.Memory memory = Measured.memory(plan, trainer.optimizer());
                String model = "ConvEncoder 16-32-64 frozen (inference mode) + linear head 64->10, batch " + batch
                        + ", AdamW; Floe = Trainer.run over " + batches + " batches";
                double r2 = m[0] / m[1];
                BenchResult b2 = new BenchResult("B2", "uncached frozen prefix: training step", "optimizer step", m[0],
                        m[1], null, null, TARGET, "ratio_to_limit", r2 <= TARGET,
                        model + "; limit = encoder inference forward outside any GradientCollector + bare DJL head step"
                                + " (DJL Adam) on its output; ratio " + Measured.x(r2) + " (target <= " + TARGET + ": "
                                + (r2 <= TARGET ? "met" : "missed") + ")",
                        memory);
                double r1 = m[0] / m[2];
                BenchResult b1 = new BenchResult("B1", "cached frozen prefix: step in epochs 2+", "optimizer step", m[0],
                        m[2], null, null, TARGET, "ratio_to_limit", false,
                        cacheNote() + "; " + model + " (epochs 2+, the prefix recomputed every step); limit = bare DJL"
                                + " head step on features read from an in-memory float[] cache (copied into a native"
                                + " array per batch); ratio " + Measured.x(r1) + " (target <= " + TARGET + ")",
                        memory);
                return List.of(b1, b2);
            }
        }
    }

    /** B5: {@value #VARIANTS} heads with different learning rates on one frozen backbone. */
    static BenchResult runB5(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        int batch = BenchSettings.CONV_BATCH;
        int batches = s.convBatches();
        int epochs = s.variantEpochs();
        Dataset data = Synthetic.images(batches * batch, SEED + 5);
        Examples examples = Examples.of(data, Graphs.IMAGE);
        try (ModelGraph graph = Graphs.convWithHeads(VARIANTS, SEED + 5)) {
            List<FreezePlan> plans = new ArrayList<>();
            double[] lrs = new double[VARIANTS];
            for (int i = 0; i < VARIANTS; i++) {
                FreezePolicy.Builder p = FreezePolicy.builder().freeze("encoder/**");
                for (int j = 0; j < VARIANTS; j++) {
                    if (j != i) {
                        p.freeze(Graphs.head(j) + "/**");
                    }
                }
                plans.add(p.build().resolve(graph));
                lrs[i] = B5_LOWEST_LR * Math.pow(10, B5_DECADES * i / (VARIANTS - 1));
            }
            long[] state = new long[1];
            DoubleSupplier floe = () -> Interleaved.time(() -> {
                for (int i = 0; i < VARIANTS; i++) {
                    try (Trainer t = Trainer.builder().plan(plans.get(i)).optimizer(OptimizerSpec.adamW(lrs[i]))
                            .output(Graphs.logits(i)).batchSize(batch).epochs(epochs).seed(SEED + i).build()) {
                        t.run(data, null);
                        state[0] = t.optimizer().stateBytes();
                    }
                }
            });
            DoubleSupplier limit = () -> Interleaved.time(() -> {
                float[] cached = features(graph, examples, batches, batch);
                for (int i = 0; i < VARIANTS; i++) {
                    try (BareDjl.Head head = new BareDjl.Head(Graphs.FEATURE_WIDTH, Synthetic.CLASSES, (float) lrs[i], SEED + i)) {
                        for (int e = 0; e < epochs; e++) {
                            for (int b = 0; b < batches; b++) {
                                int[] idx = Synthetic.range(b * batch, batch);
                                try (NDManager m = graph.manager().newSubManager()) {
                                    head.step(read(m, cached, idx), examples.labels(m, idx));
                                }
                            }
                        }
                    }
                }
            });
            log.accept("B5: " + s.trials() + " interleaved trials: " + VARIANTS + " Floe runs without cache, one prefix"
                    + " pass + " + VARIANTS + " bare head trainings");
            double[] m = Interleaved.medians(s.warmup(), s.trials(), List.of(floe, limit));
            FreezePlan plan = plans.get(0);
            BenchResult.Memory memory = new BenchResult.Memory(plan.totalCount() * Measured.FP32_BYTES,
                    plan.trainableCount() * Measured.FP32_BYTES, state[0], plan.trainableCount(), ProcessStats.peakRssMb());
            return new BenchResult("B5", VARIANTS + " head/LR variants on one frozen backbone", "all variants", m[0], m[1],
                    null, null, TARGET, "ratio_to_limit", false,
                    cacheNote() + "; ConvEncoder 16-32-64 frozen, " + VARIANTS + " linear heads, AdamW lr "
                            + String.format(java.util.Locale.ROOT, "%.0e..%.0e", lrs[0], lrs[VARIANTS - 1]) + ", "
                            + epochs + " epoch(s) of " + batches + " batches of " + batch + " each; Floe = "
                            + VARIANTS + " Trainer runs, each recomputing the prefix; limit = one inference pass of"
                            + " the encoder into a float[] + " + VARIANTS + " bare DJL head trainings on it; ratio "
                            + Measured.x(m[0] / m[1]) + " (target <= " + TARGET + ")",
                    memory);
        }
    }

    /** The encoder's features in inference mode, no autograd: {@code (B, 64)}. */
    private static NDArray prefix(ModelGraph graph, Map<String, NDArray> inputs) {
        return graph.forward(inputs, ForwardContext.INFERENCE, List.of(Graphs.FEATURES)).get(Graphs.FEATURES);
    }

    /** Features of the first {@code batches * batch} examples, row-major {@code (N, 64)}. */
    private static float[] features(ModelGraph graph, Examples examples, int batches, int batch) {
        int width = (int) Graphs.FEATURE_WIDTH;
        float[] out = new float[batches * batch * width];
        for (int b = 0; b < batches; b++) {
            try (NDManager m = graph.manager().newSubManager()) {
                float[] f = prefix(graph, examples.inputs(m, Synthetic.range(b * batch, batch))).toFloatArray();
                System.arraycopy(f, 0, out, b * batch * width, f.length);
            }
        }
        return out;
    }

    /** Rows {@code idx} of the cached features as a libtorch-owned {@code (B, 64)} array. */
    private static NDArray read(NDManager manager, float[] cached, int[] idx) {
        int width = (int) Graphs.FEATURE_WIDTH;
        float[] rows = new float[idx.length * width];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(cached, idx[i] * width, rows, i * width, width);
        }
        return FloeEngine.owned(manager.create(rows, new Shape(idx.length, width))); // (B, 64)
    }
}
