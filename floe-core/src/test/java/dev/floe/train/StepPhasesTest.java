package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Timing a trainer's steps by phase splits every step's time and changes no result. */
class StepPhasesTest {

    private static TrainResult train(boolean profile, List<StepPhases> perEpoch, Map<String, float[]> weights,
            StepPhases[] total) {
        try (ModelGraph g = TrainerTest.convGraph(4);
                Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g)).optimizer(OptimizerSpec.adamW(1e-2))
                        .batchSize(8).epochs(2).seed(5).profilePhases(profile).listener(new TrainingListener() {
                            @Override
                            public void phasesMeasured(int epoch, StepPhases phases) {
                                perEpoch.add(phases);
                            }
                        }).build()) {
            TrainResult r = t.run(TrainerTest.images(20, 3), TrainerTest.images(8, 4));
            total[0] = t.takePhases();
            g.parameters().forEach((k, p) -> weights.put(k, p.toFloatArray()));
            return r;
        }
    }

    @Test
    void profiledStepsAddUpAndTrainToTheSameWeightsAndMetrics() {
        List<StepPhases> epochs = new ArrayList<>();
        Map<String, float[]> profiled = new HashMap<>();
        StepPhases[] total = new StepPhases[1];
        TrainResult a = train(true, epochs, profiled, total);
        // 20 examples in batches of 8: 3 steps per epoch, 2 epochs
        assertEquals(2, epochs.size());
        assertEquals(6, total[0].steps());
        assertEquals(40, total[0].examples());
        assertEquals(epochs.get(0).plus(epochs.get(1)).totalSeconds(), total[0].totalSeconds(), 1e-12);
        StepPhases p = total[0];
        double sum = p.dataSeconds() + p.forwardSeconds() + p.backwardSeconds() + p.optimizerSeconds()
                + p.metricsSeconds() + p.otherSeconds();
        assertEquals(p.totalSeconds(), sum, 1e-9);
        assertTrue(p.forwardSeconds() > 0 && p.backwardSeconds() > 0 && p.optimizerSeconds() > 0, p.perStepLine());
        assertTrue(p.nativeArrays() >= 6 * 10, "every step makes its inputs, activations and loss: " + p.nativeArrays());
        assertTrue(p.perStepLine().startsWith("per step "), p.perStepLine());

        List<StepPhases> none = new ArrayList<>();
        Map<String, float[]> plain = new HashMap<>();
        TrainResult b = train(false, none, plain, total);
        assertTrue(none.isEmpty(), "no phase callbacks without profiling");
        assertSame(StepPhases.NONE, total[0]);
        assertEquals(profiled.keySet(), plain.keySet());
        profiled.forEach((k, w) -> assertArrayEquals(w, plain.get(k), k));
        for (int e = 0; e < 2; e++) {
            assertEquals(a.epochs().get(e).trainLoss(), b.epochs().get(e).trainLoss(), 0.0);
            assertEquals(a.epochs().get(e).trainAccuracy(), b.epochs().get(e).trainAccuracy(), 0.0);
            assertEquals(a.epochs().get(e).evalLoss(), b.epochs().get(e).evalLoss(), 0.0);
        }
    }

    @Test
    void correctPredictionsAreCountedAsArgMaxCountsThemWithTiesAndNaN() {
        float nan = Float.NaN;
        float[] scores = {
            1, 3, 3, // tie: the first largest (1) wins
            5, 0, -1, // 0
            0, nan, 9, // NaN counts as largest: 1
            2, 2, 2, // all equal: 0
        };
        Dataset labels = Dataset.of("labels", new long[] {1}, new float[4], new int[] {1, 0, 2, 0}, 3);
        try (NDManager m = FloeEngine.newManager()) {
            NDArray logits = m.create(scores, new Shape(4, 3));
            int[] idx = {0, 1, 2, 3};
            assertEquals(3, Trainer.correct(logits, Examples.of(labels, "x"), idx));
            long byArgMax = logits.argMax(1).eq(m.create(new long[] {1, 0, 2, 0})).sum().getLong();
            assertEquals(byArgMax, Trainer.correct(logits, Examples.of(labels, "x"), idx));
        }
    }
}
