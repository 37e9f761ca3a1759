package dev.floe.bench;

import dev.floe.components.TransformerEncoder;
import dev.floe.data.Examples;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.text.MiniLm;
import dev.floe.train.Trainer;
import java.util.List;
import java.util.Locale;

/**
 * B9's measurement of one arm in a fresh JVM: builds the encoder with a linear head, applies the
 * arm's freezing, takes {@value #STEPS} AdamW steps at the given batch and prints Floe's byte counts
 * and the process's resident set as {@code key=value} lines.
 */
final class MemoryProbe {

    static final int STEPS = 2;
    static final double LR = 1e-4;
    static final String LORA_TARGET = "encoder/**/attention/self/{query,value}";
    static final int LORA_RANK = 8;
    /** The segments checkpointed by the optional fifth argument: every encoder layer, as B11 does. */
    static final String CHECKPOINTED = CheckpointBench.GLOB;
    private static final long SEED = 9;

    /** The arms of B9. */
    enum Arm {
        /** The encoder frozen, the head trains. */
        FROZEN,
        /** LoRA r=8 on the attention queries and values, the encoder's own weights frozen, the head trains. */
        LORA,
        /** Everything trains. */
        FULL
    }

    private MemoryProbe() {}

    /**
     * {@code frozen|lora|full batch seq full|small [checkpointed]}: prints the measurements; with
     * {@code checkpointed} every encoder layer is a gradient checkpointing segment
     * ({@value #CHECKPOINTED}).
     */
    public static void main(String[] args) {
        Arm arm = Arm.valueOf(args[0].toUpperCase(Locale.ROOT));
        int batch = Integer.parseInt(args[1]);
        int seq = Integer.parseInt(args[2]);
        boolean minilm = args[3].equals("full");
        List<String> checkpointing = args.length > 4 && args[4].equals("checkpointed") ? List.of(CHECKPOINTED) : List.of();
        double built;
        try (ModelGraph g = graph(minilm, seq)) {
            FreezePolicy policy = switch (arm) {
                case FULL -> FreezePolicy.trainAll();
                case FROZEN -> FreezePolicy.builder().freeze("encoder/**").build();
                case LORA -> {
                    Lora.inject(g, LoraSpec.of("qv", LORA_RANK, LORA_TARGET));
                    yield FreezePolicy.builder().freeze("encoder/**").build();
                }
            };
            FreezePlan plan = policy.resolve(g);
            Examples data = Synthetic.tokens(STEPS * batch, seq, SEED);
            System.gc();
            built = ProcessStats.rssMb();
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(LR)).batchSize(batch).seed(SEED)
                    .checkpointing(checkpointing).build()) {
                t.run(data, null);
                System.out.println("parameter_bytes=" + plan.totalCount() * Measured.FP32_BYTES);
                System.out.println("gradient_bytes=" + plan.trainableCount() * Measured.FP32_BYTES);
                System.out.println("optimizer_bytes=" + t.optimizer().stateBytes());
                System.out.println("activation_bytes=" + t.peakForwardBytes());
                System.out.println("trainable_params=" + plan.trainableCount());
            }
        }
        System.out.println("built_rss_mb=" + String.format(Locale.ROOT, "%.3f", built));
        System.out.println("peak_rss_mb=" + String.format(Locale.ROOT, "%.3f", ProcessStats.peakRssMb()));
    }

    /** MiniLM's encoder (weights as built: memory does not depend on their values) or a small one, plus a head. */
    static ModelGraph graph(boolean minilm, int seq) {
        TransformerEncoder encoder = minilm ? MiniLm.encoder("encoder")
                : TransformerEncoder.builder().name("encoder").vocab(Synthetic.VOCAB).hidden(64).layers(1).heads(2)
                        .intermediate(128).maxPositions(seq).build();
        return Synthetic.textClassifier(encoder, encoder.config().hidden(), SEED);
    }
}
