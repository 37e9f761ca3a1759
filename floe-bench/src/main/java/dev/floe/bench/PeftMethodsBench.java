package dev.floe.bench;

import dev.floe.data.Examples;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.Adapters;
import dev.floe.peft.AdapterSpec;
import dev.floe.peft.Dora;
import dev.floe.peft.DoraSpec;
import dev.floe.peft.Ia3;
import dev.floe.peft.Ia3Spec;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.peft.PrefixSpec;
import dev.floe.peft.PromptSpec;
import dev.floe.peft.Prompts;
import dev.floe.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * B12 PEFT methods: training steps of B3's encoder (same widths, layers, sequence, batch, data and
 * AdamW) with each parameter-efficient method against full fine-tuning of the same model, all arms
 * interleaved in one process. One result per method, id {@code B12-<method>}: its median step time,
 * full fine-tuning as the peer, its trainable parameters and the Adam state it actually holds. No
 * target: the numbers are reported, not judged; {@code met} says only that the optimizer holds
 * exactly {@code 8 x trainable} bytes (two fp32 moments per trainable scalar).
 *
 * <p>The encoder has {@value #VIRTUAL_TOKENS} more positions than B3's so that prompt tuning's
 * virtual tokens fit beside the real ones; every arm uses this same encoder.
 */
final class PeftMethodsBench {

    /** Rank of LoRA and DoRA (as B3). */
    static final int RANK = 8;
    /** Virtual tokens of prompt tuning and prefix positions of prefix tuning. */
    static final int VIRTUAL_TOKENS = 10;
    /** Hidden width of the bottleneck adapters. */
    static final int BOTTLENECK = 32;
    /** LoRA and DoRA target: attention query and value (as B3). */
    static final String QV = LoraBench.TARGET;
    /** IA3 target: attention key and value outputs, and the feed-forward output layer's input. */
    static final String IA3_TARGET = "encoder/*/{attention/self/{key,value},output/dense}";
    /** IA3 layers whose input (the feed-forward's inner activation) is scaled. */
    static final String IA3_FEEDFORWARD = "encoder/*/output/dense";
    /** Adapter target: after the attention output and feed-forward output projections of every layer. */
    static final String ADAPTER_TARGET = "encoder/**/output/dense";
    private static final long SEED = 3;

    /** One arm: a name, how to turn the plain model into it, and what the arm's notes say it is. */
    private record Method(String name, String what, Consumer<ModelGraph> inject) {}

    private static final List<Method> METHODS = List.of(
            new Method("lora", "LoRA r=" + RANK + " on " + QV, g -> Lora.inject(g, LoraSpec.of("m", RANK, QV))),
            new Method("dora", "DoRA r=" + RANK + " on " + QV, g -> Dora.inject(g, DoraSpec.of("m", RANK, QV))),
            new Method("ia3", "IA3 on " + IA3_TARGET + " (input of " + IA3_FEEDFORWARD + ")",
                    g -> Ia3.inject(g, new Ia3Spec("m", IA3_TARGET, IA3_FEEDFORWARD))),
            new Method("prefix", "prefix tuning, " + VIRTUAL_TOKENS + " positions per layer",
                    g -> Prompts.inject(g, new PrefixSpec("m", VIRTUAL_TOKENS, "encoder"), true)),
            new Method("prompt", "prompt tuning, " + VIRTUAL_TOKENS + " virtual tokens",
                    g -> Prompts.inject(g, new PromptSpec("m", VIRTUAL_TOKENS, "encoder"), true)),
            new Method("adapter", "bottleneck adapters " + BOTTLENECK + " after " + ADAPTER_TARGET,
                    g -> Adapters.inject(g, AdapterSpec.of("m", BOTTLENECK, ADAPTER_TARGET))));

    private PeftMethodsBench() {}

    /** The method names, in the order of the results. */
    static List<String> methods() {
        return METHODS.stream().map(Method::name).toList();
    }

    static List<BenchResult> run(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        int batch = BenchSettings.LORA_BATCH;
        int steps = s.loraSteps();
        Examples data = Synthetic.tokens(steps * batch, s.seqLength(), SEED);
        OptimizerSpec spec = OptimizerSpec.adamW(LoraBench.LR);
        List<ModelGraph> graphs = new ArrayList<>();
        List<Trainer> trainers = new ArrayList<>();
        try {
            List<FreezePlan> plans = new ArrayList<>();
            for (Method m : METHODS) {
                ModelGraph g = graph(s);
                graphs.add(g);
                m.inject().accept(g);
                plans.add(FreezePolicy.builder().freeze("encoder/**").build().resolve(g));
            }
            ModelGraph full = graph(s);
            graphs.add(full);
            plans.add(FreezePolicy.trainAll().resolve(full));
            List<DoubleSupplier> arms = new ArrayList<>();
            for (FreezePlan plan : plans) {
                Trainer t = Trainer.builder().plan(plan).optimizer(spec).batchSize(batch).seed(SEED).build();
                trainers.add(t);
                arms.add(() -> Interleaved.time(() -> t.run(data, null)) / steps);
            }
            log.accept("B12: " + s.trials() + " interleaved trials of " + steps + " steps: "
                    + String.join(", ", methods()) + ", full fine-tuning");
            double[] m = Interleaved.medians(s.warmup(), s.trials(), arms);
            int fullIndex = METHODS.size();
            double fullStep = m[fullIndex];
            long fullTrainable = plans.get(fullIndex).trainableCount();
            long fullState = trainers.get(fullIndex).optimizer().stateBytes();
            List<BenchResult> results = new ArrayList<>();
            for (int i = 0; i < METHODS.size(); i++) {
                Method method = METHODS.get(i);
                FreezePlan plan = plans.get(i);
                long trainable = plan.trainableCount();
                long state = trainers.get(i).optimizer().stateBytes();
                boolean exact = state == spec.stateBytesPerParameter() * trainable;
                String notes = "B3's encoder: hidden " + s.transformerHidden() + ", " + s.transformerLayers()
                        + " layers, " + s.transformerHidden() / BenchSettings.HEAD_WIDTH + " heads, seq "
                        + s.seqLength() + " (positions " + (s.seqLength() + VIRTUAL_TOKENS) + "), batch " + batch
                        + ", vocab " + Synthetic.VOCAB + ", dropout 0, AdamW; " + method.what()
                        + " with the encoder frozen, head trains; step " + Measured.ms(m[i]) + " = "
                        + Measured.x(m[i] / fullStep) + " x full fine-tuning's " + Measured.ms(fullStep)
                        + "; trainable " + trainable + " of " + plan.totalCount() + " = "
                        + String.format(java.util.Locale.ROOT, "%.4f", (double) trainable / fullTrainable)
                        + " x full fine-tuning's " + fullTrainable + "; Adam state " + state + " bytes = "
                        + (exact ? "exactly" : "NOT") + " 8 x trainable (" + 8 * trainable + ") = "
                        + String.format(java.util.Locale.ROOT, "%.4f", (double) state / fullState)
                        + " x full fine-tuning's " + fullState + " bytes; no target (reported only)";
                results.add(new BenchResult("B12-" + method.name(),
                        method.what() + " vs full fine-tuning: training step", "optimizer step", m[i], null,
                        "full fine-tuning (Floe, same model)", fullStep, null, null, exact, notes,
                        Measured.memory(plan, trainers.get(i).optimizer())));
            }
            return results;
        } finally {
            for (Trainer t : trainers) {
                t.close();
            }
            for (ModelGraph g : graphs) {
                g.close();
            }
        }
    }

    /** B3's encoder and head, with room for {@value #VIRTUAL_TOKENS} virtual tokens. */
    private static ModelGraph graph(BenchSettings s) {
        return Synthetic.transformerClassifier(s, VIRTUAL_TOKENS, SEED);
    }
}
