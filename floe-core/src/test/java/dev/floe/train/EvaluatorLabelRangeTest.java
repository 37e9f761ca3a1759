package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.graph.ModelGraph;
import org.junit.jupiter.api.Test;

/** A label the model's output has no class for is reported with the example, the counts and the fixes. */
class EvaluatorLabelRangeTest {

    @Test
    void aLabelBeyondTheOutputsClassesNamesTheExampleAndHowToFixIt() {
        float[] x = new float[4 * 8];
        int[] y = {0, 1, 5, 2};
        Dataset data = Dataset.of("four", new long[] {8}, x, y, 6);
        try (ModelGraph g = TrainerTest.mlpGraph(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Evaluator.evaluate(g, Examples.of(data, "x"), "logits", 4));
            String m = e.getMessage();
            assertTrue(m.contains("example 2 of four has label 5 but the output has 3 classes (labels 0 to 2)"), m);
            assertTrue(m.contains("give the head at least 6 classes") && m.contains("data.classes")
                    && m.contains("fix the label"), m);
        }
    }
}
