package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /**
     * Encoder widths of the transfer demo ({@code floe demo}): stem, block1, block2. The demo lives in
     * floe-cli, whose {@code TransferDemoTest} checks that its settings still use these.
     */
    static final long[] DEMO_WIDTHS = {16, 32, 64};

    /** Three Gaussian blobs in 8 dimensions. */
    static Dataset blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 8];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 8; j++) {
                x[i * 8 + j] = (float) (r.nextGaussian() * 0.5 + (j % 3 == y[i] ? 1.5 : 0));
            }
        }
        return Dataset.of("blobs", new long[] {8}, x, y, 3);
    }

    /** Random 1×12×12 images whose class is the brightest quadrant-ish pattern. */
    static Dataset images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 144];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int p = 0; p < 144; p++) {
                boolean left = (p % 12) < 6;
                x[i * 144 + p] = (float) (r.nextDouble() + (left == (y[i] == 0) ? 0.5 : 0));
            }
        }
        return Dataset.of("images", new long[] {1, 12, 12}, x, y, 2);
    }

    static ModelGraph mlpGraph(long seed) {
        return ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, 8]"))
                .add(Mlp.builder().name("encoder").inputs(8).hidden(16).outputs(16).build())
                .add(LinearHead.of("head", 16, 3))
                .wire("x", "encoder.in")
                .wire("encoder.out", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    /** The transfer demo's encoder (a stem and two residual blocks, its widths) on 1×12×12 images. */
    static ConvEncoder demoEncoder() {
        return ConvEncoder.builder().name("encoder").input(1, 12, 12).widths(DEMO_WIDTHS).build();
    }

    static ModelGraph convGraph(long seed) {
        return ModelGraph.builder()
                .input("image", TensorSpec.of("[batch, 1, 12, 12]"))
                .add(demoEncoder())
                .add(LinearHead.of("head", DEMO_WIDTHS[DEMO_WIDTHS.length - 1], 2))
                .wire("image", "encoder.in")
                .wire("encoder.features", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    private static Map<String, float[]> snapshot(ModelGraph g) {
        Map<String, float[]> s = new HashMap<>();
        g.parameters().forEach((k, p) -> s.put(k, p.toFloatArray()));
        return s;
    }

    @Test
    void frozenParametersAreBitIdenticalAfter100StepsAndOnlyTrainableOnesHoldState() {
        try (ModelGraph g = mlpGraph(1)) {
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/**").build().resolve(g);
            Map<String, float[]> before = snapshot(g);
            OptimizerSpec adam = OptimizerSpec.adamW(1e-2);
            // 400 examples / batch 16 = 25 steps per epoch, 4 epochs = 100 steps
            try (Trainer t = Trainer.builder().plan(plan).optimizer(adam).batchSize(16).epochs(4).seed(3).build()) {
                TrainResult r = t.fit(blobs(400, 1), null);
                assertEquals(100, r.steps());
                for (Param p : g.parameters().values()) {
                    boolean same = java.util.Arrays.equals(before.get(p.path()), p.toFloatArray());
                    if (p.path().startsWith("encoder/")) {
                        assertTrue(same, p.path() + " is frozen and must not change");
                    } else {
                        assertFalse(same, p.path() + " trains and must change");
                    }
                }
                long trainable = g.component("head").parameterCount();
                assertEquals(16 * 3 + 3, trainable);
                assertEquals(8 * trainable, t.optimizer().stateBytes(), "AdamW holds two fp32 moments per trainable value");
                assertEquals(plan.optimizerBytes(adam), t.optimizer().stateBytes());
            }
        }
    }

    @Test
    void frozenBatchNormKeepsItsRunningStatistics() {
        try (ModelGraph g = convGraph(2)) {
            FreezePlan plan = FreezePolicy.builder().freeze("encoder").build().resolve(g);
            Map<String, float[]> before = snapshot(g);
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).batchSize(8).epochs(2).seed(1).build()) {
                t.fit(images(64, 2), null);
            }
            int checked = 0;
            for (Param p : g.parameters().values()) {
                if (p.kind().isBuffer()) {
                    assertArrayEquals(before.get(p.path()), p.toFloatArray(), p.path());
                    checked++;
                }
            }
            assertEquals(14, checked, "two buffers in each of 7 BatchNorms: the stem's and bn1, bn2, proj_bn in both blocks");
        }
    }

    @Test
    void trainingBatchNormUpdatesItsRunningStatistics() {
        // the counterpart of the test above: proves the check can fail
        try (ModelGraph g = convGraph(2)) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            float[] before = g.parameters().get("encoder/stem/bn/running_mean").toFloatArray();
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).batchSize(8).epochs(1).seed(1).build()) {
                t.fit(images(16, 2), null);
            }
            assertFalse(java.util.Arrays.equals(before, g.parameters().get("encoder/stem/bn/running_mean").toFloatArray()));
        }
    }

    @Test
    void dropoutIsOffInAFrozenComponentAndOnInATrainingOne() {
        try (ModelGraph g = ModelGraph.builder()
                        .input("x", TensorSpec.of("[batch, 8]"))
                        .add(dev.floe.components.MlpHead.of("frozen", 8, 64, 4, 0.5f))
                        .add(dev.floe.components.MlpHead.of("live", 8, 64, 4, 0.5f))
                        .wire("x", "frozen.in")
                        .wire("x", "live.in")
                        .output("a", "frozen.logits")
                        .output("b", "live.logits")
                        .build();
                ai.djl.ndarray.NDManager m = g.manager().newSubManager()) {
            FreezePlan plan = FreezePolicy.builder().freeze("frozen").build().resolve(g);
            ai.djl.ndarray.NDArray x = m.ones(new ai.djl.ndarray.types.Shape(16, 8));
            FloeEngine.seed(1);
            Map<String, ai.djl.ndarray.NDArray> first = g.forward(Map.of("x", x), plan.trainingContext());
            Map<String, ai.djl.ndarray.NDArray> second = g.forward(Map.of("x", x), plan.trainingContext());
            assertArrayEquals(first.get("a").toFloatArray(), second.get("a").toFloatArray(), "frozen: no dropout");
            assertFalse(java.util.Arrays.equals(first.get("b").toFloatArray(), second.get("b").toFloatArray()),
                    "training: dropout draws a new mask each pass");
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsAndLearns() {
        Map<String, float[]> first;
        double accuracy;
        try (ModelGraph g = convGraph(5)) {
            try (Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g)).optimizer(OptimizerSpec.adamW(1e-2))
                    .batchSize(16).epochs(3).seed(9).build()) {
                TrainResult r = t.fit(images(96, 3), images(64, 4));
                accuracy = r.finalEval().accuracy();
            }
            first = snapshot(g);
        }
        try (ModelGraph g = convGraph(5)) {
            try (Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g)).optimizer(OptimizerSpec.adamW(1e-2))
                    .batchSize(16).epochs(3).seed(9).build()) {
                t.fit(images(96, 3), images(64, 4));
            }
            for (Map.Entry<String, float[]> e : first.entrySet()) {
                assertArrayEquals(e.getValue(), g.parameters().get(e.getKey()).toFloatArray(), e.getKey());
            }
        }
        assertTrue(accuracy > 0.8, "a separable toy task should be learned, accuracy was " + accuracy);
    }

    @Test
    void batchSizesAndAccumulationNearTheIntLimitTrainOnTheWholeSetInsteadOfNothing() {
        Dataset data = blobs(30, 2);
        try (ModelGraph g = mlpGraph(4)) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2))
                    .batchSize(Integer.MAX_VALUE).epochs(2).seed(1).build()) {
                TrainResult r = t.fit(data, data);
                assertEquals(2, r.steps(), "one step per epoch: the whole set is one batch");
                assertEquals(30, r.finalEval().examples());
            }
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2))
                    .batchSize(4).gradientAccumulation(Integer.MAX_VALUE).epochs(3).seed(1).build()) {
                assertEquals(3, t.fit(data, null).steps(), "one accumulated step per epoch");
            }
        }
    }

    @Test
    void liveNativeArraysDoNotGrowOver500Steps() {
        try (ModelGraph g = convGraph(3)) {
            FreezePlan plan = FreezePolicy.builder().freeze("encoder/stem").build().resolve(g);
            Dataset data = images(32, 5);
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-3)).batchSize(4).epochs(1).seed(1).build()) {
                t.fit(data, null); // 8 steps: optimizer state exists from here on
                int baseline = FloeEngine.liveArraysEverywhere();
                for (int i = 0; i < 62; i++) {
                    t.fit(data, null);
                }
                assertEquals(8 * 63, t.steps());
                assertEquals(baseline, FloeEngine.liveArraysEverywhere(), "live arrays (model, optimizer, batches) after 504 steps");
            }
        }
    }
}
