package dev.floe.bench;

import dev.floe.components.TransformerEncoder;
import dev.floe.data.Examples;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * B11 gradient checkpointing: full fine-tuning steps of a BERT-style encoder with every layer
 * checkpointed ({@code encoder/layer.*}) against the same model keeping every activation. Targets:
 * the bytes kept for the backward pass (Floe's count: native arrays alive in the batch's scope when
 * the forward pass ends) at most {@value #MEMORY_TARGET}x, the step time at most
 * {@value #TIME_TARGET}x. The resident-set growth of one step of each arm is reported beside them.
 *
 * <p>{@code full} settings use MiniLM's sizes (hidden 384, 6 layers, 12 heads, FFN 1536, dropout 0.1)
 * at seq 128, batch 32, with a {@value Synthetic#VOCAB}-token vocabulary; the others shrink it.
 */
final class CheckpointBench {

    static final String GLOB = "encoder/layer.*";
    static final double MEMORY_TARGET = 0.5;
    static final double TIME_TARGET = 1.4;
    static final float DROPOUT = 0.1f;
    static final double LR = 1e-4;
    private static final long SEED = 11;

    /** The model and batch of one settings name. */
    record Size(long hidden, int layers, long heads, long intermediate, int seq, int batch, int steps) {
        static Size of(BenchSettings s) {
            return switch (s.name()) {
                case "full" -> new Size(384, 6, 12, 1536, 128, 32, 1);
                case "quick" -> new Size(256, 2, 4, 1024, 128, 8, 3);
                default -> new Size(64, 1, 1, 128, 8, 4, 1);
            };
        }
    }

    private CheckpointBench() {}

    static BenchResult run(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        Size z = Size.of(s);
        Examples data = Synthetic.tokens(z.steps() * z.batch(), z.seq(), SEED);
        OptimizerSpec spec = OptimizerSpec.adamW(LR);
        try (ModelGraph plainGraph = graph(z); ModelGraph ckptGraph = graph(z)) {
            FreezePlan plainPlan = FreezePolicy.trainAll().resolve(plainGraph);
            FreezePlan ckptPlan = FreezePolicy.trainAll().resolve(ckptGraph);
            try (Trainer plain = trainer(plainPlan, spec, z, List.of());
                    Trainer ckpt = trainer(ckptPlan, spec, z, List.of(GLOB))) {
                // resident-set growth of one step of each arm, each in a fresh JVM (in this one, memory
                // the allocator kept from one arm hides the other's)
                String[] why = new String[1];
                double ckptRss = RssProbe.measure(true, z, why);
                double plainRss = ckptRss < 0 ? -1 : RssProbe.measure(false, z, why);
                DoubleSupplier a = () -> Interleaved.time(() -> ckpt.run(data, null)) / z.steps();
                DoubleSupplier b = () -> Interleaved.time(() -> plain.run(data, null)) / z.steps();
                log.accept("B11: " + s.trials() + " interleaved trials of " + z.steps()
                        + " steps: every layer checkpointed, no checkpointing");
                double[] m = Interleaved.medians(s.warmup(), s.trials(), List.of(a, b));
                long keptCkpt = ckpt.peakForwardBytes();
                long keptPlain = plain.peakForwardBytes();
                double memRatio = (double) keptCkpt / keptPlain;
                double timeRatio = m[0] / m[1];
                // a growth of 0 means the allocator already held the memory: nothing to compare
                Double rssRatio = plainRss > 0 && ckptRss > 0 ? ckptRss / plainRss : null;
                boolean memMet = memRatio <= MEMORY_TARGET;
                boolean timeMet = timeRatio <= TIME_TARGET;
                long recomputed = ckpt.checkpointing().recomputations().values().stream().mapToLong(Long::longValue).sum();
                String notes = String.format(Locale.ROOT, "encoder hidden %d, %d layers, %d heads, FFN %d, seq %d,"
                                + " batch %d, vocab %d, dropout %.1f, AdamW, full fine-tuning; checkpointing %s."
                                + " Kept for backward (native bytes alive in the batch scope at the end of the forward"
                                + " pass): %d checkpointed vs %d plain = %.3fx (target <= %.1fx: %s). Step time %.3fx"
                                + " (target <= %.1fx: %s). RSS growth of one step, each arm in a fresh JVM after a 2-example step: %.1f MiB checkpointed vs %.1f MiB"
                                + " plain%s. %d segment recomputations in %d steps",
                        z.hidden(), z.layers(), z.heads(), z.intermediate(), z.seq(), z.batch(), Synthetic.VOCAB, DROPOUT,
                        GLOB, keptCkpt, keptPlain, memRatio, MEMORY_TARGET, memMet ? "met" : "missed", timeRatio,
                        TIME_TARGET, timeMet ? "met" : "missed", ckptRss, plainRss,
                         rssRatio == null ? " (not measurable" + (why[0] == null ? "" : ": " + why[0]) + ")"
                                : String.format(Locale.ROOT, " = %.3fx", rssRatio),
                        recomputed, ckpt.steps());
                return new BenchResult("B11", "gradient checkpointing of every encoder layer vs none: training step",
                        "optimizer step", m[0], null, "no checkpointing (Floe, same model)", m[1], TIME_TARGET,
                        "ratio_to_peer", memMet && timeMet, notes, Measured.memory(ckptPlan, ckpt.optimizer()),
                        new BenchResult.Activations(keptCkpt, keptPlain, memRatio, MEMORY_TARGET, ckptRss, plainRss,
                                rssRatio));
            }
        }
    }

    private static Trainer trainer(FreezePlan plan, OptimizerSpec spec, Size z, List<String> checkpointing) {
        return Trainer.builder().plan(plan).optimizer(spec).batchSize(z.batch()).seed(SEED)
                .checkpointing(checkpointing).build();
    }

    static ModelGraph graph(Size z) {
        return Synthetic.textClassifier(TransformerEncoder.builder()
                        .name("encoder")
                        .vocab(Synthetic.VOCAB)
                        .hidden(z.hidden())
                        .layers(z.layers())
                        .heads(z.heads())
                        .intermediate(z.intermediate())
                        .maxPositions(z.seq())
                        .dropout(DROPOUT)
                        .build(),
                z.hidden(), SEED);
    }
}
