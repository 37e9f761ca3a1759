package dev.floe.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.components.LinearHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.data.TextDataset;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.onnx.OnnxModel;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.AdapterSpec;
import dev.floe.peft.Adapters;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.text.BertImport;
import dev.floe.text.MiniLm;
import dev.floe.text.TokenizedExamples;
import dev.floe.text.Tokenizer;
import dev.floe.schedule.Schedule;
import dev.floe.schedule.Stage;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import dev.floe.train.TrainingListener;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Spam filtering with the pretrained MiniLM encoder under four fine-tuning configurations at one
 * budget, scored on sub-corpora the training data does not come from.
 *
 * <p>Training texts: {@link Settings#trainPerClass()} each from {@code easy-ham-1} (ham) and
 * {@code spam-1} (spam). Test texts: {@link Settings#hardHam()} from {@code hard-ham-1} (ham that
 * looks like spam), {@link Settings#easyHam()} from {@code easy-ham-2} and {@link Settings#spam()}
 * from {@code spam-2} (later collections); test texts that also occur in the training draw are
 * skipped. Every text is cut to {@link Settings#maxTokens()} word pieces.
 *
 * <p>Every configuration starts from the same pretrained weights and the same head
 * initialisation and gets the same budget: {@link Settings#epochs()} passes over the same training
 * texts in the same order and batches (so the same number of examples and optimizer steps), AdamW
 * at the same base rate. The new head learns at {@link Settings#headLrScale()} times the base
 * rate everywhere; in full fine-tuning the pretrained weights learn at
 * {@link Settings#fullLrScale()} times it (the usual small rate for a pretrained transformer),
 * while LoRA and adapter parameters, which start at zero effect, learn at the base rate.
 */
public final class TextDemo {

    /** Name of the encoder component. */
    public static final String ENCODER = "encoder";
    /** Name of the classification head. */
    public static final String HEAD = "head";
    /** Graph output holding the logits. */
    public static final String LOGITS = "logits";
    /** Name of the LoRA module in the LoRA configuration. */
    public static final String LORA = "lora";
    /** Name of the adapter in the adapter configuration. */
    public static final String ADAPTER = "adapter";
    /** LoRA targets: the query and value projections of every attention layer. */
    public static final String LORA_TARGET = ENCODER + "/**/attention/self/{query,value}";
    /** Adapter targets: after the attention output projection and after the feed-forward output projection. */
    public static final String ADAPTER_TARGET = ENCODER + "/**/{attention/output/dense,output/dense}";
    /** Forward passes made before timing latency (first calls allocate and pick kernels). */
    private static final int LATENCY_WARMUP = 2;
    /**
     * Test texts per forward pass when scoring. Measured with MiniLM at 64 tokens on one engine
     * thread: 22 ms per text at batch 16, 43 at batch 64 and 68 at batch 256 (large intermediate
     * tensors fall out of cache), so small batches score fastest.
     */
    private static final int EVAL_BATCH = 16;

    /** The configurations in report order. */
    public static final List<String> CONFIGURATIONS = List.of("frozen_head", "lora_r8_qv", "adapters", "full_finetune");

    /**
     * @param trainPerClass training texts per class (ham from easy-ham-1, spam from spam-1)
     * @param hardHam test texts from hard-ham-1 (at most 250 exist)
     * @param easyHam test texts from easy-ham-2
     * @param spam test texts from spam-2
     * @param maxTokens word pieces per text, [CLS] and [SEP] included; longer texts are cut
     * @param epochs passes over the training texts, for every configuration
     * @param batchSize texts per optimizer step
     * @param lr AdamW base learning rate
     * @param headLrScale the new head's rate as a multiple of {@code lr}
     * @param fullLrScale the pretrained weights' rate in full fine-tuning, as a multiple of {@code lr}
     * @param loraRank rank of LoRA on query and value (alpha = 2 · rank)
     * @param adapterBottleneck adapter width
     * @param latencyTexts test texts timed one at a time for latency
     * @param seed seed of the draws, the head initialisation, shuffling and dropout
     */
    public record Settings(
            int trainPerClass,
            int hardHam,
            int easyHam,
            int spam,
            int maxTokens,
            int epochs,
            int batchSize,
            double lr,
            double headLrScale,
            double fullLrScale,
            int loraRank,
            int adapterBottleneck,
            int latencyTexts,
            long seed) {

        public Settings {
            positive("trainPerClass", trainPerClass);
            positive("hardHam + easyHam + spam", hardHam + easyHam + spam);
            positive("epochs", epochs);
            positive("batchSize", batchSize);
            positive("loraRank", loraRank);
            positive("adapterBottleneck", adapterBottleneck);
            positive("latencyTexts", latencyTexts);
            if (hardHam < 0 || easyHam < 0 || spam < 0) {
                throw new IllegalArgumentException(
                        "text demo: test counts must be >= 0, found hardHam " + hardHam + ", easyHam " + easyHam
                                + ", spam " + spam);
            }
            if (maxTokens < 2 || maxTokens > MiniLm.CONFIG.maxPositions()) {
                throw new IllegalArgumentException("text demo: maxTokens is " + maxTokens + "; MiniLM takes 2 to "
                        + MiniLm.CONFIG.maxPositions() + " tokens");
            }
            if (!(lr > 0) || !(headLrScale > 0) || !(fullLrScale > 0)) {
                throw new IllegalArgumentException("text demo: lr " + lr + ", headLrScale " + headLrScale
                        + " and fullLrScale " + fullLrScale + " must all be > 0");
            }
        }

        private static void positive(String field, int value) {
            if (value < 1) {
                throw new IllegalArgumentException("text demo: " + field + " is " + value + "; it must be at least 1");
            }
        }

        /** The full demo. */
        public static Settings full() {
            return new Settings(150, 250, 100, 250, 64, 2, 16, 1e-3, 10, 0.1, 8, 32, 50, 42);
        }

        /** A small version for tests: a few short texts, one epoch. */
        public static Settings quick() {
            return new Settings(8, 4, 4, 8, 24, 1, 8, 1e-3, 10, 0.1, 8, 32, 4, 42);
        }

        /** Training examples seen by every configuration. */
        public int examplesPerConfiguration() {
            return 2 * trainPerClass * epochs;
        }
    }

    /**
     * One configuration's outcome.
     *
     * @param name one of {@link #CONFIGURATIONS}
     * @param description what trains
     * @param accuracy on all test texts
     * @param accuracyByCorpus per test sub-corpus, in the order hard-ham-1, easy-ham-2, spam-2
     * @param trainableParams trainable scalars (head included)
     * @param totalParams all scalars of the graph, LoRA or adapter parameters included
     * @param optimizerStateBytes AdamW state held after training (measured)
     * @param trainSeconds wall time of training
     * @param trainCpuSeconds CPU time of the whole process during training (all threads; NaN where
     *     the JVM cannot tell); close to the wall time when the machine is not shared
     * @param steps optimizer steps
     * @param examplesSeen training examples processed
     * @param peakRssMb peak resident memory from building this configuration's graph to the end of
     *     its training (evaluation excluded)
     * @param latencyMsPerExample inference time of one text at a time, mean over the latency texts
     * @param latencyMsMerged the same after merging LoRA into the base weights; NaN where nothing merges
     * @param mergeMaxAbsDiff largest difference between merged and unmerged logits on the latency texts; NaN where nothing merges
     * @param evalSeconds wall time of scoring all test texts
     */
    public record ConfigResult(
            String name,
            String description,
            double accuracy,
            Map<String, Double> accuracyByCorpus,
            long trainableParams,
            long totalParams,
            long optimizerStateBytes,
            double trainSeconds,
            double trainCpuSeconds,
            long steps,
            long examplesSeen,
            double peakRssMb,
            double latencyMsPerExample,
            double latencyMsMerged,
            double mergeMaxAbsDiff,
            double evalSeconds) {}

    /**
     * The whole run.
     *
     * @param trainData what was trained on
     * @param trainSize training texts
     * @param testCounts test texts per sub-corpus
     * @param meanTrainTokens mean word pieces per training text after cutting
     * @param truncatedFraction fraction of training texts cut at {@code maxTokens}
     * @param setupSeconds reading the data and the ONNX model, tokenizing
     * @param totalSeconds the whole run
     * @param results in the order of {@link #CONFIGURATIONS}
     */
    public record Report(
            Settings settings,
            String trainData,
            int trainSize,
            Map<String, Integer> testCounts,
            double meanTrainTokens,
            double truncatedFraction,
            double setupSeconds,
            double totalSeconds,
            List<ConfigResult> results) {}

    private final Settings settings;
    private final Consumer<String> log;
    /** Memory for cached frozen-encoder features (300 texts × 384 floats need well under 1 MB). */
    private static final long FEATURE_CACHE_BYTES = 256L << 20;
    private final TrainingListener listener;

    /**
     * @param settings what to run
     * @param log receives one line per phase
     * @param listener receives training progress (for a progress bar)
     */
    public TextDemo(Settings settings, Consumer<String> log, TrainingListener listener) {
        this.settings = settings;
        this.log = log;
        this.listener = listener;
    }

    /** Runs the four configurations on the bundled SpamAssassin data under {@code datasets}. */
    public Report run(Path datasets) {
        long start = System.nanoTime();
        Settings s = settings;
        TextCorpus train = TextCorpus.read(datasets, "train");
        TextCorpus test = TextCorpus.read(datasets, "test");
        TextDataset ham = train.draw("easy-ham-1", s.trainPerClass(), s.seed(), Set.of());
        TextDataset spam = train.draw("spam-1", s.trainPerClass(), s.seed() + 1, Set.of());
        TextDataset trainSet = concat("spam-assassin/train: " + ham.size() + " easy-ham-1 + " + spam.size() + " spam-1",
                List.of(ham, spam));
        Set<String> seen = new HashSet<>(trainSet.texts());
        Map<String, TextDataset> testParts = new LinkedHashMap<>();
        testParts.put("hard-ham-1", test.draw("hard-ham-1", s.hardHam(), s.seed() + 2, seen));
        testParts.put("easy-ham-2", test.draw("easy-ham-2", s.easyHam(), s.seed() + 3, seen));
        testParts.put("spam-2", test.draw("spam-2", s.spam(), s.seed() + 4, seen));

        OnnxModel onnx = MiniLm.onnx();
        TokenizedExamples trainEx;
        TokenizedExamples testAll;
        try (Tokenizer tok = Tokenizer.fromResource(MiniLm.TOKENIZER_RESOURCE, s.maxTokens())) {
            trainEx = TokenizedExamples.of(trainSet, tok);
            testAll = TokenizedExamples.of(concat("spam-assassin/test", List.copyOf(testParts.values())), tok);
        }
        Map<String, TokenizedExamples> testEx = new LinkedHashMap<>();
        int from = 0;
        for (Map.Entry<String, TextDataset> e : testParts.entrySet()) {
            int n = e.getValue().size();
            if (n > 0) {
                int[] rows = new int[n];
                Arrays.setAll(rows, i -> i);
                final int offset = from;
                testEx.put(e.getKey(), testAll.subset(Arrays.stream(rows).map(i -> i + offset).toArray(), e.getKey()));
            }
            from += n;
        }
        int latencyCount = Math.min(s.latencyTexts(), testAll.size());
        TokenizedExamples latencyEx = testAll.subset(
                Arrays.copyOf(testAll.shuffledIndices(s.seed()), latencyCount), "latency texts");
        int truncated = 0;
        for (int i = 0; i < trainEx.size(); i++) {
            truncated += trainEx.tokens(i) >= s.maxTokens() ? 1 : 0;
        }
        double truncatedFraction = (double) truncated / trainEx.size();
        double setupSeconds = (System.nanoTime() - start) / 1e9;
        Map<String, Integer> testCounts = new LinkedHashMap<>();
        testEx.forEach((k, v) -> testCounts.put(k, v.size()));
        log.accept(String.format(Locale.ROOT,
                "train: %s (mean %.1f word pieces, %.0f%% cut at %d); test: %s; set up in %.1f s",
                trainSet.name(), trainEx.meanTokens(), 100 * truncatedFraction, s.maxTokens(), testCounts, setupSeconds));
        log.accept(String.format(Locale.ROOT,
                "budget for every configuration: %d epoch(s) x %d texts = %d examples, batch %d, AdamW lr %.0e"
                        + " (head x%.0f; full fine-tuning encoder x%.2f)",
                s.epochs(), trainEx.size(), s.epochs() * trainEx.size(), s.batchSize(), s.lr(), s.headLrScale(),
                s.fullLrScale()));

        List<ConfigResult> results = new ArrayList<>();
        for (String name : CONFIGURATIONS) {
            ConfigResult r = runConfiguration(name, onnx, trainEx, testEx, latencyEx);
            results.add(r);
            log.accept(String.format(Locale.ROOT, "%-14s accuracy %.3f %s  train %.1f s, %.1f ms/text%s",
                    r.name(), r.accuracy(), r.accuracyByCorpus(), r.trainSeconds(), r.latencyMsPerExample(),
                    Double.isNaN(r.latencyMsMerged()) ? ""
                            : String.format(Locale.ROOT, " (merged %.1f ms/text)", r.latencyMsMerged())));
        }
        return new Report(s, trainSet.name(), trainEx.size(), testCounts, trainEx.meanTokens(), truncatedFraction, setupSeconds,
                (System.nanoTime() - start) / 1e9, results);
    }

    private ConfigResult runConfiguration(
            String name,
            OnnxModel onnx,
            TokenizedExamples train,
            Map<String, TokenizedExamples> test,
            TokenizedExamples latencyEx) {
        Settings s = settings;
        ProcessStats.resetPeak();
        try (ModelGraph g = graph(onnx)) {
            FreezePolicy.Builder policy = FreezePolicy.builder();
            String description;
            switch (name) {
                case "frozen_head" -> {
                    policy.freeze(ENCODER + "/**");
                    description = "MiniLM frozen; new linear head on the pooled output trains";
                }
                case "lora_r8_qv" -> {
                    Lora.inject(g, new LoraSpec(LORA, s.loraRank(), 2.0 * s.loraRank(), 0.0, LORA_TARGET));
                    policy.freeze(ENCODER + "/**");
                    description = "LoRA r=" + s.loraRank() + " on attention query and value; head trains";
                }
                case "adapters" -> {
                    Adapters.inject(g, AdapterSpec.of(ADAPTER, s.adapterBottleneck(), ADAPTER_TARGET));
                    policy.freeze(ENCODER + "/**");
                    description = "bottleneck adapters (width " + s.adapterBottleneck()
                            + ") after attention output and FFN output; head trains";
                }
                case "full_finetune" -> {
                    policy.train(ENCODER + "/**", s.fullLrScale());
                    description = "every MiniLM weight trains (at x" + s.fullLrScale() + " the rate); head trains";
                }
                default -> throw new IllegalStateException("unknown configuration " + name);
            }
            policy.train(HEAD + "/**", s.headLrScale());
            // the frozen encoder's pooled outputs are computed once and served to every later epoch
            try (dev.floe.cache.FeatureCache cache = dev.floe.cache.FeatureCache.inMemory(FEATURE_CACHE_BYTES);
                    Trainer t = Trainer.builder().graph(g)
                    .schedule(Schedule.single(Stage.of("train", policy.build(), s.epochs())))
                    .optimizer(OptimizerSpec.adamW(s.lr())).batchSize(s.batchSize()).seed(s.seed())
                    .listener(listener).featureCache(cache).build()) {
                double cpuStart = cpuSeconds();
                TrainResult r = t.run(train, null);
                if (t.cacheStats() != null && t.cacheStats().misses() > 0 && r.epochs().size() > 1) {
                    double first = r.epochs().get(0).seconds();
                    double later = r.epochs().get(r.epochs().size() - 1).seconds();
                    log.accept(String.format(Locale.ROOT,
                            "%s: feature cache computed the frozen encoder's outputs once (%.1f s) before epoch 1;"
                                    + " epochs then took %.2f s and %.2f s instead of recomputing the encoder each time",
                            name, t.cacheStats().computeSeconds(), first, later));
                }
                double trainCpu = cpuSeconds() - cpuStart;
                double peakRss = ProcessStats.peakRssMb();
                FreezePlan plan = t.plans().get(0);
                long evalStart = System.nanoTime();
                Map<String, Double> byCorpus = new LinkedHashMap<>();
                long correct = 0;
                long total = 0;
                for (Map.Entry<String, TokenizedExamples> e : test.entrySet()) {
                    long c = correct(g, e.getValue());
                    byCorpus.put(e.getKey(), (double) c / e.getValue().size());
                    correct += c;
                    total += e.getValue().size();
                }
                double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
                float[][] logits = new float[latencyEx.size()][];
                double latency = latencyMs(g, latencyEx, logits);
                double merged = Double.NaN;
                double diff = Double.NaN;
                if (name.equals("lora_r8_qv")) {
                    Lora.merge(g, LORA);
                    float[][] mergedLogits = new float[latencyEx.size()][];
                    merged = latencyMs(g, latencyEx, mergedLogits);
                    diff = maxAbsDiff(logits, mergedLogits);
                }
                return new ConfigResult(name, description, (double) correct / total, byCorpus,
                        plan.trainableCount(), plan.totalCount(), t.optimizer().stateBytes(), r.trainSeconds(),
                        trainCpu, r.steps(), (long) s.epochs() * train.size(), peakRss, latency, merged, diff, evalSeconds);
            }
        }
    }

    /** input_ids, attention_mask → MiniLM with pretrained weights → pooled → new linear head → logits. */
    private ModelGraph graph(OnnxModel onnx) {
        TransformerEncoder encoder = MiniLm.encoder(ENCODER);
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        ModelGraph g = ModelGraph.builder()
                .input(TokenizedExamples.INPUT_IDS, ids)
                .input(TokenizedExamples.ATTENTION_MASK, ids)
                .add(encoder)
                .add(LinearHead.of(HEAD, MiniLm.CONFIG.hidden(), TextCorpus.CLASSES.size()))
                .wire(TokenizedExamples.INPUT_IDS, ENCODER + ".input_ids")
                .wire(TokenizedExamples.ATTENTION_MASK, ENCODER + ".attention_mask")
                .wire(ENCODER + ".pooled", HEAD + ".in")
                .output(LOGITS, HEAD + ".logits")
                .seed(settings.seed())
                .build();
        try {
            BertImport.load(encoder, onnx);
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /**
     * Mean milliseconds per text of inference one text at a time over {@code texts}, after
     * {@value #LATENCY_WARMUP} untimed passes; each text's logits go to {@code logits}.
     */
    private static double latencyMs(ModelGraph g, TokenizedExamples texts, float[][] logits) {
        for (int w = 0; w < LATENCY_WARMUP; w++) {
            forwardOne(g, texts, w % texts.size());
        }
        long start = System.nanoTime();
        for (int i = 0; i < texts.size(); i++) {
            logits[i] = forwardOne(g, texts, i);
        }
        return (System.nanoTime() - start) / 1e6 / texts.size();
    }

    private static float[] forwardOne(ModelGraph g, TokenizedExamples texts, int i) {
        try (NDManager batch = g.manager().newSubManager()) {
            Map<String, NDArray> x = texts.inputs(batch, new int[] {i}); // (1, T) each
            return g.forward(x, ForwardContext.INFERENCE, List.of(LOGITS)).get(LOGITS).toFloatArray(); // (1, 2)
        }
    }

    /**
     * Test texts whose largest logit is the label's, scored in inference mode in batches of
     * {@value #EVAL_BATCH}.
     */
    private static long correct(ModelGraph g, TokenizedExamples texts) {
        long correct = 0;
        for (int from = 0; from < texts.size(); from += EVAL_BATCH) {
            int[] idx = new int[Math.min(EVAL_BATCH, texts.size() - from)];
            Arrays.setAll(idx, i -> i);
            for (int i = 0; i < idx.length; i++) {
                idx[i] += from;
            }
            try (NDManager batch = g.manager().newSubManager()) {
                Map<String, NDArray> x = texts.inputs(batch, idx); // (B, T) each
                float[] logits = g.forward(x, ForwardContext.INFERENCE, List.of(LOGITS)).get(LOGITS).toFloatArray(); // (B, C)
                int classes = logits.length / idx.length;
                for (int i = 0; i < idx.length; i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        best = logits[i * classes + c] > logits[i * classes + best] ? c : best;
                    }
                    correct += best == texts.label(idx[i]) ? 1 : 0;
                }
            }
        }
        return correct;
    }

    /** CPU time of the whole process in seconds, or NaN where the JVM does not report it. */
    private static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long nanos = os.getProcessCpuTime();
            return nanos < 0 ? Double.NaN : nanos / 1e9;
        }
        return Double.NaN;
    }

    private static double maxAbsDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    private static TextDataset concat(String name, List<TextDataset> parts) {
        List<String> texts = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (TextDataset d : parts) {
            texts.addAll(d.texts());
            for (int l : d.labels()) {
                labels.add(l);
            }
        }
        return TextDataset.of(name, texts, labels.stream().mapToInt(Integer::intValue).toArray(), TextCorpus.CLASSES);
    }
}
