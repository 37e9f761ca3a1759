package dev.floe.bench;

import dev.floe.data.Dataset;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.LrSchedule;
import dev.floe.schedule.Schedule;
import dev.floe.train.StepPhases;
import dev.floe.train.Trainer;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * B4 progressive unfreezing: a whole staged run ({@link Schedule#progressive}: head, then the
 * encoder's layers from the top, one per stage) against the sum of per-stage limits, each stage's
 * steps timed alone in a single-stage trainer with only that stage's plan.
 */
final class ProgressiveBench {

    /** The staged run may take this many times the sum of its stages. */
    static final double TARGET = 1.05;
    static final double LR = 1e-3;
    static final double LR_SCALE = 0.1;
    private static final long SEED = 4;

    private ProgressiveBench() {}

    static BenchResult run(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        int batch = BenchSettings.CONV_BATCH;
        Dataset data = Synthetic.images(s.convBatches() * batch, SEED);
        OptimizerSpec spec = OptimizerSpec.adamW(LR);
        try (ModelGraph graph = Graphs.convWithHeads(1, SEED)) {
            int layers = graph.component("encoder").layerOrder().size();
            Schedule schedule = Schedule.progressive(graph, "encoder", FreezePolicy.trainAll(), layers, 1, LR_SCALE,
                    LrSchedule.constant(), null);
            List<FreezePlan> plans = Trainer.resolveStages(graph, schedule);
            long[] lastState = new long[1];
            StepPhases[] phases = {StepPhases.NONE, StepPhases.NONE};
            DoubleSupplier staged = () -> {
                long start = System.nanoTime();
                try (Trainer t = Trainer.builder().graph(graph).schedule(schedule).optimizer(spec)
                        .output(Graphs.logits(0)).batchSize(batch).seed(SEED).profilePhases(true).build()) {
                    t.run(data, null);
                    lastState[0] = t.optimizer().stateBytes();
                    phases[0] = phases[0].plus(t.takePhases());
                }
                return (System.nanoTime() - start) / 1e9;
            };
            DoubleSupplier stages = () -> {
                double sum = 0;
                for (FreezePlan plan : plans) {
                    try (Trainer t = Trainer.builder().plan(plan).optimizer(spec).output(Graphs.logits(0))
                            .batchSize(batch).seed(SEED).profilePhases(true).build()) {
                        sum += Interleaved.time(() -> t.run(data, null));
                        phases[1] = phases[1].plus(t.takePhases());
                    }
                }
                return sum;
            };
            log.accept("B4: " + s.trials() + " interleaved trials: staged run (" + plans.size()
                    + " stages), sum of stages alone");
            double[] m = Interleaved.medians(s.warmup(), s.trials(), List.of(staged, stages));
            double ratio = m[0] / m[1];
            FreezePlan last = plans.get(plans.size() - 1);
            String notes = "ConvEncoder 16-32-64 on 1x28x28 + linear head, " + plans.size() + " stages ("
                    + String.join(", ", schedule.stages().stream().map(st -> st.name()).toList()) + "), 1 epoch of "
                    + s.convBatches() + " batches of " + batch + " each, AdamW, unfrozen layers at lr x" + LR_SCALE
                    + "; Floe = building the trainer + the whole staged run; limit = each stage's run alone in a"
                    + " single-stage trainer (build excluded), summed; ratio " + Measured.x(ratio) + " (target <= "
                    + TARGET + ": " + (ratio <= TARGET ? "met" : "missed") + ")";
            BenchResult.Memory mem = new BenchResult.Memory(last.totalCount() * Measured.FP32_BYTES,
                    last.trainableCount() * Measured.FP32_BYTES, lastState[0], last.trainableCount(),
                    ProcessStats.peakRssMb());
            return new BenchResult("B4", "progressive unfreezing: staged run vs sum of per-stage limits", "whole run",
                    m[0], m[1], null, null, TARGET, "ratio_to_limit", ratio <= TARGET, notes, mem, null,
                    List.of(new BenchResult.Phases("floe staged", phases[0]),
                            new BenchResult.Phases("stages alone", phases[1])));
        }
    }
}
