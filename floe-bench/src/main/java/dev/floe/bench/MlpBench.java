package dev.floe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.floe.components.Mlp;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerSpec;
import dev.floe.data.Examples;
import dev.floe.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * B6 overhead: optimizer steps of an MLP {@code 784 -> h -> h -> 10} (batch 64, AdamW) through
 * Floe's {@link Trainer}, against the same model as a bare DJL loop (the limit) and PyTorch eager
 * (the peer). A third arm, Floe's own step without the trainer loop (graph forward,
 * {@link GroupedOptimizer}), splits the overhead between the loop and the optimizer.
 */
final class MlpBench {

    static final long INPUTS = 784;
    static final double LR = 1e-3;
    /** Floe may take this many times the bare DJL loop's time. */
    static final double LIMIT_TARGET = 1.05;
    /** And must be no slower than PyTorch eager. */
    static final double PEER_TARGET = 1.0;
    static final String PEER_SCRIPT = "mlp_step.py";
    private static final long SEED = 6;

    private MlpBench() {}

    static BenchResult run(BenchSettings s, Consumer<String> log) {
        ProcessStats.resetPeak();
        int batch = BenchSettings.MLP_BATCH;
        int steps = s.mlpSteps();
        long h = s.mlpHidden();
        Dataset data = Synthetic.dataset("synthetic-vectors", new long[] {INPUTS}, steps * batch, SEED);
        OptimizerSpec spec = OptimizerSpec.adamW(LR);
        try (ModelGraph graph = ModelGraph.builder()
                        .input("x", TensorSpec.of("[batch, " + INPUTS + "]"))
                        .add(Mlp.builder().name("mlp").inputs(INPUTS).hidden(h, h).outputs(Synthetic.CLASSES).build())
                        .wire("x", "mlp.in")
                        .output("logits", "mlp.out")
                        .seed(SEED)
                        .build()) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(graph);
            try (Trainer trainer = Trainer.builder().plan(plan).optimizer(spec).batchSize(batch).seed(SEED)
                            .profilePhases(true).build();
                    GroupedOptimizer own = GroupedOptimizer.of(spec);
                    BareDjl.Mlp bare = new BareDjl.Mlp(INPUTS, h, Synthetic.CLASSES, batch, (float) LR)) {
                Examples examples = Examples.of(data, "x");
                float[] features = data.features();
                int[] labels = data.labels();
                DoubleSupplier floe = () -> Interleaved.time(() -> trainer.run(data, null)) / steps;
                DoubleSupplier floeStep = () -> {
                    plan.apply();
                    own.setGroups(plan.groups(spec));
                    return Interleaved.time(() -> {
                        for (int i = 0; i < steps; i++) {
                            floeStep(graph, plan.trainingContext(), own, examples, Synthetic.range(i * batch, batch));
                        }
                    }) / steps;
                };
                DoubleSupplier djl = () -> Interleaved.time(() -> {
                    for (int i = 0; i < steps; i++) {
                        bare.step(features, labels, i * batch, batch);
                    }
                }) / steps;
                TorchPeer.Started started = s.torchPeer()
                        ? TorchPeer.start(PEER_SCRIPT, features, labels, List.of(
                                "--inputs", Long.toString(INPUTS), "--hidden", Long.toString(h),
                                "--classes", Integer.toString(Synthetic.CLASSES), "--batch", Integer.toString(batch),
                                "--steps", Integer.toString(steps), "--lr", Double.toString(LR),
                                "--weight-decay", Double.toString(spec.weightDecay())))
                        : new TorchPeer.Started(null, "PyTorch peer not requested");
                TorchPeer.Outcome peer;
                double[] m;
                List<BenchResult.Phases> split = new ArrayList<>();
                try (TorchPeer.Session torch = started.session()) {
                    List<DoubleSupplier> arms = new ArrayList<>(List.of(floe, floeStep, djl));
                    if (torch != null) {
                        arms.add(torch::trial); // the peer's trials interleaved with Floe's, threads pinned
                    }
                    log.accept("B6: " + s.trials() + " interleaved trials of " + steps
                            + " steps: Floe trainer, Floe step, bare DJL" + (torch != null ? ", PyTorch eager" : ""));
                    m = Interleaved.medians(s.warmup(), s.trials(), arms);
                    peer = new TorchPeer.Outcome(torch != null ? m[3] : null, started.note());
                    split.add(new BenchResult.Phases("floe", trainer.takePhases())); // warm-up and timed trials
                    if (torch != null && torch.phases().steps() > 0) {
                        split.add(new BenchResult.Phases("pytorch", torch.phases()));
                    }
                }
                BenchResult.Memory memory = Measured.memory(plan, trainer.optimizer());
                return result(s, m[0], m[1], m[2], peer, memory, h).withPhases(split);
            }
        }
    }

    private static BenchResult result(BenchSettings s, double floe, double floeStep, double djl, TorchPeer.Outcome peer,
            BenchResult.Memory memory, long h) {
        double toLimit = floe / djl;
        boolean limitMet = toLimit <= LIMIT_TARGET;
        Double peerSeconds = peer.secondsPerStep();
        boolean peerMet = peerSeconds != null && floe / peerSeconds <= PEER_TARGET;
        List<String> notes = new ArrayList<>();
        notes.add("MLP " + INPUTS + "-" + h + "-" + h + "-" + Synthetic.CLASSES + ", batch " + BenchSettings.MLP_BATCH
                + ", AdamW lr " + LR + ", one engine thread; Floe = Trainer.run over " + s.mlpSteps()
                + " batches; limit = DJL SequentialBlock + GradientCollector + DJL's Adam (not a lower bound: a"
                + " ratio below 1 means the plain DJL loop is slower than Floe)");
        notes.add("targets: ratio_to_limit <= " + LIMIT_TARGET + " (" + (limitMet ? "met" : "missed") + ", "
                + Measured.x(toLimit) + "), ratio_to_peer <= " + PEER_TARGET + " ("
                + (peerSeconds == null ? "not measured" : (peerMet ? "met" : "missed") + ", " + Measured.x(floe / peerSeconds))
                + ")");
        notes.add("Floe step without the trainer loop (graph.forward + GroupedOptimizer): " + Measured.ms(floeStep)
                + ", " + Measured.x(floeStep / djl) + "x bare DJL; the trainer loop adds " + Measured.ms(floe - floeStep)
                + " per step (batch gather, accuracy, loss read-back)");
        notes.add(peer.note());
        return new BenchResult("B6", "overhead: MLP training step, Floe vs bare DJL loop vs PyTorch eager",
                "optimizer step", floe, djl, "PyTorch eager (Debian python3-torch)", peerSeconds, LIMIT_TARGET,
                "ratio_to_limit", limitMet && peerMet, String.join("; ", notes), memory);
    }

    /** One Floe step on the examples {@code idx}, as the trainer does it, without its bookkeeping. */
    private static void floeStep(ModelGraph graph, ForwardContext context, GroupedOptimizer optimizer, Examples data,
            int[] idx) {
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> x = data.inputs(batch, idx); // (B, 784)
            NDArray y = data.labels(batch, idx); // (B)
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray logits = graph.forward(x, context).get("logits"); // (B, classes)
                NDArray logProbs = logits.logSoftmax(1); // (B, classes)
                NDArray loss = logProbs.mul(y.oneHot((int) logits.getShape().get(1))).sum(new int[] {1}).mean().neg(); // ()
                gc.backward(loss);
            }
            optimizer.step(1.0);
        }
    }
}
