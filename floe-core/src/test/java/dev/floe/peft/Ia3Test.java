package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.input;
import static dev.floe.peft.Fixtures.maxAbsDiff;
import static dev.floe.peft.Fixtures.outputs;
import static dev.floe.peft.Fixtures.randomize;
import static dev.floe.peft.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import dev.floe.optim.OptimizerSpec;
import dev.floe.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ia3Test {

    private static final float[] X = input(7);
    /** fc1 and out have their outputs scaled, fc2 (the second matrix after fc1's activation) its input. */
    private static final Ia3Spec SPEC = new Ia3Spec("s", "encoder/{fc1,fc2,out}", "encoder/fc2");

    @TempDir
    Path dir;

    /** A graph whose encoder biases are non-zero, so that scaling them is visible. */
    private static ModelGraph graphWithBiases(long seed) {
        ModelGraph g = graph(seed);
        SplittableRandom r = new SplittableRandom(seed + 100);
        for (String layer : List.of("encoder/fc1", "encoder/fc2", "encoder/out")) {
            Param b = g.parameters().get(layer + "/bias");
            float[] v = new float[(int) b.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.5);
            }
            b.load(v, b.shape().getShape());
        }
        return g;
    }

    @Test
    void injectMakesVectorsOfOnesSoTheStartIsTheBaseBitForBit() {
        try (ModelGraph g = graphWithBiases(1)) {
            float[] base = outputs(g, X);
            assertEquals(List.of("encoder/fc1", "encoder/fc2", "encoder/out"), Ia3.inject(g, SPEC));
            assertEquals(List.of("encoder/fc2"), Ia3.feedforwardLayers(g, "s"));
            assertArrayEquals(new long[] {16}, g.parameters().get("encoder/fc1/ia3/s/scale").shape().getShape());
            assertArrayEquals(new long[] {16}, g.parameters().get("encoder/fc2/ia3/s/scale").shape().getShape());
            assertArrayEquals(new long[] {8}, g.parameters().get("encoder/out/ia3/s/scale").shape().getShape());
            float[] ones = new float[16];
            Arrays.fill(ones, 1f);
            assertArrayEquals(ones, g.parameters().get("encoder/fc1/ia3/s/scale").toFloatArray());
            assertArrayEquals(base, outputs(g, X));
        }
    }

    @Test
    void theForwardScalesOutputsWithTheirBiasAndTheFeedForwardInput() {
        try (ModelGraph g = graphWithBiases(2); ModelGraph plain = graphWithBiases(2)) {
            Ia3.inject(g, SPEC);
            randomize(g, "s", 3, 0.5, "/scale");
            Map<String, Param> p = g.parameters();
            Map<String, Param> q = plain.parameters();
            // written out by hand: rows of W and b for output scaling, columns of W for input scaling
            for (String layer : List.of("encoder/fc1", "encoder/out")) {
                float[] l = p.get(layer + "/ia3/s/scale").toFloatArray();
                float[] w = q.get(layer + "/weight").toFloatArray();
                float[] b = q.get(layer + "/bias").toFloatArray();
                int in = w.length / l.length;
                for (int i = 0; i < w.length; i++) {
                    w[i] *= l[i / in];
                }
                for (int o = 0; o < b.length; o++) {
                    b[o] *= l[o];
                }
                q.get(layer + "/weight").load(w, q.get(layer + "/weight").shape().getShape());
                q.get(layer + "/bias").load(b, q.get(layer + "/bias").shape().getShape());
            }
            float[] l = p.get("encoder/fc2/ia3/s/scale").toFloatArray();
            float[] w = q.get("encoder/fc2/weight").toFloatArray();
            for (int i = 0; i < w.length; i++) {
                w[i] *= l[i % 16];
            }
            q.get("encoder/fc2/weight").load(w, q.get("encoder/fc2/weight").shape().getShape());
            double d = maxAbsDiff(outputs(plain, X), outputs(g, X));
            assertTrue(d < 1e-5, "IA3 forward differs from the hand-scaled layers by " + d);
            try (ModelGraph base = graphWithBiases(2)) {
                assertTrue(maxAbsDiff(outputs(base, X), outputs(g, X)) > 1e-2, "the vectors change the outputs");
            }
        }
    }

    @Test
    void mergedOutputEqualsUnmergedAndUnmergeRestoresWeightsAndBiasesBitForBit() {
        try (ModelGraph g = graphWithBiases(3)) {
            Map<String, float[]> base = snapshot(g);
            Ia3.inject(g, SPEC);
            randomize(g, "s", 4, 0.5, "/scale");
            float[] unmerged = outputs(g, X);
            Ia3.merge(g, "s");
            assertTrue(Ia3.isMerged(g, "s"));
            double merged = maxAbsDiff(unmerged, outputs(g, X));
            System.out.println("IA3 merged vs unmerged max abs diff: " + merged);
            assertTrue(merged < 1e-5, "merged output differs by " + merged);
            assertTrue(maxAbsDiff(base.get("encoder/fc1/bias"), g.parameters().get("encoder/fc1/bias").toFloatArray()) > 1e-3,
                    "output scaling folds into the bias");
            assertArrayEquals(base.get("encoder/fc2/bias"), g.parameters().get("encoder/fc2/bias").toFloatArray(),
                    "input scaling leaves the bias alone");
            Ia3.unmerge(g, "s");
            for (String k : List.of("encoder/fc1/weight", "encoder/fc1/bias", "encoder/fc2/weight", "encoder/out/bias")) {
                assertArrayEquals(base.get(k), g.parameters().get(k).toFloatArray(), k);
            }
            assertArrayEquals(unmerged, outputs(g, X));
        }
    }

    @Test
    void trainingMovesOnlyTheVectorsAndTheHeadAndTheFileReloadsOnTheSameBase() throws IOException {
        Path file = dir.resolve("s.safetensors");
        float[] trained;
        try (ModelGraph g = graph(5)) {
            Ia3.inject(g, SPEC);
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            assertEquals(FreezePlan.State.ADAPTER, plan.entry("encoder/fc2/ia3/s/scale").state());
            assertEquals(FreezePlan.State.FROZEN, plan.entry("encoder/fc2/weight").state());
            long trainable = plan.entries().values().stream().filter(FreezePlan.Entry::trains)
                    .filter(e -> "s".equals(e.param().adapter())).mapToLong(e -> e.param().size()).sum();
            assertEquals(16 + 16 + 8, trainable);
            Map<String, float[]> before = snapshot(g);
            int live = FloeEngine.liveArrays(g.manager());
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).output("logits")
                    .batchSize(16).epochs(1).seed(3).build()) {
                t.fit(Fixtures.blobs(160, 1), null);
            }
            for (Param p : g.parameters().values()) {
                boolean same = Arrays.equals(before.get(p.path()), p.toFloatArray());
                assertEquals(p.path().startsWith("encoder/") && p.adapter() == null, same, p.path());
            }
            assertEquals(live, FloeEngine.liveArrays(g.manager()), "no native arrays left behind by IA3 passes");
            trained = outputs(g, X);
            PeftIo.save(g, "s", file);
        }
        try (ModelGraph fresh = graph(5)) {
            assertEquals(SPEC, PeftIo.load(fresh, file));
            int features = Fixtures.BATCH * 8; // the head trained too and is not part of the adapter file
            assertArrayEquals(Arrays.copyOf(trained, features), Arrays.copyOf(outputs(fresh, X), features));
        }
        try (ModelGraph other = graph(6)) {
            assertThrows(IllegalArgumentException.class, () -> PeftIo.load(other, file));
        }
    }

    @Test
    void aFeedForwardGlobOutsideTheTargetIsRefusedNamingBoth() {
        try (ModelGraph g = graph(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Ia3.inject(g, new Ia3Spec("s", "encoder/{fc1,out}", "encoder/fc2")));
            assertTrue(e.getMessage().contains("ia3 's': feedforward 'encoder/fc2' matches none of the layers")
                    && e.getMessage().contains("[encoder/fc1, encoder/out]"), e.getMessage());
            assertEquals(Map.of(), Ia3.attached(g));
            assertThrows(IllegalArgumentException.class, () -> new Ia3Spec("s", "encoder/**", null));
            Ia3.inject(g, Ia3Spec.of("o", "encoder/out"));
            Lora.inject(g, LoraSpec.of("l", 2, "encoder/out"));
            IllegalStateException shared = assertThrows(IllegalStateException.class, () -> Ia3.merge(g, "o"));
            assertTrue(shared.getMessage().contains("'l' is active on the same layers"), shared.getMessage());
            assertFalse(Ia3.isMerged(g, "o"));
        }
    }
}
