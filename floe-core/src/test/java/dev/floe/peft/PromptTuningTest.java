package dev.floe.peft;

import static dev.floe.peft.Fixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.TransformerEncoder;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTuningTest {

    static final int H = 8;
    static final int HEADS = 2;
    static final int LAYERS = 2;
    static final int POSITIONS = 12;
    static final long[][] IDS = {{1, 5, 7, 9, 2}, {1, 4, 2, 0, 0}};
    static final long[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};
    /** Largest difference allowed between fp32 libtorch and the hand computation in doubles. */
    static final double HAND_TOLERANCE = 1e-5;

    @TempDir
    Path dir;

    static ModelGraph graph(long seed, TransformerEncoder.Pooling pooling) {
        TransformerEncoder enc = TransformerEncoder.builder().name("enc").vocab(20).hidden(H).layers(LAYERS)
                .heads(HEADS).intermediate(16).maxPositions(POSITIONS).dropout(0f).pooling(pooling).build();
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        return ModelGraph.builder().seed(seed).input("ids", ids).input("mask", ids).add(enc)
                .wire("ids", "enc.input_ids").wire("mask", "enc.attention_mask")
                .output("hidden", "enc.hidden").output("pooled", "enc.pooled").build();
    }

    /** hidden {@code [B][T][H]} and pooled {@code [B][1][H]} as floats, by output name. */
    static Map<String, float[][][]> run(ModelGraph g, long[][] ids, long[][] mask) {
        try (NDManager m = g.manager().newSubManager()) {
            Map<String, NDArray> out = g.forward(inputs(m, ids, mask), ForwardContext.INFERENCE);
            return Map.of("hidden", split(out.get("hidden")), "pooled", split(out.get("pooled").expandDims(1)));
        }
    }

    static Map<String, NDArray> inputs(NDManager m, long[][] ids, long[][] mask) {
        int b = ids.length;
        int t = ids[0].length;
        long[] fi = new long[b * t];
        long[] fm = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ids[i], 0, fi, i * t, t);
            System.arraycopy(mask[i], 0, fm, i * t, t);
        }
        return Map.of("ids", m.create(fi, new Shape(b, t)), "mask", m.create(fm, new Shape(b, t)));
    }

    static float[][][] split(NDArray a) {
        long[] s = a.getShape().getShape();
        float[] f = a.toFloatArray();
        float[][][] out = new float[(int) s[0]][(int) s[1]][(int) s[2]];
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                System.arraycopy(f, (int) ((i * s[1] + j) * s[2]), out[i][j], 0, (int) s[2]);
            }
        }
        return out;
    }

    static double diff(float[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static double diff(float[] a, float[] b) {
        return Fixtures.maxAbsDiff(a, b);
    }

    private static HandEncoder hand(ModelGraph g) {
        return new HandEncoder(g, "enc", H, HEADS, LAYERS, 1e-12);
    }

    /** The largest difference between the module's hidden and pooled outputs and the hand computation. */
    private static double worstAgainstHand(ModelGraph g, float[] virtual, String prefix) {
        Map<String, float[][][]> out = run(g, IDS, MASK);
        double worst = 0;
        for (int r = 0; r < IDS.length; r++) {
            double[][] want = hand(g).hidden(IDS[r], MASK[r], virtual, prefix);
            for (int j = 0; j < IDS[r].length; j++) {
                if (MASK[r][j] == 1) {
                    worst = Math.max(worst, diff(out.get("hidden")[r][j], want[j]));
                }
            }
            worst = Math.max(worst, diff(out.get("pooled")[r][0], HandEncoder.mean(want, MASK[r])));
        }
        return worst;
    }

    @Test
    void theHandEncoderAgreesWithTheEncoderWithoutModules() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            double worst = worstAgainstHand(g, null, null);
            assertTrue(worst < HAND_TOLERANCE, "plain encoder vs hand: " + worst);
        }
    }

    @Test
    void prefixTuningIsAttentionOverPrefixKeysAndValuesComputedByHand() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            Map<String, float[][][]> base = run(g, IDS, MASK);
            List<String> layers = Prompts.inject(g, new PrefixSpec("pfx", 3, "enc"), true);
            assertEquals(List.of("enc/layer.0/attention/self", "enc/layer.1/attention/self"), layers);
            Param key = g.parameters().get("enc/layer.1/attention/self/prefix/pfx/key");
            assertArrayEquals(new long[] {3, H}, key.shape().getShape());
            assertEquals("pfx", key.adapter());
            randomize(g, "pfx", 11, 1.0, "/key", "/value");
            double worst = worstAgainstHand(g, null, "pfx");
            assertTrue(worst < HAND_TOLERANCE, "prefix vs hand: " + worst);
            assertTrue(diff(base.get("pooled")[0][0], run(g, IDS, MASK).get("pooled")[0][0]) > 1e-2,
                    "the prefix changes the outputs");
            Prompts.deactivate(g, "pfx");
            assertArrayEquals(base.get("pooled")[1][0], run(g, IDS, MASK).get("pooled")[1][0], "switched off: the base");
        }
    }

    @Test
    void promptTuningPrependsVirtualTokensAndPoolsOnlyRealTokensAsComputedByHand() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            List<String> layers = Prompts.inject(g, new PromptSpec("soft", 4, "enc"), true);
            assertEquals(List.of("enc/embeddings"), layers);
            float[] tokens = g.parameters().get("enc/embeddings/prompt/soft/tokens").toFloatArray();
            assertEquals(4 * H, tokens.length);
            Map<String, float[][][]> out = run(g, IDS, MASK);
            assertEquals(IDS[0].length, out.get("hidden")[0].length, "hidden holds the real tokens only");
            double worst = worstAgainstHand(g, tokens, null);
            assertTrue(worst < HAND_TOLERANCE, "prompt vs hand: " + worst);
        }
    }

    @Test
    void clsPoolingTakesTheRealClsTokenNotAVirtualOne() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.CLS)) {
            Prompts.inject(g, new PromptSpec("soft", 3, "enc"), true);
            Map<String, float[][][]> out = run(g, IDS, MASK);
            double[][] want = hand(g).hidden(IDS[0], MASK[0], g.parameters().get("enc/embeddings/prompt/soft/tokens")
                    .toFloatArray(), null);
            assertArrayEquals(out.get("hidden")[0][0], out.get("pooled")[0][0]);
            assertTrue(diff(out.get("pooled")[0][0], want[0]) < HAND_TOLERANCE);
        }
    }

    @Test
    void paddingDoesNotChangeTheRealTokensWithPromptAndPrefix() {
        try (ModelGraph g = graph(5, TransformerEncoder.Pooling.MEAN)) {
            Prompts.inject(g, new PromptSpec("soft", 2, "enc"), true);
            Prompts.inject(g, new PrefixSpec("pfx", 3, "enc"), true);
            randomize(g, "pfx", 2, 1.0, "/key", "/value");
            long[][] alone = {{1, 4, 2}};
            long[][] aloneMask = {{1, 1, 1}};
            Map<String, float[][][]> unpadded = run(g, alone, aloneMask);
            Map<String, float[][][]> padded = run(g, IDS, MASK);
            double worst = diff(unpadded.get("pooled")[0][0], padded.get("pooled")[1][0]);
            for (int j = 0; j < 3; j++) {
                worst = Math.max(worst, diff(unpadded.get("hidden")[0][j], padded.get("hidden")[1][j]));
            }
            assertTrue(worst < 1e-6, "padded vs unpadded: " + worst);
        }
    }

    @Test
    void tooManyVirtualTokensOrAWrongTargetFailBeforeAnythingIsCreated() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            int before = g.parameters().size();
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                    () -> Prompts.inject(g, new PromptSpec("soft", POSITIONS, "enc"), true));
            assertTrue(tooMany.getMessage().contains("virtual_tokens 12") && tooMany.getMessage().contains("12 positions"),
                    tooMany.getMessage());
            IllegalArgumentException target = assertThrows(IllegalArgumentException.class,
                    () -> Prompts.inject(g, new PrefixSpec("pfx", 2, "encoder"), true));
            assertTrue(target.getMessage().contains("[enc]"), target.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new PromptSpec("soft", 0, "enc"));
            assertEquals(before, g.parameters().size());

            Prompts.inject(g, new PromptSpec("soft", 8, "enc"), true);
            try (NDManager m = g.manager().newSubManager()) {
                IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                        () -> g.forward(inputs(m, IDS, MASK), ForwardContext.INFERENCE));
                assertTrue(tooLong.getMessage().contains("8 virtual tokens plus sequences of 5 tokens need 13 positions"),
                        tooLong.getMessage());
            }
        }
    }

    @Test
    void onlyThePromptAndPrefixTrainWhileTheEncoderIsFrozen() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            Prompts.inject(g, new PromptSpec("soft", 4, "enc"), true);
            Prompts.inject(g, new PrefixSpec("pfx", 2, "enc"), true);
            FreezePlan plan = FreezePolicy.builder().build().resolve(g);
            assertEquals(4 * H + LAYERS * 2 * 2 * H, plan.trainableCount());
            assertTrue(plan.trainable().stream().allMatch(p -> p.adapter() != null), "the encoder is frozen");
            // floe plan's totals name each method
            assertTrue(plan.explain(dev.floe.optim.OptimizerSpec.adamW(1e-3)).contains(String.format(
                    "of the trainable: prompt %d params, prefix %d params%n", 4 * H, LAYERS * 2 * 2 * H)),
                    plan.explain(dev.floe.optim.OptimizerSpec.adamW(1e-3)));
        }
    }

    @Test
    void aSavedPrefixReloadsOntoTheSameBaseOnly() throws IOException {
        Path file = dir.resolve("pfx.safetensors");
        Map<String, float[][][]> trained;
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            Prompts.inject(g, new PrefixSpec("pfx", 3, "enc"), true);
            Prompts.inject(g, new PromptSpec("soft", 2, "enc"), true);
            randomize(g, "pfx", 4, 1.0, "/key", "/value");
            randomize(g, "soft", 5, 1.0, "/tokens");
            trained = run(g, IDS, MASK);
            PeftIo.save(g, "pfx", file);
            PeftIo.save(g, "soft", dir.resolve("soft.safetensors"));
        }
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            assertEquals("prefix", PeftIo.load(g, file).kind());
            assertEquals("prompt", PeftIo.load(g, dir.resolve("soft.safetensors")).kind());
            Map<String, float[][][]> reloaded = run(g, IDS, MASK);
            for (int r = 0; r < IDS.length; r++) {
                assertArrayEquals(trained.get("pooled")[r][0], reloaded.get("pooled")[r][0]);
            }
        }
        try (ModelGraph other = graph(4, TransformerEncoder.Pooling.MEAN)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftIo.load(other, file));
            assertTrue(e.getMessage().contains("trained on base"), e.getMessage());
            assertTrue(other.parameters().keySet().stream().noneMatch(p -> p.contains("/prefix/")));
        }
        assertTrue(Files.size(file) < 4096, "adapter-only file");
    }

    @Test
    void anActivePromptOrPrefixRefusesOnnxExportInsteadOfBeingDropped() {
        try (ModelGraph g = graph(3, TransformerEncoder.Pooling.MEAN)) {
            Prompts.inject(g, new PrefixSpec("pfx", 2, "enc"), true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dev.floe.export.OnnxExport.toOnnx(g, null, "test"));
            assertTrue(e.getMessage().contains("prefix module 'pfx'") && e.getMessage().contains("--safetensors"),
                    e.getMessage());
            Prompts.deactivate(g, "pfx");
            assertTrue(dev.floe.export.OnnxExport.toOnnx(g, null, "test").length > 0, "the base exports");
        }
    }

    @Test
    void forwardPassesLeaveNoArraysBehindInTheModel() {
        try (ModelGraph g = graph(7, TransformerEncoder.Pooling.MEAN)) {
            Prompts.inject(g, new PromptSpec("soft", 2, "enc"), true);
            Prompts.inject(g, new PrefixSpec("pfx", 3, "enc"), true);
            run(g, IDS, MASK);
            int afterOne = dev.floe.engine.FloeEngine.liveArraysEverywhere();
            for (int i = 0; i < 10; i++) {
                run(g, IDS, MASK);
            }
            assertEquals(afterOne, dev.floe.engine.FloeEngine.liveArraysEverywhere(),
                    "arrays made from the virtual tokens and prefixes must close with the pass");
        }
    }
}
