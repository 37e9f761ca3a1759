package dev.floe.bench;

import dev.floe.engine.ProcessStats;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * B9 memory of freezing: MiniLM with a linear head at seq 128, batch 16, AdamW, trained with the
 * encoder frozen, with LoRA r=8 on the attention queries and values, and fully; each arm in a fresh
 * JVM ({@link MemoryProbe}). Reports Floe's parameter, gradient, optimizer and activation bytes and
 * the child's peak resident set, their ratios to full fine-tuning (targets: frozen at most
 * {@value #FROZEN_TARGET}x, LoRA at most {@value #LORA_TARGET}x of Floe's training bytes), and the
 * largest batch each arm fits into {@value #BUDGET_MB} MiB of resident set, estimated from the growth
 * between two batch sizes and checked by running at that batch. As an extra fact, not part of the
 * targets, it also measures LoRA and full fine-tuning both with gradient checkpointing of every
 * encoder layer ({@value MemoryProbe#CHECKPOINTED}) and reports their ratio.
 */
final class MemoryBench {

    static final double FROZEN_TARGET = 0.3;
    static final double LORA_TARGET = 0.7;
    static final double BUDGET_MB = 2048;

    private MemoryBench() {}

    /** One child's numbers. */
    record Probe(long parameterBytes, long gradientBytes, long optimizerBytes, long activationBytes, long trainable,
            double builtRssMb, double peakRssMb) {
        /** Floe's count of a training step's memory: parameters, gradients, optimizer state, activations. */
        long trainingBytes() {
            return parameterBytes + gradientBytes + optimizerBytes + activationBytes;
        }
    }

    static BenchResult run(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        boolean minilm = !s.name().equals("tiny");
        int seq = minilm ? 128 : 8;
        int batch = minilm ? 16 : 4;
        int small = minilm ? 4 : 2;
        Map<MemoryProbe.Arm, Probe> at = new EnumMap<>(MemoryProbe.Arm.class);
        Map<MemoryProbe.Arm, Probe> atSmall = new EnumMap<>(MemoryProbe.Arm.class);
        List<String> problems = new ArrayList<>();
        log.accept("B9: one fresh JVM per arm and batch (" + small + ", " + batch + "): frozen, LoRA, full");
        for (MemoryProbe.Arm arm : MemoryProbe.Arm.values()) {
            at.put(arm, probe(arm, batch, seq, minilm, problems));
            atSmall.put(arm, probe(arm, small, seq, minilm, problems));
        }
        Probe full = at.get(MemoryProbe.Arm.FULL);
        if (at.containsValue(null) || atSmall.containsValue(null)) {
            return new BenchResult("B9", "memory of freezing: frozen / LoRA / full fine-tuning", "training step",
                    Double.MIN_VALUE, null, null, null, FROZEN_TARGET, "ratio_to_peer", false,
                    "not measured: " + String.join("; ", problems), new BenchResult.Memory(1, 0, 0, 0, -1));
        }
        StringBuilder notes = new StringBuilder(String.format(Locale.ROOT, "%s with a linear head (2 classes), seq %d,"
                        + " batch %d, AdamW, %d steps per fresh JVM (-Xmx1g); bytes are Floe's counts (fp32 parameters,"
                        + " gradients of trainable ones, optimizer state held, activations = native bytes alive in the"
                        + " batch scope when the forward pass ends), RSS is the child's peak resident set.",
                minilm ? "MiniLM (hidden 384, 6 layers, FFN 1536)" : "a 1-layer hidden-64 encoder", seq, batch,
                MemoryProbe.STEPS));
        Map<MemoryProbe.Arm, Double> ratios = new HashMap<>();
        Map<MemoryProbe.Arm, Integer> maxBatch = new EnumMap<>(MemoryProbe.Arm.class);
        for (MemoryProbe.Arm arm : MemoryProbe.Arm.values()) {
            Probe p = at.get(arm);
            Probe q = atSmall.get(arm);
            double ratio = (double) p.trainingBytes() / full.trainingBytes();
            ratios.put(arm, ratio);
            double perExample = (p.peakRssMb() - q.peakRssMb()) / (batch - small);
            double fixed = p.peakRssMb() - batch * perExample;
            int fits = perExample > 0 ? (int) Math.floor((BUDGET_MB - fixed) / perExample) : -1;
            maxBatch.put(arm, fits);
            notes.append(String.format(Locale.ROOT, " %s: parameters %s, gradients %s, optimizer %s, activations %s,"
                            + " total %s = %.3fx full; peak RSS %.0f MiB (%.0f after building) = %.3fx full's;"
                            + " RSS per example %.1f MiB (batch %d: %.0f MiB), so about %d examples per batch fit in %.0f MiB.",
                    arm.name().toLowerCase(Locale.ROOT), mib(p.parameterBytes()), mib(p.gradientBytes()),
                    mib(p.optimizerBytes()), mib(p.activationBytes()), mib(p.trainingBytes()), ratio, p.peakRssMb(),
                    p.builtRssMb(), p.peakRssMb() / full.peakRssMb(), perExample, small, q.peakRssMb(), fits, BUDGET_MB));
        }
        if (minilm) {
            for (MemoryProbe.Arm arm : MemoryProbe.Arm.values()) {
                int fits = maxBatch.get(arm);
                if (fits > batch && fits <= 512) {
                    Probe check = probe(arm, fits, seq, true, problems);
                    notes.append(check == null ? " " + arm + " at batch " + fits + ": not run"
                            : String.format(Locale.ROOT, " Checked: %s at batch %d peaked at %.0f MiB.",
                                    arm.name().toLowerCase(Locale.ROOT), fits, check.peakRssMb()));
                }
            }
        }
        notes.append(checkpointed(batch, seq, minilm, full, problems));
        double frozen = ratios.get(MemoryProbe.Arm.FROZEN);
        double lora = ratios.get(MemoryProbe.Arm.LORA);
        boolean met = frozen <= FROZEN_TARGET && lora <= LORA_TARGET;
        notes.append(String.format(Locale.ROOT, " Targets on Floe's training bytes: frozen %.3f <= %.1f (%s), LoRA %.3f"
                        + " <= %.1f (%s). seconds = frozen's ratio, peer_seconds = 1 (full).", frozen, FROZEN_TARGET,
                frozen <= FROZEN_TARGET ? "met" : "missed", lora, LORA_TARGET, lora <= LORA_TARGET ? "met" : "missed"));
        Probe f = at.get(MemoryProbe.Arm.FROZEN);
        return new BenchResult("B9", "memory of freezing: training bytes of a frozen encoder and of LoRA r=8, relative"
                        + " to full fine-tuning", "bytes ratio", frozen, null, "full fine-tuning (Floe, same model)",
                1.0, FROZEN_TARGET, "ratio_to_peer", met, notes.toString().strip(),
                new BenchResult.Memory(f.parameterBytes(), f.gradientBytes(), f.optimizerBytes(), f.trainable(),
                        f.peakRssMb()));
    }

    /**
     * LoRA and full fine-tuning with every encoder layer checkpointed, the same setting on both
     * sides: their training bytes and peak RSS, the ratio between them, and each against full
     * fine-tuning without checkpointing. Not compared with any target.
     */
    private static String checkpointed(int batch, int seq, boolean minilm, Probe plainFull, List<String> problems) {
        Probe lora = probe(MemoryProbe.Arm.LORA, batch, seq, minilm, true, problems);
        Probe full = probe(MemoryProbe.Arm.FULL, batch, seq, minilm, true, problems);
        if (lora == null || full == null) {
            return " With checkpointing (" + MemoryProbe.CHECKPOINTED + " on both LoRA and full fine-tuning): not"
                    + " measured (" + String.join("; ", problems) + ").";
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, " With gradient checkpointing of every encoder"
                + " layer (%s) on both LoRA and full fine-tuning, batch %d (extra fact, no target):",
                MemoryProbe.CHECKPOINTED, batch));
        for (Probe p : List.of(lora, full)) {
            s.append(String.format(Locale.ROOT, " %s: activations %s, total %s (%.3fx full without checkpointing),"
                            + " peak RSS %.0f MiB;", p == lora ? "lora" : "full", mib(p.activationBytes()),
                    mib(p.trainingBytes()), (double) p.trainingBytes() / plainFull.trainingBytes(), p.peakRssMb()));
        }
        s.append(String.format(Locale.ROOT, " LoRA / full, both checkpointed: training bytes %.3fx, peak RSS %.3fx.",
                (double) lora.trainingBytes() / full.trainingBytes(), lora.peakRssMb() / full.peakRssMb()));
        return s.toString();
    }

    private static Probe probe(MemoryProbe.Arm arm, int batch, int seq, boolean minilm, List<String> problems) {
        return probe(arm, batch, seq, minilm, false, problems);
    }

    private static Probe probe(MemoryProbe.Arm arm, int batch, int seq, boolean minilm, boolean checkpointed,
            List<String> problems) {
        String[] why = new String[1];
        List<String> args = new ArrayList<>(List.of(arm.name().toLowerCase(Locale.ROOT), Integer.toString(batch),
                Integer.toString(seq), minilm ? "full" : "small"));
        if (checkpointed) {
            args.add("checkpointed");
        }
        List<String> lines = RssProbe.child(MemoryProbe.class, args, "1g", why);
        if (lines == null) {
            problems.add(arm + (checkpointed ? " checkpointed" : "") + " at batch " + batch + ": " + why[0]);
            return null;
        }
        Map<String, String> kv = new HashMap<>();
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                kv.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        try {
            return new Probe(Long.parseLong(kv.get("parameter_bytes")), Long.parseLong(kv.get("gradient_bytes")),
                    Long.parseLong(kv.get("optimizer_bytes")), Long.parseLong(kv.get("activation_bytes")),
                    Long.parseLong(kv.get("trainable_params")), Double.parseDouble(kv.get("built_rss_mb")),
                    Double.parseDouble(kv.get("peak_rss_mb")));
        } catch (RuntimeException e) {
            problems.add(arm + " at batch " + batch + ": unreadable probe output " + kv);
            return null;
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
