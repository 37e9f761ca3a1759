package dev.floe.bench;

import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.data.Dataset;
import dev.floe.data.FashionMnist;
import dev.floe.engine.FloeEngine;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.LrSchedule;
import dev.floe.schedule.Schedule;
import dev.floe.schedule.Stage;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import dev.floe.train.TrainingListener;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * S1 native-memory soak: the transfer demo's pretraining (its residual ConvEncoder and linear head,
 * its source classes of the bundled Fashion-MNIST, AdamW at its rate, everything trains) run for
 * {@link SoakSettings#steps()} optimizer steps of batch {@value SoakSettings#BATCH} in one
 * {@link Trainer} call, sampling after every {@link SoakSettings#sampleEvery()} steps the engine's
 * live native arrays and the process's resident set.
 *
 * <p>Samples are taken between steps, after the batch's arrays are closed and the optimizer has
 * stepped, so the live arrays are exactly the model's parameters and buffers plus AdamW's two moments
 * per trainable tensor (gradients live inside their parameters' native tensors and are not counted
 * as arrays); each series is flat when it grows by at most its limit ({@link #ARRAY_GROWTH_LIMIT},
 * {@link #RSS_GROWTH_LIMIT_MB}) from the baseline sample to any later one.
 *
 * <p>RSS rises until the first young garbage collection: the Java heap touches its pages for the
 * first time, and each batch input sits over a Java direct buffer (about 196 KiB) that is freed only
 * when the collector reclaims its owner. Heap use and direct-buffer bytes are sampled too, to show
 * this; the baseline must come after it (see {@link SoakSettings#quick()}).
 */
final class SoakBench {

    /**
     * Live native arrays may not grow at all after the baseline: between steps the count is a fixed
     * set (parameters, buffers, optimizer moments), so one more array is a leak.
     */
    static final int ARRAY_GROWTH_LIMIT = 0;
    /**
     * Resident memory may grow by at most this many MiB from the baseline to any later sample. One
     * leaked batch input per step (64 × 784 floats, 196 KiB) would add 1.7 GiB over the 9,000 steps
     * after the full run's baseline; 32 MiB catches a leak of 3.6 KiB per step over those steps while
     * leaving room for the native allocators' pools, which move RSS up and down by up to ~17 MiB
     * between samples without a trend (two full runs: +5.8 and +18.3 MiB at most).
     */
    static final double RSS_GROWTH_LIMIT_MB = 32;
    static final String ID = "S1";

    /**
     * The transfer demo's pretraining model and optimizer ({@code floe demo}, full settings): encoder
     * widths (stem, block1, block2), source classes, AdamW learning rate and seed. The demo lives in
     * floe-cli, whose {@code TransferDemoTest} checks that its settings still match these.
     */
    record DemoModel(long[] widths, int[] sourceClasses, double lr, long seed) {
        static final DemoModel FULL = new DemoModel(new long[] {16, 32, 64}, new int[] {0, 1, 2, 3, 4}, 2e-3, 42);
    }

    private static final String ENCODER = "encoder";

    private SoakBench() {}

    static SoakResult run(SoakSettings s, Path datasets, Consumer<String> log) {
        DemoModel demo = DemoModel.FULL;
        Dataset data = FashionMnist.train(datasets).filterClasses(demo.sourceClasses());
        int batchesPerEpoch = (data.size() + SoakSettings.BATCH - 1) / SoakSettings.BATCH;
        int epochs = (s.steps() + batchesPerEpoch - 1) / batchesPerEpoch;
        long[] w = demo.widths();
        String model = "ConvEncoder " + joined(w) + " (stem + " + (w.length - 1) + " residual blocks) + linear head "
                + w[w.length - 1] + " -> " + demo.sourceClasses().length;
        String dataName = data.name() + " (" + data.size() + " images of the demo's source classes "
                + Arrays.toString(demo.sourceClasses()) + ", " + batchesPerEpoch + " batches per epoch)";
        log.accept(ID + ": " + s.steps() + " steps of batch " + SoakSettings.BATCH + " (" + model + ", AdamW lr "
                + demo.lr() + ") on " + dataName + "; live arrays and RSS every " + s.sampleEvery() + " steps");
        List<SoakResult.Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        long trainable;
        TrainResult result;
        try (ModelGraph graph = ModelGraph.builder()
                        .input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                        .add(ConvEncoder.builder().name(ENCODER).widths(w).build())
                        .add(LinearHead.of("head", w[w.length - 1], demo.sourceClasses().length))
                        .wire("image", ENCODER + ".in")
                        .wire(ENCODER + ".features", "head.in")
                        .output("logits", "head.logits")
                        .seed(demo.seed())
                        .build()) {
            Stage stage = new Stage("soak", FreezePolicy.trainAll(), epochs, LrSchedule.constant(), null, s.steps());
            try (Trainer t = Trainer.builder().graph(graph).schedule(Schedule.single(stage))
                    .optimizer(OptimizerSpec.adamW(demo.lr())).batchSize(SoakSettings.BATCH).seed(demo.seed())
                    .listener(new Sampler(s, samples, start, log)).build()) {
                trainable = t.plans().get(0).trainableCount();
                samples.add(sample(0, Double.NaN, start));
                result = t.run(data, null);
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        if (result.steps() != s.steps()) {
            throw new IllegalStateException(ID + " ran " + result.steps() + " steps, expected " + s.steps());
        }
        return SoakResult.of(ID, s, model, dataName, trainable, samples, ARRAY_GROWTH_LIMIT, RSS_GROWTH_LIMIT_MB, wall,
                result.trainSeconds());
    }

    /** Takes a sample after every {@code sampleEvery}-th optimizer step. */
    private static final class Sampler implements TrainingListener {
        private final SoakSettings settings;
        private final List<SoakResult.Sample> samples;
        private final long start;
        private final Consumer<String> log;
        private int steps;

        Sampler(SoakSettings settings, List<SoakResult.Sample> samples, long start, Consumer<String> log) {
            this.settings = settings;
            this.samples = samples;
            this.start = start;
            this.log = log;
        }

        @Override
        public void batchFinished(int epoch, int batch, int batches, double loss, double accuracy, double examplesPerSecond) {
            steps++;
            if (steps % settings.sampleEvery() == 0) {
                SoakResult.Sample x = sample(steps, loss, start);
                samples.add(x);
                log.accept(String.format(java.util.Locale.ROOT, "%s: step %5d  live arrays %d  RSS %.1f MiB  heap %.1f MiB"
                        + "  direct %.1f MiB  loss %.4f  %.0f s", ID, x.step(), x.liveArrays(), x.rssMb(), x.heapUsedMb(),
                        x.directMb(), x.loss(), x.seconds()));
            }
        }
    }

    private static SoakResult.Sample sample(int step, double loss, long start) {
        Runtime rt = Runtime.getRuntime();
        double mib = 1024.0 * 1024.0;
        double direct = -1;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool.getMemoryUsed() / mib;
            }
        }
        return new SoakResult.Sample(step, FloeEngine.liveArraysEverywhere(), ProcessStats.rssMb(),
                (rt.totalMemory() - rt.freeMemory()) / mib, rt.totalMemory() / mib, direct, loss,
                (System.nanoTime() - start) / 1e9);
    }

    private static String joined(long[] widths) {
        StringBuilder sb = new StringBuilder();
        for (long x : widths) {
            sb.append(sb.length() == 0 ? "" : "-").append(x);
        }
        return sb.toString();
    }
}
