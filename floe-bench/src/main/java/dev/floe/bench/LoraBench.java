package dev.floe.bench;

import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.data.Examples;
import dev.floe.train.Trainer;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * B3 LoRA: training steps of a BERT-style encoder with LoRA r=8 on attention query and value plus a
 * head, against full fine-tuning of the same model (the peer). The limit is the theory: a frozen
 * weight costs its forward and input-gradient matmuls but not its weight-gradient one, so LoRA can
 * be at most {@value #THEORY_SPEEDUP}x faster (4P vs 6P per token).
 */
final class LoraBench {

    static final int RANK = 8;
    static final String TARGET = "encoder/**/attention/self/{query,value}";
    static final double THEORY_SPEEDUP = 1.5;
    /** LoRA must be at least this many times faster than full fine-tuning. */
    static final double SPEEDUP_TARGET = 1.3;
    static final double LR = 1e-4;
    private static final long SEED = 3;

    private LoraBench() {}

    static BenchResult run(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        int batch = BenchSettings.LORA_BATCH;
        int steps = s.loraSteps();
        Examples data = Synthetic.tokens(steps * batch, s.seqLength(), SEED);
        OptimizerSpec spec = OptimizerSpec.adamW(LR);
        try (ModelGraph full = graph(s); ModelGraph lora = graph(s)) {
            Lora.inject(lora, LoraSpec.of("qv", RANK, TARGET));
            FreezePlan fullPlan = FreezePolicy.trainAll().resolve(full);
            FreezePlan loraPlan = FreezePolicy.builder().freeze("encoder/**").build().resolve(lora);
            try (Trainer fullTrainer = trainer(fullPlan, spec, batch); Trainer loraTrainer = trainer(loraPlan, spec, batch)) {
                DoubleSupplier a = () -> Interleaved.time(() -> loraTrainer.run(data, null)) / steps;
                DoubleSupplier b = () -> Interleaved.time(() -> fullTrainer.run(data, null)) / steps;
                log.accept("B3: " + s.trials() + " interleaved trials of " + steps + " steps: LoRA, full fine-tuning");
                double[] m = Interleaved.medians(s.warmup(), s.trials(), List.of(a, b));
                long stateBytes = loraTrainer.optimizer().stateBytes();
                long trainable = loraPlan.trainableCount();
                boolean exactState = stateBytes == spec.stateBytesPerParameter() * trainable;
                double ratio = m[0] / m[1];
                boolean fast = ratio <= 1 / SPEEDUP_TARGET;
                String notes = "encoder hidden " + s.transformerHidden() + ", " + s.transformerLayers() + " layers, "
                        + s.transformerHidden() / BenchSettings.HEAD_WIDTH + " heads, seq " + s.seqLength() + ", batch "
                        + batch + ", vocab " + Synthetic.VOCAB + ", dropout 0, AdamW; LoRA r=" + RANK + " on " + TARGET
                        + " with the base frozen, head trains; speedup " + Measured.x(1 / ratio) + "x (target >= "
                        + SPEEDUP_TARGET + "x: " + (fast ? "met" : "missed") + "; theory at most " + THEORY_SPEEDUP
                        + "x, limit_seconds = full step / " + THEORY_SPEEDUP + "); trainable " + trainable + " of "
                        + loraPlan.totalCount() + " (full fine-tuning " + fullPlan.trainableCount() + "); Adam state "
                        + stateBytes + " bytes = " + (exactState ? "exactly" : "NOT") + " 8 x trainable ("
                        + 8 * trainable + "); full fine-tuning state " + fullTrainer.optimizer().stateBytes() + " bytes";
                return new BenchResult("B3", "LoRA r=8 on attention q,v vs full fine-tuning: training step",
                        "optimizer step", m[0], m[1] / THEORY_SPEEDUP, "full fine-tuning (Floe, same model)", m[1],
                        1 / SPEEDUP_TARGET, "ratio_to_peer", fast && exactState, notes,
                        Measured.memory(loraPlan, loraTrainer.optimizer()))
                        .withPhases(List.of(new BenchResult.Phases("lora", loraTrainer.takePhases()),
                                new BenchResult.Phases("full", fullTrainer.takePhases())));
            }
        }
    }

    private static Trainer trainer(FreezePlan plan, OptimizerSpec spec, int batch) {
        return Trainer.builder().plan(plan).optimizer(spec).batchSize(batch).seed(SEED).profilePhases(true).build();
    }

    private static ModelGraph graph(BenchSettings s) {
        return Synthetic.transformerClassifier(s, 0, SEED);
    }
}
