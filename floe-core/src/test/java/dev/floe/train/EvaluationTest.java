package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.optim.OptimizerSpec;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void perClassScoresAndMacroF1FollowTheirDefinitions() {
        // rows: true class; columns: predicted
        ConfusionMatrix m = new ConfusionMatrix(new long[][] {{8, 2, 0}, {1, 3, 0}, {0, 4, 0}}, List.of("a", "b", "c"));
        List<ConfusionMatrix.ClassMetrics> per = m.perClass();
        assertEquals(8.0 / 9, per.get(0).precision(), 1e-12);
        assertEquals(8.0 / 10, per.get(0).recall(), 1e-12);
        assertEquals(3.0 / 9, per.get(1).precision(), 1e-12);
        assertEquals(3.0 / 4, per.get(1).recall(), 1e-12);
        assertEquals(0.0, per.get(2).precision(), "never predicted: precision 0");
        assertEquals(0.0, per.get(2).f1());
        assertEquals(4, per.get(2).support());
        double f1a = 2 * (8.0 / 9) * 0.8 / (8.0 / 9 + 0.8);
        double f1b = 2 * (1.0 / 3) * 0.75 / (1.0 / 3 + 0.75);
        assertEquals((f1a + f1b + 0) / 3, m.macroF1(), 1e-12);
        assertEquals("c", per.get(2).name());
    }

    @Test
    void aClassThatNeitherOccursNorIsPredictedIsLeftOutOfTheMacroAverage() {
        ConfusionMatrix m = new ConfusionMatrix(new long[][] {{5, 0, 0}, {0, 5, 0}, {0, 0, 0}}, null);
        assertTrue(Double.isNaN(m.perClass().get(2).f1()));
        assertEquals(1.0, m.macroF1(), 0.0);
        assertEquals("2", m.perClass().get(2).name());
    }

    @Test
    void finalEvaluationEqualsTheLastEpochsAndCountsEveryEvalExample() {
        Dataset train = TrainerTest.blobs(90, 1);
        Dataset eval = TrainerTest.blobs(45, 2);
        try (ModelGraph g = TrainerTest.mlpGraph(3);
                Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g))
                        .optimizer(OptimizerSpec.adamW(1e-2)).batchSize(16).epochs(2).seed(1).build()) {
            TrainResult r = t.fit(train, eval);
            EvalResult fin = r.finalEval();
            EpochMetrics last = r.epochs().get(r.epochs().size() - 1);
            assertEquals(last.evalLoss(), fin.loss(), 0.0);
            assertEquals(last.evalAccuracy(), fin.accuracy(), 0.0);
            assertNotNull(fin.confusion());
            assertEquals(45, fin.confusion().total());
            long diagonal = 0;
            for (int k = 0; k < 3; k++) {
                diagonal += fin.confusion().count(k, k);
                assertEquals(15, fin.confusion().support(k));
            }
            assertEquals(fin.accuracy(), diagonal / 45.0, 0.0);
            EvalResult again = Evaluator.evaluate(g, Examples.of(eval, "x"), "logits", Evaluator.BATCH_SIZE);
            assertEquals(fin, again, "the saved weights evaluate to the reported numbers");
        }
    }

    /** 90 % class 0, 10 % class 1, overlapping. */
    private static Dataset imbalanced(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 8];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10 == 0 ? 1 : 0;
            for (int j = 0; j < 8; j++) {
                x[i * 8 + j] = (float) (r.nextGaussian() + (y[i] == 1 && j < 4 ? 1.0 : 0));
            }
        }
        return Dataset.of("imbalanced", new long[] {8}, x, y, 3);
    }

    private static ConfusionMatrix trainImbalanced(ClassWeights weights) {
        try (ModelGraph g = TrainerTest.mlpGraph(7);
                Trainer t = Trainer.builder().plan(FreezePolicy.trainAll().resolve(g))
                        .optimizer(OptimizerSpec.adamW(1e-2)).batchSize(20).epochs(4).seed(2)
                        .classWeights(weights).build()) {
            return t.fit(imbalanced(400, 3), imbalanced(400, 4)).finalEval().confusion();
        }
    }

    @Test
    void balancedClassWeightsRaiseTheRareClassRecall() {
        ConfusionMatrix plain = trainImbalanced(null);
        ConfusionMatrix balanced = trainImbalanced(ClassWeights.balanced());
        double plainRecall = plain.perClass().get(1).recall();
        double balancedRecall = balanced.perClass().get(1).recall();
        assertTrue(balancedRecall > plainRecall + 0.2, "rare-class recall: plain " + plainRecall + ", balanced "
                + balancedRecall);
    }

    @Test
    void weightedCrossEntropyIsTheWeightedMeanOfTheExamplesLosses() {
        try (ModelGraph g = TrainerTest.mlpGraph(1); ai.djl.ndarray.NDManager m = g.manager().newSubManager()) {
            float[][] logits = {{2, 0, 0}, {0, 1, 0}, {0, 0, 3}};
            long[] labels = {0, 2, 2};
            float[] w = {1, 1, 4};
            ai.djl.ndarray.NDArray l = m.create(new float[] {2, 0, 0, 0, 1, 0, 0, 0, 3}, new ai.djl.ndarray.types.Shape(3, 3));
            double expected = 0;
            double weightSum = 0;
            for (int i = 0; i < 3; i++) {
                double z = 0;
                for (float v : logits[i]) {
                    z += Math.exp(v);
                }
                double ce = Math.log(z) - logits[i][(int) labels[i]];
                expected += w[(int) labels[i]] * ce;
                weightSum += w[(int) labels[i]];
            }
            float got = Trainer.weightedCrossEntropy(l, m.create(labels), w).getFloat();
            assertEquals(expected / weightSum, got, 1e-5);
        }
    }

    @Test
    void classWeightsAreOnePositiveNumberPerClass() {
        assertThrows(IllegalArgumentException.class, () -> ClassWeights.of(List.of(1.0, -2.0)));
        assertThrows(IllegalArgumentException.class, () -> ClassWeights.of(List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassWeights.of(List.of(1.0, 2.0)).resolve(new int[] {5, 5, 5}));
        assertTrue(e.getMessage().contains("for 3 classes"), e.getMessage());
        assertArrayEquals(new double[] {30.0 / (3 * 20), 30.0 / (3 * 5), 30.0 / (3 * 5)},
                ClassWeights.balanced().resolve(new int[] {20, 5, 5}), 1e-12);
    }
}
