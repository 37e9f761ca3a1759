package dev.floe.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.cache.FeatureCache;
import dev.floe.cache.Prefix;
import dev.floe.config.ComponentConfig;
import dev.floe.config.ComponentSource;
import dev.floe.components.LinearHead;
import dev.floe.data.Dataset;
import dev.floe.data.FashionMnist;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.io.Fingerprint;
import dev.floe.io.ModelWeights;
import dev.floe.optim.OptimizerSpec;
import dev.floe.registry.ComponentVersion;
import dev.floe.registry.Ledger;
import dev.floe.registry.Registry;
import dev.floe.registry.RegistryLocation;
import dev.floe.registry.RegistrySource;
import dev.floe.train.EvalResult;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import dev.floe.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 *
 * <p>The pretrained encoder is published to a component registry ({@link Publish}) as a version
 * whose ledger names the demo's run and its pretraining results; the configurations that start
 * from it load that version ({@code registry:NAME@VERSION}) the way a config's {@code from:} entry
 * does, so each records the exact version and weights hash it started from.
 */
public final class TransferDemo {

    /** Name of the encoder component in every graph of the demo. */
    public static final String ENCODER = "encoder";
    /** Memory for cached encoder features (the demo needs well under 10 MB). */
    private static final long CACHE_BYTES = 256L << 20;
    /** Channels, height and width of a Fashion-MNIST image. */
    private static final long[] IMAGE = {1, 28, 28};
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
     * @param encoder the registry version its encoder started from, or null for random initialisation
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
            double cacheSecondsSaved,
            Encoder encoder) {}

    /**
     * The registry version of the pretrained encoder.
     *
     * @param ref {@code NAME@VERSION}
     * @param blobSha256 hex SHA-256 of its weights blob
     * @param weightsHash {@code sha256:<hex>} content hash of its parameters
     */
    public record Encoder(String ref, String blobSha256, String weightsHash) {}

    /**
     * Where the pretrained encoder is published and what its ledger names as its origin.
     *
     * @param registry the registry (normally a folder inside the demo's output folder)
     * @param name the registry name of the encoder
     * @param runId the demo run's id (its manifest's)
     * @param recipeSha256 the demo run's recipe hash (its manifest's)
     * @param command the command that ran the demo, e.g. {@code demo images}
     */
    public record Publish(RegistryLocation registry, String name, String runId, String recipeSha256, String command) {}

    /**
     * The whole run.
     *
     * @param sourceAccuracy pretrained encoder+head accuracy on the source test classes
     * @param pretrainSeconds pretraining wall time
     * @param encoder the registry version the pretrained encoder was published as
     * @param results one per configuration, in the order scratch, frozen, full, top block
     */
    public record Report(Settings settings, double sourceAccuracy, double pretrainSeconds, Encoder encoder,
            List<ConfigResult> results) {}

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

    /**
     * Runs pretraining on the bundled data under {@code datasets}, publishes the pretrained encoder
     * as {@code publish} says, and runs the four configurations, loading that version.
     *
     * @throws IllegalArgumentException when the registry cannot be opened or written
     */
    public Report run(Path datasets, Publish publish) {
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
        double sourceAccuracy;
        double pretrainSeconds;
        ComponentVersion published;
        try (ModelGraph g = graph(settings.sourceClasses().length, settings.seed())) {
            String weightsBefore = Fingerprint.weights(g.component(ENCODER).parameters().values());
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            long steps;
            EvalResult source;
            try (Trainer t = Trainer.builder().plan(plan).optimizer(adam).batchSize(64)
                    .epochs(settings.pretrainEpochs()).seed(settings.seed()).listener(listener).build()) {
                TrainResult r = t.fit(sourceTrain, null);
                pretrainSeconds = r.trainSeconds();
                steps = r.steps();
                source = t.evaluate(sourceTest);
                sourceAccuracy = source.accuracy();
            }
            Ledger.Origin origin = new Ledger.Origin(Ledger.RUN, publish.runId(), publish.recipeSha256(),
                    publish.command(), ENCODER, null, null, null, weightsBefore);
            List<Ledger.Data> data = List.of(
                    new Ledger.Data("train", sourceTrain.name(), sourceTrain.size(), sourceTrain.numClasses(),
                            sourceTrain.fingerprint()),
                    new Ledger.Data("eval", sourceTest.name(), sourceTest.size(), sourceTest.numClasses(),
                            sourceTest.fingerprint()));
            Map<String, Double> metrics = Map.of("source_accuracy", sourceAccuracy, "source_loss", source.loss(),
                    "source_eval_examples", (double) source.examples(), "train_seconds", pretrainSeconds);
            try (Registry registry = Registry.open(publish.registry())) {
                published = registry.publishComponent(g.component(ENCODER), encoderConfig(),
                        new Registry.Trained(origin, data, steps, metrics), publish.name(), null);
            }
        }
        Encoder encoder = new Encoder(published.ref().toString(), published.blobSha256(), published.weightsHash());
        log.accept(String.format(Locale.ROOT, "pretrained in %.1f s; source test accuracy %.3f; published as %s in %s",
                pretrainSeconds, sourceAccuracy, encoder.ref(), publish.registry().display()));

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
        try (RegistrySource registry = new RegistrySource(publish.registry())) {
            for (Variant v : variants) {
                // the pretrained configurations take the encoder as a config's from: "registry:NAME@VERSION" does
                ComponentSource.Resolved start = v.pretrained() ? registry.resolve(encoder.ref(), ENCODER) : null;
                results.add(runVariant(v, start, targetPool, targetTest, adam));
                ConfigResult r = results.get(results.size() - 1);
                log.accept(String.format(Locale.ROOT, "%-15s accuracy %.3f ± %.3f  (%.1f s)%s", r.name(), r.accuracy(),
                        r.accuracyStd(), r.trainSeconds(), Double.isNaN(r.cacheSecondsSaved()) ? ""
                                : String.format(Locale.ROOT, "; feature cache saved %.2f s per draw", r.cacheSecondsSaved())));
            }
        }
        return new Report(settings, sourceAccuracy, pretrainSeconds, encoder, results);
    }

    /** The encoder's {@code model.components} entry: what the registry version records as its config. */
    private ObjectNode encoderConfig() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("name", ENCODER);
        n.put("type", "conv_encoder");
        n.putArray("input").add(IMAGE[0]).add(IMAGE[1]).add(IMAGE[2]);
        ArrayNode widths = n.putArray("widths");
        for (long w : settings.widths()) {
            widths.add(w);
        }
        return n;
    }

    private record Variant(String name, String description, boolean pretrained, FreezePolicy policy) {}

    private ConfigResult runVariant(
            Variant v, ComponentSource.Resolved encoder, Dataset pool, Dataset test, OptimizerSpec adam) {
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
                if (encoder != null) {
                    encoder.weights().load(g); // checked against the version's blob SHA-256 and weights hash
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
                cached ? saved / settings.repeats() : Double.NaN,
                encoder == null ? null : new Encoder(encoder.registryName() + "@" + encoder.version(),
                        encoder.weightsSha256(), encoder.weightsHash()));
    }

    private ModelGraph graph(int classes, long seed) {
        long[] w = settings.widths();
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, " + IMAGE[0] + ", " + IMAGE[1] + ", " + IMAGE[2] + "]"))
                .add(new ComponentConfig.ConvEncoder(ENCODER, Arrays.stream(IMAGE).boxed().toList(),
                        Arrays.stream(w).boxed().toList()).toComponent())
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
