package dev.floe.demo;

import dev.floe.cache.FeatureCache;
import dev.floe.cache.Prefix;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.data.Dataset;
import dev.floe.data.FashionMnist;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.io.ModelWeights;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.EvalResult;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import dev.floe.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Transfer learning on Fashion-MNIST with four fine-tuning configurations at one budget.
 *
 * <p>Source task: the classes in {@link Settings#sourceClasses()}, all their bundled training
 * examples. Target task: the other classes with {@link Settings#labelsPerClass()} labels each,
 * scored on all of the bundled test examples of those classes. Every configuration takes the same
 * optimizer, learning rate, batch size and number of steps, and is repeated over
 * {@link Settings#repeats()} draws of the few labels (the reported accuracy is their mean).
 */
public final class TransferDemo {

    /** Name of the encoder component in every graph of the demo. */
    public static final String ENCODER = "encoder";
    /** Memory for cached encoder features (the demo needs well under 10 MB). */
    private static final long CACHE_BYTES = 256L << 20;
    /**
     * The new head learns at this multiple of the base rate in every configuration (a fresh
     * linear layer on fixed features needs a larger step than pretrained weights do).
     */
    public static final double HEAD_LR_SCALE = 10;

    /**
     * @param sourceClasses classes the encoder is pretrained on
     * @param targetClasses classes learned from few labels
     * @param pretrainEpochs passes over the source training data
     * @param pretrainLimit at most this many source training examples (all when larger)
     * @param labelsPerClass labelled examples per target class
     * @param fewShotSteps optimizer steps for every target configuration
     * @param fewShotBatch batch size for the target configurations
     * @param repeats draws of the few labels, each a different seed
     * @param widths encoder widths (stem, then one per residual block)
     * @param lr AdamW learning rate, the same everywhere
     * @param seed base seed
     */
    public record Settings(
            int[] sourceClasses,
            int[] targetClasses,
            int pretrainEpochs,
            int pretrainLimit,
            int labelsPerClass,
            int fewShotSteps,
            int fewShotBatch,
            int repeats,
            long[] widths,
            double lr,
            long seed) {

        /** The full demo. */
        public static Settings full() {
            return new Settings(
                    new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9},
                    5, Integer.MAX_VALUE, 5, 100, 25, 3,
                    new long[] {16, 32, 64}, 2e-3, 42);
        }

        /** A small version for tests: fewer examples, epochs and steps. */
        public static Settings quick() {
            return new Settings(
                    new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}, 1, 1000, 5, 10, 25, 1,
                    new long[] {8, 16, 32}, 2e-3, 42);
        }
    }

    /**
     * One configuration's outcome.
     *
     * @param name short identifier ({@code scratch}, {@code frozen_encoder}, ...)
     * @param description what trains
     * @param accuracy mean target-test accuracy over the repeats
     * @param accuracyStd standard deviation over the repeats
     * @param accuracies per repeat
     * @param trainableParams trainable scalar parameters
     * @param totalParams all scalar parameters including BatchNorm running statistics
     * @param optimizerStateBytes bytes of AdamW state held after training (measured)
     * @param trainSeconds mean wall time of training per repeat
     * @param peakRssMb peak resident memory while this configuration ran
     * @param steps optimizer steps per repeat
     * @param cacheSecondsSaved mean wall time (training plus test evaluation) the feature cache saved per
     *     repeat, measured against the same run without it; NaN when nothing is frozen to cache
     */
    public record ConfigResult(
            String name,
            String description,
            double accuracy,
            double accuracyStd,
            double[] accuracies,
            long trainableParams,
            long totalParams,
            long optimizerStateBytes,
            double trainSeconds,
            double peakRssMb,
            long steps,
            double cacheSecondsSaved) {}

    /**
     * The whole run.
     *
     * @param sourceAccuracy pretrained encoder+head accuracy on the source test classes
     * @param pretrainSeconds pretraining wall time
     * @param results one per configuration, in the order scratch, frozen, full, top block
     */
    public record Report(Settings settings, double sourceAccuracy, double pretrainSeconds, List<ConfigResult> results) {}

    private final Settings settings;
    private final Consumer<String> log;
    private final TrainingListener listener;

    /**
     * @param settings what to run
     * @param log receives one line per phase
     * @param listener receives pretraining progress (for a progress bar)
     */
    public TransferDemo(Settings settings, Consumer<String> log, TrainingListener listener) {
        this.settings = settings;
        this.log = log;
        this.listener = listener;
    }

    /** Runs pretraining and the four configurations on the bundled data under {@code datasets}. */
    public Report run(Path datasets) {
        Dataset train = FashionMnist.train(datasets);
        Dataset test = FashionMnist.test(datasets);
        Dataset sourceTrain = train.filterClasses(settings.sourceClasses());
        if (sourceTrain.size() > settings.pretrainLimit()) {
            sourceTrain = sourceTrain.subset(Arrays.copyOf(sourceTrain.shuffledIndices(settings.seed()), settings.pretrainLimit()));
        }
        Dataset sourceTest = test.filterClasses(settings.sourceClasses());
        Dataset targetPool = train.filterClasses(settings.targetClasses());
        Dataset targetTest = test.filterClasses(settings.targetClasses());
        OptimizerSpec adam = OptimizerSpec.adamW(settings.lr());

        log.accept(String.format(Locale.ROOT,
                "pretraining the encoder on classes %s: %d examples, %d epoch(s)",
                names(settings.sourceClasses()), sourceTrain.size(), settings.pretrainEpochs()));
        Map<String, float[]> pretrained = new LinkedHashMap<>();
        double sourceAccuracy;
        double pretrainSeconds;
        try (ModelGraph g = graph(settings.sourceClasses().length, settings.seed())) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            try (Trainer t = Trainer.builder().plan(plan).optimizer(adam).batchSize(64)
                    .epochs(settings.pretrainEpochs()).seed(settings.seed()).listener(listener).build()) {
                TrainResult r = t.fit(sourceTrain, null);
                pretrainSeconds = r.trainSeconds();
                sourceAccuracy = t.evaluate(sourceTest).accuracy();
            }
            for (Param p : g.parameters().values()) {
                if (p.path().startsWith(ENCODER + "/")) {
                    pretrained.put(p.path(), p.toFloatArray());
                }
            }
        }
        log.accept(String.format(Locale.ROOT, "pretrained in %.1f s; source test accuracy %.3f", pretrainSeconds, sourceAccuracy));

        String top = "block" + (settings.widths().length - 1);
        List<Variant> variants = List.of(
                new Variant("scratch", "random init, everything trains", false,
                        FreezePolicy.builder().train("head", HEAD_LR_SCALE).build()),
                new Variant("frozen_encoder", "pretrained encoder frozen, new head trains", true,
                        FreezePolicy.builder().freeze(ENCODER + "/**").train("head", HEAD_LR_SCALE).build()),
                new Variant("full_finetune", "pretrained encoder and new head all train", true,
                        FreezePolicy.builder().train("head", HEAD_LR_SCALE).build()),
                new Variant("top_block", "pretrained encoder frozen but its top block (" + top + "); head trains", true,
                        FreezePolicy.builder().freeze(ENCODER + "/**").train(ENCODER + "/" + top + "/**")
                                .train("head", HEAD_LR_SCALE).build()));
        log.accept(String.format(Locale.ROOT,
                "target classes %s: %d labels per class, %d steps of batch %d, %d draw(s) of the labels; test on %d examples",
                names(settings.targetClasses()), settings.labelsPerClass(), settings.fewShotSteps(),
                settings.fewShotBatch(), settings.repeats(), targetTest.size()));
        List<ConfigResult> results = new ArrayList<>();
        for (Variant v : variants) {
            results.add(runVariant(v, pretrained, targetPool, targetTest, adam));
            ConfigResult r = results.get(results.size() - 1);
            log.accept(String.format(Locale.ROOT, "%-15s accuracy %.3f ± %.3f  (%.1f s)%s", r.name(), r.accuracy(),
                    r.accuracyStd(), r.trainSeconds(), Double.isNaN(r.cacheSecondsSaved()) ? ""
                            : String.format(Locale.ROOT, "; feature cache saved %.2f s per draw", r.cacheSecondsSaved())));
        }
        return new Report(settings, sourceAccuracy, pretrainSeconds, results);
    }

    private record Variant(String name, String description, boolean pretrained, FreezePolicy policy) {}

    private ConfigResult runVariant(
            Variant v, Map<String, float[]> pretrained, Dataset pool, Dataset test, OptimizerSpec adam) {
        ProcessStats.resetPeak();
        int k = settings.targetClasses().length;
        double[] accuracies = new double[settings.repeats()];
        double seconds = 0;
        long trainable = 0;
        long total = 0;
        long stateBytes = 0;
        long steps = 0;
        double saved = 0;
        boolean cached = false;
        // one cache per configuration: test-set features of the frozen encoder are computed once for all draws
        FeatureCache cache = FeatureCache.inMemory(CACHE_BYTES);
        for (int rep = 0; rep < settings.repeats(); rep++) {
            long seed = settings.seed() + 1000L * (rep + 1);
            Dataset few = pool.takePerClass(settings.labelsPerClass(), seed);
            int stepsPerEpoch = (few.size() + settings.fewShotBatch() - 1) / settings.fewShotBatch();
            int epochs = Math.max(1, settings.fewShotSteps() / stepsPerEpoch);
            try (ModelGraph g = graph(k, seed)) {
                if (v.pretrained()) {
                    for (Map.Entry<String, float[]> e : pretrained.entrySet()) {
                        Param p = g.parameters().get(e.getKey());
                        p.load(e.getValue(), p.shape().getShape());
                    }
                }
                FreezePlan plan = v.policy().resolve(g);
                boolean usable = Prefix.of(plan, List.of("logits")).usable();
                Map<String, float[]> start = usable ? ModelWeights.snapshot(g) : null;
                long began = System.nanoTime();
                try (Trainer t = Trainer.builder().plan(plan).optimizer(adam).batchSize(settings.fewShotBatch())
                        .epochs(epochs).seed(seed).featureCache(usable ? cache : null).build()) {
                    // no progress bars here: each few-shot epoch is a single batch
                    TrainResult r = t.fit(few, null);
                    EvalResult ev = t.evaluate(test);
                    accuracies[rep] = ev.accuracy();
                    seconds += r.trainSeconds();
                    steps = r.steps();
                    stateBytes = t.optimizer().stateBytes();
                }
                if (usable) {
                    // the same run again without the cache, only to measure what the cache saved
                    double withCache = (System.nanoTime() - began) / 1e9;
                    ModelWeights.restore(g, start);
                    long again = System.nanoTime();
                    try (Trainer t = Trainer.builder().plan(plan).optimizer(adam).batchSize(settings.fewShotBatch())
                            .epochs(epochs).seed(seed).build()) {
                        t.fit(few, null);
                        t.evaluate(test);
                    }
                    saved += (System.nanoTime() - again) / 1e9 - withCache;
                    cached = true;
                }
                trainable = plan.trainableCount();
                total = plan.totalCount();
            }
        }
        double mean = Arrays.stream(accuracies).average().orElse(Double.NaN);
        double var = Arrays.stream(accuracies).map(a -> (a - mean) * (a - mean)).sum() / Math.max(1, accuracies.length - 1);
        return new ConfigResult(
                v.name(), v.description(), mean, accuracies.length > 1 ? Math.sqrt(var) : 0.0, accuracies,
                trainable, total, stateBytes, seconds / settings.repeats(), ProcessStats.peakRssMb(), steps,
                cached ? saved / settings.repeats() : Double.NaN);
    }

    private ModelGraph graph(int classes, long seed) {
        long[] w = settings.widths();
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name(ENCODER).widths(w).build())
                .add(LinearHead.of("head", w[w.length - 1], classes))
                .wire("image", ENCODER + ".in")
                .wire(ENCODER + ".features", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    private static String names(int[] classes) {
        List<String> out = new ArrayList<>();
        for (int c : classes) {
            out.add(FashionMnist.CLASS_NAMES.get(c));
        }
        return out.toString();
    }
}
