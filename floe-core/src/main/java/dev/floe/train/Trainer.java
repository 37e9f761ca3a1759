package dev.floe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.floe.cache.FeatureCache;
import dev.floe.cache.Features;
import dev.floe.cache.Prefix;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.ModelGraph;
import dev.floe.io.ModelWeights;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.optim.GradientClipping;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerSpec;
import dev.floe.schedule.EarlyStopping;
import dev.floe.schedule.Schedule;
import dev.floe.schedule.Stage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Trains a graph's classification output with cross-entropy through a {@link Schedule} of stages.
 *
 * <p>Each stage's policy is resolved into a {@link FreezePlan} and applied when the stage starts:
 * frozen parameters get no gradients and no optimizer state, their modules run in inference mode;
 * parameters that unfreeze join the optimizer with fresh state and their own step count; the
 * stage's learning-rate schedule restarts. Every batch runs in its own native scope, so native
 * memory stays flat over a run. With the same seed, data and schedule on one engine thread, two
 * runs give bit-identical weights, and so does a run resumed from a checkpoint.
 *
 * <p>With {@link Builder#checkpointing gradient checkpointing}, the chosen segments keep only their
 * inputs for the backward pass and are recomputed then; gradients and results stay the same.
 *
 * <p>Checkpoints (when a folder is set) are written atomically after every epoch. Not
 * thread-safe; one trainer per graph at a time (the engine allows one gradient collector per JVM).
 */
public final class Trainer implements AutoCloseable {

    /** Spreads epoch shuffle seeds apart (a prime, so seeds of nearby runs do not collide). */
    private static final long EPOCH_SEED_STRIDE = 1_000_003L;
    /** Spreads stage seeds apart. */
    private static final long STAGE_SEED_STRIDE = 7_919L;

    private final ModelGraph graph;
    private final Schedule schedule;
    private final OptimizerSpec optimizerSpec;
    private final String input;
    private final String output;
    private final int batchSize;
    private final int accumulation;
    private final double clipNorm;
    private final long seed;
    private final TrainingListener listener;
    private final Path checkpointDir;
    private final boolean resume;
    private final String runFingerprint;
    private final Map<String, String> provenance;
    private final GroupedOptimizer optimizer;
    private final List<FreezePlan> plans;
    private final FeatureCache cache;
    private final GradientCheckpointing checkpointing;
    private final ClassWeights classWeights;
    /** The primary task's resolved class weights, or null for the plain mean. */
    private float[] primaryWeights;
    private Prefix prefix;
    private long steps;
    /** Prefix compute time of every pass (training epoch, evaluation) served from the cache. */
    private double cachedPassSeconds;
    private long peakForwardBytes;
    /** Keys ({@link #shapeKey}) of the batches whose kept bytes are in {@link #peakForwardBytes}. */
    private final Set<String> measured = new java.util.HashSet<>();
    /** The stage being run, for {@link #shapeKey}. */
    private int stageIndex;
    /** Phase times of the steps since the last {@link #takePhases()}; {@link PhaseClock#OFF} unless asked for. */
    private final PhaseClock clock;
    /** Phases of the epochs finished since the last {@link #takePhases()}. */
    private StepPhases measuredPhases = StepPhases.NONE;

    private Trainer(Builder b) {
        this.graph = b.graph;
        this.schedule = b.schedule;
        this.optimizerSpec = b.optimizer;
        this.input = b.input != null ? b.input : (graph.inputs().size() == 1 ? graph.inputs().keySet().iterator().next() : null);
        this.output = b.output != null ? b.output : (graph.outputs().size() == 1 ? graph.outputs().keySet().iterator().next() : null);
        this.batchSize = b.batchSize;
        this.accumulation = b.accumulation;
        this.clipNorm = b.clipNorm;
        this.seed = b.seed;
        this.listener = b.listener;
        this.checkpointDir = b.checkpointDir;
        this.resume = b.resume;
        this.runFingerprint = b.runFingerprint;
        this.provenance = b.provenance;
        this.plans = resolveAll(graph, schedule);
        this.cache = b.cache;
        this.optimizer = GroupedOptimizer.of(optimizerSpec);
        this.checkpointing = GradientCheckpointing.of(graph, b.checkpointing);
        this.classWeights = b.classWeights;
        this.clock = PhaseClock.of(b.profilePhases);
    }

    /**
     * Resolves every stage's policy against the graph, as a run would before its first step.
     *
     * @param graph the graph the policies apply to
     * @param schedule the stages
     * @return one plan per stage
     * @throws IllegalArgumentException naming the stage when a rule matches nothing, a stage trains
     *     no parameter, or a stage changes nothing compared with the one before
     */
    public static List<FreezePlan> resolveStages(ModelGraph graph, Schedule schedule) {
        return resolveAll(graph, schedule);
    }

    /** Resolves every stage up front, so a bad rule or an empty stage fails before any training. */
    private static List<FreezePlan> resolveAll(ModelGraph graph, Schedule schedule) {
        List<FreezePlan> plans = new ArrayList<>();
        FreezePlan previous = null;
        for (Stage stage : schedule.stages()) {
            FreezePlan plan;
            try {
                plan = stage.policy().resolve(graph);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("stage " + stage.name() + ": " + e.getMessage(), e);
            }
            if (plan.trainableCount() == 0) {
                String detail = "the policy freezes every parameter, so there is nothing to train; add a train rule"
                        + " after the freeze rules (for example {train: \"head/**\"}) or remove the rule that freezes"
                        + " everything";
                throw new IllegalArgumentException("stage " + stage.name() + ": " + detail,
                        new IllegalArgumentException(detail));
            }
            if (previous != null && sameSettings(previous, plan)) {
                throw new IllegalArgumentException(
                        "stage " + stage.name() + " changes nothing: every parameter has the same state and learning"
                                + " rate scale as in the stage before; change its policy (for example unfreeze a"
                                + " layer) or merge it into the previous stage");
            }
            plans.add(plan);
            previous = plan;
        }
        return List.copyOf(plans);
    }

    private static boolean sameSettings(FreezePlan a, FreezePlan b) {
        for (Map.Entry<String, FreezePlan.Entry> e : a.entries().entrySet()) {
            FreezePlan.Entry other = b.entries().get(e.getKey());
            if (other == null || other.state() != e.getValue().state() || other.lrScale() != e.getValue().lrScale()) {
                return false;
            }
        }
        return true;
    }

    private static String single(Set<String> names, String what) {
        if (names.size() != 1) {
            throw new IllegalArgumentException(
                    "the graph has " + what + "s " + names + "; name the " + what + " to train with in the"
                            + " trainer builder (" + what + "(name))");
        }
        return names.iterator().next();
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The optimizer (for inspecting state bytes and step counts).
     *
     * @return the optimizer, owned by this trainer
     */
    public GroupedOptimizer optimizer() {
        return optimizer;
    }

    /**
     * The resolved plan of each stage, in order.
     *
     * @return the plans, one per stage
     */
    public List<FreezePlan> plans() {
        return plans;
    }

    /**
     * The checkpointed segments and how often each was recomputed.
     *
     * @return the checkpointing in use
     */
    public GradientCheckpointing checkpointing() {
        return checkpointing;
    }

    /**
     * The most bytes of native arrays alive in a training batch's scope when its forward pass ended
     * (what is kept for the backward pass: activations, checkpointed segments' inputs and dropout
     * masks, the batch itself), over all batches so far; 0 before the first.
     *
     * @return the peak in bytes
     */
    public long peakForwardBytes() {
        return peakForwardBytes;
    }

    /**
     * Where the time of the training steps since the last call went (see {@link StepPhases}), and
     * starts a new measurement. Evaluation, checkpoints and filling the feature cache are not steps.
     *
     * @return the split, or {@link StepPhases#NONE} when the trainer was not built with
     *     {@link Builder#profilePhases(boolean) profilePhases(true)}
     */
    public StepPhases takePhases() {
        if (!clock.on()) {
            return StepPhases.NONE;
        }
        StepPhases all = measuredPhases.plus(clock.take());
        measuredPhases = StepPhases.NONE;
        return all;
    }

    /**
     * Optimizer steps taken so far in the run, over every stage (a resumed run counts the steps
     * before the checkpoint too).
     *
     * @return the number of optimizer steps, 0 before the first
     */
    public long steps() {
        return steps;
    }

    /**
     * Runs the whole schedule; same as {@link #run}.
     *
     * @param train training examples
     * @param eval held-out examples, or null
     * @return the per-epoch and per-stage results
     */
    public TrainResult fit(Dataset train, Dataset eval) {
        return run(train, eval);
    }

    /**
     * Runs every stage of the schedule, resuming from the newest checkpoint when the builder asked
     * for it.
     *
     * @return the per-epoch and per-stage results
     * @param train training examples; their feature shape must fit the graph input
     * @param eval held-out examples, or null (then early stopping is not allowed)
     * @throws IllegalArgumentException if a stage needs an evaluation set that is missing, or the
     *     checkpoint belongs to a different run
     */
    public TrainResult run(Dataset train, Dataset eval) {
        if (input == null || output == null) {
            single(graph.inputs().keySet(), "input");
            single(graph.outputs().keySet(), "output");
        }
        return run(List.of(new Task("main", input, output, train, eval, 1.0)));
    }

    /**
     * Trains on examples that bring their own graph inputs (for example token ids and masks), read at
     * the trainer's output.
     *
     * @param train training examples
     * @param eval held-out examples, or null
     * @return the per-epoch and per-stage results
     */
    public TrainResult run(Examples train, Examples eval) {
        if (output == null) {
            single(graph.outputs().keySet(), "output");
        }
        return run(List.of(new Task("main", output, train, eval, 1.0)));
    }

    /**
     * Multi-task training: every optimizer step sums, over the tasks, the task's weight times its
     * mean cross-entropy on one batch of its own data (each task feeds its own graph input and reads
     * its own output, so one shared encoder can serve several heads). An epoch is one pass over the
     * first task's data; the other tasks cycle through theirs. Early stopping watches the first task.
     *
     * @return the per-epoch and per-stage results, with per-task metrics
     * @param tasks at least one; the first is the primary task
     */
    public TrainResult run(List<Task> tasks) {
        checkTasks(tasks);
        RunState state = resume ? Checkpoints.load(checkpointDir, graph, runFingerprint) : RunState.fresh();
        if (resume) {
            steps = state.globalStep;
        }
        if (state.optimizer != null) {
            restoreOptimizer(state);
        }
        List<StageResult> results = new ArrayList<>(state.finishedStages);
        for (int s = state.stage; s < schedule.stages().size(); s++) {
            StageProgress progress = s == state.stage ? state.progress : new StageProgress();
            results.add(runStage(s, tasks, progress, results));
        }
        List<EpochMetrics> epochs = new ArrayList<>();
        double seconds = 0;
        for (StageResult r : results) {
            epochs.addAll(r.epochs());
            seconds += r.seconds();
        }
        return new TrainResult(epochs, steps, seconds, finalEvaluation(tasks.get(0), results), results);
    }

    /**
     * Puts the optimizer back as the checkpoint left it: under the plan of the stage it was saved in
     * (which, for a checkpoint written at the end of a stage, is the stage before the one to run next),
     * so that entering the next stage adds and drops state exactly as an uninterrupted run does.
     */
    private void restoreOptimizer(RunState state) {
        int planStage = Math.min(state.planStage, plans.size() - 1);
        FreezePlan plan = plans.get(planStage);
        plan.apply();
        optimizer.setGroups(plan.groups(optimizerSpec));
        checkFreezeState(plan, state.trainable, schedule.stages().get(planStage));
        optimizer.importState(state.optimizer);
    }

    /**
     * One stage: enter its plan, fill the feature cache, run its epochs until the budget is spent or
     * early stopping ends it, and checkpoint after every epoch.
     *
     * @param before the stages already finished, recorded in checkpoints
     */
    private StageResult runStage(int s, List<Task> tasks, StageProgress p, List<StageResult> before) {
        Stage stage = schedule.stages().get(s);
        FreezePlan plan = plans.get(s);
        stageIndex = s;
        plan.apply();
        optimizer.setGroups(plan.groups(optimizerSpec));
        Features[] cached = fillCache(plan, tasks, p);
        int batches = batchesPerEpoch(tasks.get(0).train());
        long budget = stepBudget(stage, batches);
        for (int epoch = p.epochsDone + 1; epoch <= stage.epochs(); epoch++) {
            EpochMetrics m = runEpoch(s, epoch, stage, tasks, plan, cached, p, budget);
            p.epochs.add(m);
            p.epochsDone = epoch;
            boolean stopped = earlyStop(stage, m, p, epoch);
            if (p.stageSteps >= budget && epoch < stage.epochs()) {
                stopped = true; // the step budget is spent
            }
            listener.epochFinished(m);
            boolean over = stopped || epoch == stage.epochs();
            StageResult finished = over ? finishStage(stage, plan, p) : null;
            if (checkpointDir != null) {
                checkpoint(s, plan, over ? new StageProgress() : p, before, finished);
            }
            if (over) {
                return finished;
            }
        }
        return finishStage(stage, plan, p); // nothing left to run in this stage
    }

    /** Fills the feature cache with the frozen prefix's outputs for every task's training data, when usable. */
    private Features[] fillCache(FreezePlan plan, List<Task> tasks, StageProgress p) {
        prefix = cache == null ? null : Prefix.of(plan, tasks.stream().map(Task::output).toList());
        Features[] cached = new Features[tasks.size()];
        if (prefix != null && prefix.usable()) {
            long fillStart = System.nanoTime();
            for (int t = 0; t < tasks.size(); t++) {
                cached[t] = features(tasks.get(t).train());
            }
            p.seconds += (System.nanoTime() - fillStart) / 1e9; // filling the cache is part of training time
        }
        return cached;
    }

    private int batchesPerEpoch(Examples train) {
        return (int) ((train.size() + (long) batchSize - 1) / batchSize); // long: batch sizes near 2^31 do not wrap
    }

    /** Optimizer steps the stage may take: its epochs' worth, capped by its {@code max_steps}. */
    private long stepBudget(Stage stage, int batches) {
        long budget = stage.epochs() * (((long) batches + accumulation - 1) / accumulation);
        return stage.maxSteps() > 0 ? Math.min(budget, stage.maxSteps()) : budget;
    }

    /** One epoch: shuffled batches (accumulated into optimizer steps), then evaluation of every task. */
    private EpochMetrics runEpoch(int s, int epoch, Stage stage, List<Task> tasks, FreezePlan plan,
            Features[] cached, StageProgress p, long budget) {
        Examples train = tasks.get(0).train();
        int batches = batchesPerEpoch(train);
        listener.epochStarted(epoch, stage.epochs(), batches);
        long epochSeed = seed * EPOCH_SEED_STRIDE + s * STAGE_SEED_STRIDE + epoch;
        FloeEngine.seed(epochSeed);
        int[][] orders = new int[tasks.size()][];
        for (int t = 0; t < tasks.size(); t++) {
            orders[t] = tasks.get(t).train().shuffledIndices(epochSeed + t);
        }
        int[] order = orders[0];
        ForwardContext context = plan.trainingContext();
        List<Param> trainable = plan.trainable();
        EpochTally tally = new EpochTally(tasks);
        long start = System.nanoTime();
        for (int b = 0; b < batches && p.stageSteps < budget; b += accumulation) {
            clock.start();
            int groupEnd = Math.min(batches, b + accumulation);
            int groupFrom = (int) Math.min(order.length, (long) b * batchSize);
            int groupTo = (int) Math.min(order.length, (long) groupEnd * batchSize);
            for (int mb = b; mb < groupEnd; mb++) {
                int from = (int) Math.min(order.length, (long) mb * batchSize);
                int to = (int) Math.min(order.length, (long) from + batchSize);
                // scale so the accumulated gradient is the mean over the whole group
                float weight = (float) (to - from) / (groupTo - groupFrom);
                int[][] idx = new int[tasks.size()][];
                for (int t = 0; t < tasks.size(); t++) {
                    idx[t] = t == 0 ? Arrays.copyOfRange(order, from, to) : cycle(orders[t], mb, batchSize);
                }
                tally.add(backwardBatch(tasks, idx, context, weight, cached), idx);
            }
            if (clipNorm > 0) {
                GradientClipping.clipGlobalNorm(trainable, clipNorm);
            }
            optimizer.step(stage.lr().factor(p.stageSteps, budget));
            clock.lap(PhaseClock.Phase.OPTIMIZER);
            p.stageSteps++;
            steps++;
            double elapsed = (System.nanoTime() - start) / 1e9;
            listener.batchFinished(epoch, groupEnd, batches, tally.meanLoss(), tally.accuracy(), tally.seen / elapsed);
            clock.stepDone(groupTo - groupFrom);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        p.seconds += seconds;
        if (clock.on()) {
            StepPhases phases = clock.take();
            measuredPhases = measuredPhases.plus(phases);
            listener.phasesMeasured(epoch, phases);
        }
        for (Features f : cached) {
            cachedPassSeconds += f == null ? 0 : f.computeSeconds();
        }
        EvalResult[] evals = new EvalResult[tasks.size()];
        for (int t = 0; t < tasks.size(); t++) {
            Task task = tasks.get(t);
            evals[t] = task.eval() == null ? null : evaluate(task.eval(), task.output());
        }
        return tally.metrics(epoch, seconds, evals);
    }

    /**
     * Records the epoch's watched metric; keeps a copy of the weights at a new best when the stage
     * restores its best epoch.
     *
     * @return whether early stopping ends the stage after this epoch
     */
    private boolean earlyStop(Stage stage, EpochMetrics m, StageProgress p, int epoch) {
        EarlyStopping es = stage.earlyStopping();
        double watched = es != null ? es.read(m.evalAccuracy(), m.evalLoss()) : m.evalAccuracy();
        boolean better = es != null ? es.improves(watched, p.best) : (Double.isNaN(p.best) || watched > p.best);
        if (better) {
            p.best = watched;
            p.bestEpoch = epoch;
            p.badEpochs = 0;
            if (es != null && es.restoreBest()) {
                p.bestWeights = ModelWeights.snapshot(graph);
            }
        } else {
            p.badEpochs++;
        }
        if (es != null && p.badEpochs >= es.patience() && epoch < stage.epochs()) {
            p.stoppedEarly = true;
            return true;
        }
        return false;
    }

    /**
     * Writes a checkpoint after an epoch. At the end of a stage ({@code finished} not null) it points
     * at the next stage with fresh progress, but keeps the finished stage's plan as the one its
     * optimizer state belongs to.
     */
    private void checkpoint(int s, FreezePlan plan, StageProgress progress, List<StageResult> before,
            StageResult finished) {
        List<StageResult> done = new ArrayList<>(before);
        if (finished != null) {
            done.add(finished);
        }
        Path saved = Checkpoints.save(checkpointDir, graph, optimizer, finished != null ? s + 1 : s, s, progress, done,
                steps, runFingerprint, provenance, plan);
        listener.checkpointSaved(saved, steps);
    }

    /**
     * The evaluation of the weights the run ends with (the last stage's best epoch when it restored
     * that epoch's weights, otherwise its last epoch), made again on the whole graph without the
     * feature cache, as {@link Evaluator#evaluate} of the saved weights gives it. Null without an
     * evaluation set or when no epoch ran.
     */
    private EvalResult finalEvaluation(Task primary, List<StageResult> results) {
        if (primary.eval() == null || results.isEmpty() || results.get(results.size() - 1).epochs().isEmpty()) {
            return null;
        }
        return Evaluator.evaluate(graph, primary.eval(), primary.output(), Evaluator.BATCH_SIZE);
    }

    private void checkTasks(List<Task> tasks) {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("give at least one task");
        }
        if (classWeights != null) {
            Task primary = tasks.get(0);
            int[] counts = primary.train().classCounts();
            long classes = outputClasses(primary.output());
            if (classes > counts.length) {
                counts = Arrays.copyOf(counts, (int) classes);
            }
            double[] w = classWeights.resolve(counts);
            primaryWeights = new float[w.length];
            for (int k = 0; k < w.length; k++) {
                primaryWeights[k] = (float) w[k];
            }
        }
        for (Task task : tasks) {
            checkTask(task);
        }
        for (Stage s : schedule.stages()) {
            if (s.earlyStopping() != null && tasks.get(0).eval() == null) {
                throw new IllegalArgumentException(
                        "stage " + s.name() + " uses early stopping on " + s.earlyStopping().metric()
                                + " but no evaluation set was given; give one or remove early_stopping");
            }
        }
    }

    /** Restores the best weights if asked, and records the stage. */
    private StageResult finishStage(Stage stage, FreezePlan plan, StageProgress p) {
        boolean restored = false;
        if (stage.earlyStopping() != null && stage.earlyStopping().restoreBest() && p.bestWeights != null
                && p.bestEpoch != p.epochsDone) {
            ModelWeights.restore(graph, p.bestWeights);
            restored = true;
        }
        return new StageResult(stage.name(), p.epochs, p.best, p.bestEpoch, p.stoppedEarly, restored, p.seconds,
                plan.trainableCount(), p.stageSteps);
    }

    private void checkFreezeState(FreezePlan plan, List<String> trainable, Stage stage) {
        List<String> now = plan.trainable().stream().map(Param::path).toList();
        if (!now.equals(trainable)) {
            throw new IllegalArgumentException(
                    "the checkpoint's freeze state for stage " + stage.name() + " differs from what the schedule"
                            + " gives now (" + trainable.size() + " trainable tensors saved, " + now.size()
                            + " now); resume with the schedule that made the checkpoint");
        }
    }

    /** Running sums of one epoch's training batches, overall and per task. */
    private static final class EpochTally {
        private final List<Task> tasks;
        private final double[] taskLoss;
        private final long[] taskCorrect;
        private final long[] taskSeen;
        private double lossSum;
        private long correct;
        private int seen;

        EpochTally(List<Task> tasks) {
            this.tasks = tasks;
            this.taskLoss = new double[tasks.size()];
            this.taskCorrect = new long[tasks.size()];
            this.taskSeen = new long[tasks.size()];
        }

        /** Adds one batch: per task {mean loss, correct} over {@code idx[t]} examples. */
        void add(float[][] stats, int[][] idx) {
            double total = 0;
            for (int t = 0; t < tasks.size(); t++) {
                total += tasks.get(t).weight() * stats[t][0];
                taskLoss[t] += stats[t][0] * idx[t].length;
                taskCorrect[t] += (long) stats[t][1];
                taskSeen[t] += idx[t].length;
            }
            lossSum += total * idx[0].length;
            correct += (long) stats[0][1];
            seen += idx[0].length;
        }

        double meanLoss() {
            return seen == 0 ? Double.NaN : lossSum / seen;
        }

        double accuracy() {
            return seen == 0 ? Double.NaN : (double) correct / seen;
        }

        EpochMetrics metrics(int epoch, double seconds, EvalResult[] evals) {
            List<TaskMetrics> perTask = new ArrayList<>();
            for (int t = 0; t < tasks.size(); t++) {
                EvalResult te = evals[t];
                perTask.add(new TaskMetrics(tasks.get(t).name(), taskLoss[t] / taskSeen[t],
                        (double) taskCorrect[t] / taskSeen[t],
                        te == null ? Double.NaN : te.loss(), te == null ? Double.NaN : te.accuracy()));
            }
            EvalResult ev = evals[0];
            return new EpochMetrics(epoch, meanLoss(), accuracy(), ev == null ? Double.NaN : ev.loss(),
                    ev == null ? Double.NaN : ev.accuracy(), seconds, seen / seconds, perTask);
        }
    }

    /** The {@code batch}-th batch of a cycled order (tasks other than the first wrap around). */
    private static int[] cycle(int[] order, int batch, int size) {
        int n = Math.min(size, order.length);
        int[] idx = new int[n];
        long start = (long) batch * size;
        for (int i = 0; i < n; i++) {
            idx[i] = order[(int) ((start + i) % order.length)];
        }
        return idx;
    }

    /**
     * Forward and backward of {@code weight · Σ_t w_t · CE_t} over one batch per task; returns per
     * task {mean loss, correct}.
     */
    private float[][] backwardBatch(
            List<Task> tasks, int[][] idx, ForwardContext context, float weight, Features[] cached) {
        try (NDManager batch = graph.manager().newSubManager()) {
            float[][] stats = new float[tasks.size()][];
            CheckpointedPass pass = checkpointing.enabled() ? new CheckpointedPass(context, checkpointing, batch) : null;
            ForwardContext forward = pass != null ? pass : context;
            NDArray[] outputs = new NDArray[tasks.size()];
            NDArray[] losses = new NDArray[tasks.size()];
            BatchInputs[] batchInputs = new BatchInputs[tasks.size()];
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray total = null;
                for (int t = 0; t < tasks.size(); t++) {
                    Task task = tasks.get(t);
                    clock.lap(PhaseClock.Phase.OTHER);
                    NDArray y = task.train().labels(batch, idx[t]); // (B)
                    BatchInputs inputs = inputs(task.train(), batch, idx[t], cached[t]);
                    batchInputs[t] = inputs;
                    clock.lap(PhaseClock.Phase.DATA);
                    NDArray logits = logits(inputs, forward, task.output()); // (B, classes)
                    losses[t] = t == 0 && primaryWeights != null
                            ? weightedCrossEntropy(logits, y, primaryWeights)
                            : crossEntropy(logits, y); // ()
                    float factor = (float) (task.weight() * weight);
                    NDArray term = factor == 1f ? losses[t] : losses[t].mul(FloeEngine.scalar(losses[t], factor));
                    total = total == null ? term : total.add(term);
                    outputs[t] = logits;
                    clock.lap(PhaseClock.Phase.FORWARD);
                }
                if (measured.add(shapeKey(batchInputs))) {
                    peakForwardBytes = Math.max(peakForwardBytes, FloeEngine.liveBytes(batch));
                }
                clock.lap(PhaseClock.Phase.OTHER);
                if (pass != null) {
                    pass.backward(total);
                } else {
                    gc.backward(total);
                }
                clock.lap(PhaseClock.Phase.BACKWARD);
            }
            clock.lap(PhaseClock.Phase.OTHER);
            for (int t = 0; t < tasks.size(); t++) {
                // two reads per task: on the CPU a read is one copy, fewer calls than counting on the device
                stats[t] = new float[] {losses[t].getFloat(), correct(outputs[t], tasks.get(t).train(), idx[t])};
            }
            clock.lap(PhaseClock.Phase.METRICS);
            if (clock.on()) {
                clock.arrays(FloeEngine.liveArrays(batch));
            }
            return stats;
        }
    }

    /**
     * How many rows of {@code logits} (B, C) have their largest score at the example's label, as
     * {@code argMax(1).eq(labels).sum()} counts them: the first largest score wins a tie, and a NaN
     * counts as largest (the first NaN wins).
     */
    static int correct(NDArray logits, Examples data, int[] idx) {
        float[] scores = logits.toFloatArray(); // (B, C) row-major
        int classes = scores.length / idx.length;
        int correct = 0;
        for (int i = 0; i < idx.length; i++) {
            int row = i * classes;
            int best = 0;
            float top = scores[row];
            for (int c = 1; c < classes && !Float.isNaN(top); c++) {
                float v = scores[row + c];
                if (v > top || Float.isNaN(v)) {
                    top = v;
                    best = c;
                }
            }
            if (best == data.label(idx[i])) {
                correct++;
            }
        }
        return correct;
    }

    /** The prefix outputs for {@code data} from the cache (computed on a miss). */
    private Features features(Examples data) {
        return cache.features(graph, prefix, data);
    }

    /**
     * What decides the bytes a batch keeps for its backward pass, besides the code: the stage (its
     * plan) and the shapes of every input. Batches with the same key keep the same bytes, so
     * {@link #peakForwardBytes} is measured once per key (counting the arrays asks libtorch for
     * each one's shape and type, dozens of calls per step).
     */
    private String shapeKey(BatchInputs[] inputs) {
        StringBuilder key = new StringBuilder().append(stageIndex);
        for (BatchInputs in : inputs) {
            for (Map<String, NDArray> m : java.util.Arrays.asList(in.graphInputs(), in.features())) {
                if (m != null) {
                    for (Map.Entry<String, NDArray> e : new java.util.TreeMap<>(m).entrySet()) {
                        key.append('|').append(e.getKey()).append(e.getValue().getShape());
                    }
                }
            }
        }
        return key.toString();
    }

    /** A batch's graph inputs and, when the prefix is cached, its boundary features by endpoint. */
    private record BatchInputs(Map<String, NDArray> graphInputs, Map<String, NDArray> features) {}

    /** Assembles a batch: the graph inputs for {@code idx} and the cached prefix features when there are some. */
    private BatchInputs inputs(Examples data, NDManager batch, int[] idx, Features features) {
        if (features == null) {
            return new BatchInputs(data.inputs(batch, idx), null);
        }
        Map<String, NDArray> in = prefix.needsGraphInputs() ? data.inputs(batch, idx) : Map.of();
        return new BatchInputs(in, features.gather(batch, idx));
    }

    /** Logits for an assembled batch, starting from its cached prefix features when there are some. */
    private NDArray logits(BatchInputs in, ForwardContext context, String out) {
        if (in.features() == null) {
            return graph.forward(in.graphInputs(), context, List.of(out)).get(out);
        }
        return graph.forwardFrom(in.graphInputs(), in.features(), context, List.of(out)).get(out);
    }

    /**
     * Seconds the feature cache saved this trainer: for every pass over a data set (a training
     * epoch, an evaluation) whose frozen-prefix outputs came from the cache, the measured time
     * computing those outputs took when the entry was made (by this run or, for an entry read from a
     * shared cache, by the run that made it), minus the time this trainer's cache spent computing
     * entries. Copying cached rows into batches is not subtracted. 0 without a cache.
     *
     * @return seconds saved, 0 or more
     */
    public double cacheSecondsSaved() {
        return cache == null ? 0 : cachedPassSeconds - cache.stats().computeSeconds();
    }

    /**
     * The feature cache's counters, or null without a cache.
     *
     * @return the counters, or null
     */
    public FeatureCache.Stats cacheStats() {
        return cache == null ? null : cache.stats();
    }

    /**
     * Mean cross-entropy and accuracy on {@code data} in inference mode, through the trainer's
     * input and output.
     *
     * @param data the examples
     * @return loss and accuracy
     */
    public EvalResult evaluate(Dataset data) {
        if (input == null || output == null) {
            single(graph.inputs().keySet(), "input");
            single(graph.outputs().keySet(), "output");
        }
        return evaluate(Examples.of(data, input), output);
    }

    /**
     * Mean cross-entropy, accuracy and confusion matrix on {@code data} in inference mode, read at
     * graph output {@code out} (through the feature cache when the current stage's frozen prefix is
     * cached).
     *
     * @param data the examples
     * @param out the graph output holding the logits
     * @return loss, accuracy and confusion matrix
     */
    public EvalResult evaluate(Examples data, String out) {
        checkData(data, out);
        Features features = prefix != null && prefix.usable() ? features(data) : null;
        cachedPassSeconds += features == null ? 0 : features.computeSeconds();
        return Evaluator.evaluate(data, Evaluator.BATCH_SIZE,
                (batch, idx) -> logits(inputs(data, batch, idx, features), ForwardContext.INFERENCE, out), graph);
    }

    /** {@code Σ_i w[y_i] · (-log softmax(logits_i)[y_i]) / Σ_i w[y_i]} over the batch. */
    static NDArray weightedCrossEntropy(NDArray logits, NDArray labels, float[] weights) {
        NDArray logProbs = logits.logSoftmax(1); // (B, C)
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)); // (B, C)
        NDArray w = oneHot.mul(FloeEngine.owned(labels.getManager(), weights, new ai.djl.ndarray.types.Shape(weights.length))).sum(new int[] {1}); // (B)
        NDArray picked = logProbs.mul(oneHot).sum(new int[] {1}); // (B)
        return picked.mul(w).sum().div(w.sum()).neg();
    }

    /** Mean over the batch of {@code -log softmax(logits)[label]}. */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return dev.floe.nn.Losses.crossEntropy(logits, labels);
    }

    private void checkTask(Task task) {
        checkData(task.train(), task.output());
        if (task.eval() != null) {
            checkData(task.eval(), task.output());
        }
    }

    private void checkData(Examples data, String out) {
        if (!graph.outputs().containsKey(out)) {
            throw new IllegalArgumentException(
                    "no graph output named '" + out + "'; outputs are " + graph.outputs().keySet());
        }
        long classes = outputClasses(out);
        if (classes > 0 && data.numClasses() > classes) {
            throw new IllegalArgumentException(
                    "data set " + data.name() + " has " + data.numClasses() + " classes but output " + out
                            + " has " + classes + "; give the head " + data.numClasses() + " classes");
        }
    }

    private long outputClasses(String out) {
        ModelGraph.Endpoint source = graph.outputs().get(out);
        return graph.component(source.component()).output(source.port()).spec().lastSize().orElse(-1L);
    }

    /** Releases the optimizer state. The graph stays open. */
    @Override
    public void close() {
        optimizer.close();
    }

    /** Progress within one stage; what a checkpoint records about the current stage. */
    static final class StageProgress {
        int epochsDone;
        long stageSteps;
        double best = Double.NaN;
        int bestEpoch;
        int badEpochs;
        boolean stoppedEarly;
        double seconds;
        List<EpochMetrics> epochs = new ArrayList<>();
        Map<String, float[]> bestWeights;
    }

    /** Where a run stands: the stage to run next and what came before. */
    static final class RunState {
        int stage;
        /** The stage whose plan the saved optimizer state was made under (the one before {@code stage} at a stage boundary). */
        int planStage;
        long globalStep;
        List<StageResult> finishedStages = new ArrayList<>();
        StageProgress progress = new StageProgress();
        dev.floe.optim.OptimizerState optimizer;
        List<String> trainable = List.of();

        static RunState fresh() {
            return new RunState();
        }
    }

    /** Builder: {@code optimizer} and either {@code plan} or {@code graph} with {@code schedule} are required. */
    public static final class Builder {
        private ModelGraph graph;
        private Schedule schedule;
        private FreezePlan plan;
        private OptimizerSpec optimizer;
        private String input;
        private String output;
        private int batchSize = 64;
        private int epochs = 1;
        private int accumulation = 1;
        private double clipNorm = 0;
        private long seed = 0;
        private TrainingListener listener = TrainingListener.NONE;
        private Path checkpointDir;
        private boolean resume;
        private String runFingerprint = "";
        private Map<String, String> provenance = Map.of();
        private FeatureCache cache;
        private List<String> checkpointing = List.of();
        private ClassWeights classWeights;
        private boolean profilePhases;

        private Builder() {}

        /**
         * Times every training step by phase (batch assembly, forward, backward, optimizer, metrics,
         * the rest; see {@link StepPhases}), read with {@link Trainer#takePhases()} and handed to
         * {@link TrainingListener#phasesMeasured} after every epoch. Default off, which reads no
         * timer; on, it adds two clock reads per phase per step and changes no result.
         *
         * @param on whether to time the phases
         * @return this builder
         */
        public Builder profilePhases(boolean on) {
            this.profilePhases = on;
            return this;
        }

        /**
         * Weights the first task's training loss by class ({@link ClassWeights}); default none (the
         * plain mean). Fixed weights must be one per class of the task's output, checked when the
         * run starts. Evaluation loss is not weighted.
         *
         * @param weights the class weights, or null for none
         * @return this builder
         */
        public Builder classWeights(ClassWeights weights) {
            this.classWeights = weights;
            return this;
        }

        /**
         * Gradient checkpointing: segments whose path matches one of these globs keep only their
         * inputs for the backward pass and are recomputed then (see {@link GradientCheckpointing});
         * default none. Gradients and results are the same as without.
         *
         * @return this builder
         * @param globs e.g. {@code List.of("encoder/layer.*")}; checked at {@link #build()}: a glob that
         *     matches no segment is an error naming the nearest segment paths
         */
        public Builder checkpointing(List<String> globs) {
            this.checkpointing = List.copyOf(globs);
            return this;
        }

        /**
         * Serve the frozen prefix's outputs from this cache (default: none). Training with and
         * without a cache gives the same results; only the time differs.
         *
         * @param cache the cache, or null for none
         * @return this builder
         */
        public Builder featureCache(FeatureCache cache) {
            this.cache = cache;
            return this;
        }

        /**
         * A single-stage run under this plan's policy, for {@link #epochs(int)} epochs.
         *
         * @param plan the plan whose policy and graph to train
         * @return this builder
         */
        public Builder plan(FreezePlan plan) {
            this.plan = plan;
            return this;
        }

        /**
         * The graph to train with a {@link #schedule(Schedule)}.
         *
         * @param graph the graph
         * @return this builder
         */
        public Builder graph(ModelGraph graph) {
            this.graph = graph;
            return this;
        }

        /**
         * The stages to run.
         *
         * @param schedule the stages
         * @return this builder
         */
        public Builder schedule(Schedule schedule) {
            this.schedule = schedule;
            return this;
        }

        /**
         * Optimizer (required).
         *
         * @param optimizer the optimizer spec
         * @return this builder
         */
        public Builder optimizer(OptimizerSpec optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /**
         * Graph input fed with features (default: the only one).
         *
         * @param name the input name
         * @return this builder
         */
        public Builder input(String name) {
            this.input = name;
            return this;
        }

        /**
         * Graph output holding logits (default: the only one).
         *
         * @param name the output name
         * @return this builder
         */
        public Builder output(String name) {
            this.output = name;
            return this;
        }

        /**
         * Examples per forward pass (default 64).
         *
         * @param batchSize examples per pass, at least 1
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Epochs of the single stage made from {@link #plan} (default 1).
         *
         * @param epochs the number of epochs, at least 1
         * @return this builder
         */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Batches whose gradients are summed before each optimizer step (default 1: none).
         *
         * @param batches batches per step, at least 1
         * @return this builder
         */
        public Builder gradientAccumulation(int batches) {
            this.accumulation = batches;
            return this;
        }

        /**
         * Clips the global gradient norm of trainable parameters to this value before each step (0:
         * off).
         *
         * @param maxNorm the limit, 0 or more
         * @return this builder
         */
        public Builder clipGradNorm(double maxNorm) {
            this.clipNorm = maxNorm;
            return this;
        }

        /**
         * Seed for shuffling and dropout (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Progress receiver (default none).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(TrainingListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Folder for checkpoints after every epoch (default: none).
         *
         * @param dir the folder, or null for none
         * @return this builder
         */
        public Builder checkpoints(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /**
         * Continue from the newest checkpoint in {@link #checkpoints(Path)} instead of starting
         * over.
         *
         * @param resume whether to resume
         * @return this builder
         */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Identifies what made the run (for example a hash of its config); a resume from a checkpoint
         * with a different fingerprint is refused.
         *
         * @param fingerprint the run's fingerprint
         * @return this builder
         */
        public Builder runFingerprint(String fingerprint) {
            this.runFingerprint = fingerprint == null ? "" : fingerprint;
            return this;
        }

        /**
         * Names recorded in every checkpoint's {@code state.json} and weights metadata (for example the
         * run manifest's id and recipe hash), so a checkpoint tells which run made it. Default none.
         *
         * @param provenance names and values; copied
         * @return this builder
         */
        public Builder provenance(Map<String, String> provenance) {
            this.provenance = Map.copyOf(provenance);
            return this;
        }

        /**
         * Checks the settings and builds; resolves every stage's plan now.
         *
         * @return a new trainer; it owns its optimizer state until closed
         */
        public Trainer build() {
            if (optimizer == null) {
                throw new IllegalArgumentException("trainer: optimizer is required, e.g. OptimizerSpec.adamW(1e-3)");
            }
            if (plan != null) {
                if (schedule != null) {
                    throw new IllegalArgumentException("trainer: give either a plan or a schedule, not both");
                }
                if (epochs <= 0) {
                    throw new IllegalArgumentException("trainer: epochs must be positive, found " + epochs);
                }
                graph = plan.graph();
                schedule = Schedule.single(Stage.of("train", plan.policy(), epochs));
            }
            if (graph == null || schedule == null) {
                throw new IllegalArgumentException(
                        "trainer: give plan(resolved policy) or graph(graph) with schedule(stages)");
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("trainer: batch_size must be positive, found " + batchSize);
            }
            if (accumulation < 1) {
                throw new IllegalArgumentException(
                        "trainer: gradient_accumulation must be at least 1 batch, found " + accumulation);
            }
            if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
                throw new IllegalArgumentException(
                        "trainer: clip_grad_norm must be a finite number ≥ 0 (0 = off), found " + clipNorm);
            }
            if (resume && checkpointDir == null) {
                throw new IllegalArgumentException("trainer: resume needs the checkpoint folder (checkpoints(dir))");
            }
            return new Trainer(this);
        }
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e.getMessage(), e);
    }
}
