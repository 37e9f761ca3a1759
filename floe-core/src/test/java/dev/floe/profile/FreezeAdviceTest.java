package dev.floe.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each advice rule on made-up measurements at and around its threshold. */
class FreezeAdviceTest {

    static Series flat(double v) {
        double[] s = new double[10];
        Arrays.fill(s, v);
        return Series.of(s);
    }

    static Series rising(double from, double to) {
        double[] s = new double[10];
        for (int i = 0; i < s.length; i++) {
            s[i] = from + (to - from) * i / (s.length - 1);
        }
        return Series.of(s);
    }

    static LayerProfile layer(String path, String state, double lrScale, Series grad, Series update, double backwardMs) {
        return new LayerProfile(path, path.substring(0, path.indexOf('/')), state, 1000, "frozen".equals(state) ? 0 : 1000,
                lrScale, 0.1, grad, null, grad, update, null, null, 1.0, backwardMs, 1e5);
    }

    static Profile profile(LayerProfile... layers) {
        return new Profile(10, 8, "adamw", 0.005, flat(1.0), List.of(layers), List.of());
    }

    @Test
    void aFlatLayerFortyTimesWeakerStaysFrozenAndTheMessageSaysWhatItSaves() {
        Profile p = profile(
                layer("encoder/block1", "frozen", 1, flat(0.01), null, 3.1),
                layer("encoder/block2", "frozen", 1, flat(0.4), null, 4.9),
                layer("head/fc", "train", 1, flat(0.3), flat(2e-3), 2.0));
        FreezeAdvice a = FreezeAdvice.of(p);
        FreezeAdvice.Item block1 = a.item("encoder/block1");
        assertEquals(FreezeAdvice.Rule.WEAK_GRADIENT, block1.rule());
        assertEquals(FreezeAdvice.Action.FREEZE, block1.action());
        assertFalse(block1.changes());
        assertTrue(block1.reason().contains("40× below encoder/block2 and flat"), block1.reason());
        assertTrue(block1.reason().contains("keep frozen (its backward is 31% of backward time)"), block1.reason());
        assertEquals("{freeze: \"encoder/block1/**\"}", block1.policyRule());
    }

    @Test
    void aWeakButRisingGradientIsNotFrozen() {
        Profile p = profile(
                layer("encoder/block1", "train", 1, rising(0.005, 0.03), flat(1e-3), 1),
                layer("head/fc", "train", 1, flat(0.4), flat(1e-3), 1));
        assertEquals(FreezeAdvice.Rule.KEEP, FreezeAdvice.of(p).item("encoder/block1").rule());
    }

    @Test
    void aFrozenLayerWithAStrongGradientIsUnfrozenAtTheScaleThatAimsAtTheTargetUpdate() {
        Profile p = profile(
                layer("encoder/block2", "frozen", 1, flat(0.3), null, 1),
                layer("head/fc", "train", 1, flat(0.4), flat(5e-3), 1));
        FreezeAdvice.Item i = FreezeAdvice.of(p).item("encoder/block2");
        assertEquals(FreezeAdvice.Rule.STRONG_GRADIENT, i.rule());
        assertEquals(FreezeAdvice.Action.TRAIN, i.action());
        // AdamW, calibrated on the head: its step per element is 5e-3 · rms 0.1 / lr_scale 1 = 5e-4,
        // so 1e-3 · rms(w) 0.1 / 5e-4 = 0.2 → 0.1
        assertEquals(0.1, i.lrScale(), 1e-15);
        assertEquals("{train: \"encoder/block2/**\", lr_scale: 0.1}", i.policyRule());
        // with nothing trained to calibrate on, the optimizer's lr: 1e-3 · 0.1 / 0.005 = 0.02 → 0.01
        Profile alone = profile(layer("encoder/block2", "frozen", 1, flat(0.3), null, 1));
        assertEquals(0.01, FreezeAdvice.of(alone).item("encoder/block2").lrScale(), 1e-15);
        // just below the threshold (1/4 of the strongest): stays frozen
        Profile below = profile(
                layer("encoder/block2", "frozen", 1, flat(0.099), null, 1),
                layer("head/fc", "train", 1, flat(0.4), flat(1e-3), 1));
        FreezeAdvice.Item kept = FreezeAdvice.of(below).item("encoder/block2");
        assertEquals(FreezeAdvice.Rule.KEEP, kept.rule());
        assertNull(kept.lrScale());
    }

    @Test
    void aLargeUpdateRatioLowersTheLearningRateAndASmallOneRaisesIt() {
        Profile p = profile(
                layer("encoder/block2", "train", 0.1, flat(0.3), flat(5e-5), 1),
                layer("head/fc", "train", 1, flat(0.4), flat(3e-1), 1));
        FreezeAdvice a = FreezeAdvice.of(p);
        FreezeAdvice.Item head = a.item("head/fc");
        assertEquals(FreezeAdvice.Rule.UPDATE_TOO_LARGE, head.rule());
        assertEquals(0.01, head.lrScale(), 1e-15); // 1 · 1e-3 / 0.3 = 0.0033 → 0.01 (nearest on a log scale)
        assertTrue(head.reason().contains("update/weight ratio 3.0e-01"), head.reason());
        FreezeAdvice.Item block2 = a.item("encoder/block2");
        assertEquals(FreezeAdvice.Rule.UPDATE_TOO_SMALL, block2.rule());
        assertEquals(1.0, block2.lrScale(), 1e-12); // 0.1 · 1e-3 / 5e-5 = 2 → 1
    }

    @Test
    void theStrongestLayerIsKeptAndThePolicyListsEveryLayer() {
        Profile p = profile(
                layer("encoder/block1", "frozen", 1, flat(0.001), null, 1),
                layer("head/fc", "train", 1, flat(0.4), flat(1e-3), 1));
        FreezeAdvice a = FreezeAdvice.of(p);
        assertEquals(FreezeAdvice.Rule.KEEP, a.item("head/fc").rule());
        assertEquals("policy:\n"
                + "  - {freeze: \"encoder/block1/**\"}  # weak-gradient\n"
                + "  - {train: \"head/fc/**\"}          # keep\n", a.policyYaml());
    }
}
