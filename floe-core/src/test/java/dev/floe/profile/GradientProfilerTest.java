package dev.floe.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.floe.config.ExperimentConfig;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Linear;
import dev.floe.nn.Param;
import dev.floe.nn.ParamScope;
import dev.floe.optim.OptimizerSpec;
import dev.floe.run.Experiment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Profiling measures every layer, updates only what trains, and its advice follows the signal. */
class GradientProfilerTest {

    @TempDir
    Path base;

    /** A small conv encoder (layers stem, block1) and a linear head; the encoder is frozen. */
    static final String CONFIG = """
            seed: 3
            data:
              format: idx
              train: {images: none.gz, labels: none.gz}
              num_classes: 4
            model:
              inputs: {image: "[batch, 1, 12, 12]"}
              components:
                - {name: encoder, type: conv_encoder, input: [1, 12, 12], widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 4}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            %s
            optimizer: {type: adamw, lr: 0.01, weight_decay: 0.01}
            training: {epochs: 1, batch_size: 8}
            """;

    static ExperimentConfig config(String policy) {
        return ExperimentConfig.parse(String.format(CONFIG, policy).getBytes(StandardCharsets.UTF_8), "exp.yaml");
    }

    /** Random 12×12 images whose label is which quadrant is brightest. */
    static Dataset images(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 144];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(4);
            for (int p = 0; p < 144; p++) {
                int quadrant = (p / 72) * 2 + (p % 12) / 6;
                x[i * 144 + p] = (float) r.nextGaussian() + (quadrant == y[i] ? 1.5f : 0f);
            }
        }
        return Dataset.of("quadrants", new long[] {1, 12, 12}, x, y, 4);
    }

    static Map<String, float[]> weights(ModelGraph g) {
        Map<String, float[]> out = new LinkedHashMap<>();
        g.parameters().forEach((k, p) -> out.put(k, p.toFloatArray()));
        return out;
    }

    @Test
    void frozenWeightsStayBitIdenticalWhileTheirGradientsAreMeasured() {
        try (Experiment e = Experiment.build(config("policy: [{freeze: \"encoder/**\"}]"), base)) {
            Map<String, float[]> before = weights(e.graph());
            int live = FloeEngine.liveArraysEverywhere();
            Profile profile = GradientProfiler.builder().plan(e.plan()).optimizer(e.optimizer()).steps(6).batchSize(8)
                    .seed(1).clipGradNorm(5.0).build().run(Examples.of(images(40, 1), "image"));
            assertEquals(live, FloeEngine.liveArraysEverywhere(), "profiling leaves no native array behind");
            Map<String, float[]> after = weights(e.graph());
            for (String path : before.keySet()) {
                if (path.startsWith("encoder/")) {
                    assertArrayEquals(before.get(path), after.get(path), path + " is frozen and must not change");
                    assertFalse(e.graph().parameters().get(path).trainable(), path + " must be frozen again");
                }
            }
            assertFalse(java.util.Arrays.equals(before.get("head/fc/weight"), after.get("head/fc/weight")),
                    "the head trains");
            assertEquals(List.of("encoder/stem", "encoder/block1", "head/fc"),
                    profile.layers().stream().map(LayerProfile::layer).toList());
            for (LayerProfile l : profile.layers()) {
                assertTrue(l.gradNorm().mean() > 0, l.layer() + " gets a measured gradient");
                assertEquals(6, l.gradNorm().perStep().length);
                assertTrue(l.gradOutNorm().mean() > 0, l.layer());
                assertTrue(l.forwardMillis() > 0 && l.backwardMillis() > 0, l.layer() + " is timed");
                assertTrue(l.activationBytes() > 0, l.layer() + " allocates activations");
            }
            assertNull(profile.layer("encoder/stem").gradInNorm(), "the image takes no gradient");
            assertNotNull(profile.layer("encoder/block1").gradInNorm());
            assertNull(profile.layer("encoder/block1").updateRatio(), "nothing in a frozen layer updates");
            assertTrue(profile.layer("head/fc").updateRatio().mean() > 0);
            assertEquals("frozen", profile.layer("encoder/block1").state());
            assertEquals("train", profile.layer("head/fc").state());
            double dead = profile.layer("encoder/stem").reluDeadShare();
            assertTrue(dead > 0 && dead < 1, "some ReLU inputs are ≤ 0: " + dead);
        }
    }

    @Test
    void layerByLayerBackwardGivesTheGradientsOfOneBackwardPass() {
        Dataset data = images(16, 2);
        try (Experiment e = Experiment.build(config("policy: []"), base)) {
            ModelGraph g = e.graph();
            FreezePlan plan = e.plan();
            plan.apply();
            double[] expected = new double[3];
            List<String> layers = List.of("encoder/stem/", "encoder/block1/", "head/fc/");
            try (NDManager batch = g.manager().newSubManager()) {
                int[] all = data.shuffledIndices(9);
                try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                    Examples ex = Examples.of(data, "image");
                    NDArray logits = g.forward(ex.inputs(batch, all), plan.trainingContext()).get("logits");
                    NDArray y = ex.labels(batch, all);
                    NDArray loss = logits.logSoftmax(1).mul(y.oneHot(4)).sum(new int[] {1}).mean().neg();
                    gc.backward(loss);
                }
                for (Param p : g.parameters().values()) {
                    if (p.kind().isBuffer()) {
                        continue;
                    }
                    for (int i = 0; i < 3; i++) {
                        if (p.path().startsWith(layers.get(i))) {
                            float[] grad = p.array().getGradient().toFloatArray();
                            for (float v : grad) {
                                expected[i] += v * v;
                            }
                        }
                    }
                    p.array().getGradient().subi(p.array().getGradient()); // zero again for the profiler
                }
            }
            Map<String, float[]> reset = weights(g);
            reset.forEach((k, v) -> g.parameters().get(k).load(v, g.parameters().get(k).shape().getShape()));
            Profile profile = GradientProfiler.builder().plan(plan).optimizer(OptimizerSpec.sgd(1e-3, 0)).steps(1)
                    .batchSize(16).seed(9).build().run(Examples.of(data, "image"));
            for (int i = 0; i < 3; i++) {
                String layer = layers.get(i).substring(0, layers.get(i).length() - 1);
                double got = profile.layer(layer).gradNorm().mean();
                assertEquals(Math.sqrt(expected[i]), got, 1e-4 * Math.sqrt(expected[i]), layer);
            }
        }
    }

    /**
     * Two layers side by side: {@code dead}'s output is multiplied by zero before it joins the
     * logits, {@code live} makes the logits.
     */
    static final class TwoPaths extends Component {
        private Linear dead;
        private Linear live;

        TwoPaths() {
            super("enc", Role.ENCODER, List.of(PortSpec.of("in", "[batch, 6]")),
                    List.of(PortSpec.of("logits", "[batch, 3]")));
        }

        @Override
        public List<String> layerOrder() {
            return List.of("dead", "live");
        }

        @Override
        protected void initialize(ParamScope scope) {
            dead = new Linear(scope.child("dead"), 6, 3);
            live = new Linear(scope.child("live"), 6, 3);
        }

        @Override
        public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
            NDArray x = in.get("in"); // (B, 6)
            NDArray d = context.layerOutput("enc/dead", dead.forward(context, x)); // (B, 3)
            NDArray zero = FloeEngine.scalar(d, 0f);
            NDArray out = live.forward(context, x).add(d.mul(zero)); // (B, 3)
            return Map.of("logits", context.layerOutput("enc/live", out));
        }
    }

    static Dataset vectors(int n) {
        Random r = new Random(5);
        float[] x = new float[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            for (int j = 0; j < 6; j++) {
                x[i * 6 + j] = (float) r.nextGaussian() + (j / 2 == y[i] ? 2f : 0f);
            }
        }
        return Dataset.of("vectors", new long[] {6}, x, y, 3);
    }

    @Test
    void adviceFreezesALayerThatCannotMatterAndTrainsTheOneCarryingTheSignal() {
        try (ModelGraph g = ModelGraph.builder().input("x", dev.floe.graph.TensorSpec.of("[batch, 6]")).add(new TwoPaths())
                .wire("x", "enc.in").output("logits", "enc.logits").build()) {
            FreezePlan plan = FreezePolicy.builder().train("enc/dead").freeze("enc/live").build().resolve(g);
            Map<String, float[]> before = weights(g);
            Profile profile = GradientProfiler.builder().plan(plan).optimizer(OptimizerSpec.adamW(0.01)).steps(4)
                    .batchSize(8).build().run(Examples.of(vectors(24), "x"));
            assertEquals(0.0, profile.layer("enc/dead").gradNorm().max(), "its output is multiplied by zero");
            assertTrue(profile.layer("enc/live").gradNorm().mean() > 0);
            assertArrayEquals(before.get("enc/live/weight"), weights(g).get("enc/live/weight"), "frozen: unchanged");

            FreezeAdvice advice = FreezeAdvice.of(profile);
            FreezeAdvice.Item dead = advice.item("enc/dead");
            assertEquals(FreezeAdvice.Action.FREEZE, dead.action());
            assertEquals(FreezeAdvice.Rule.NO_GRADIENT, dead.rule());
            assertTrue(dead.changes());
            FreezeAdvice.Item live = advice.item("enc/live");
            assertEquals(FreezeAdvice.Action.TRAIN, live.action());
            assertEquals(FreezeAdvice.Rule.STRONG_GRADIENT, live.rule());
            assertTrue(live.reason().contains("unfreeze"), live.reason());

            // the advice as rules, resolved on this graph
            FreezePolicy.Builder rules = FreezePolicy.builder();
            for (FreezeAdvice.Item i : advice.items()) {
                if (i.action() == FreezeAdvice.Action.FREEZE) {
                    rules.freeze(i.layer() + "/**");
                } else {
                    rules.train(i.layer() + "/**", i.lrScale());
                }
            }
            FreezePlan advised = rules.build().resolve(g);
            assertFalse(advised.entry("enc/dead/weight").trains());
            assertTrue(advised.entry("enc/live/weight").trains());
            assertEquals(live.lrScale(), advised.entry("enc/live/weight").lrScale());
        }
    }

    @Test
    void aFrozenLayerThatCannotMatterIsKeptFrozen() {
        try (ModelGraph g = ModelGraph.builder().input("x", dev.floe.graph.TensorSpec.of("[batch, 6]"))
                .add(new TwoPaths()).wire("x", "enc.in").output("logits", "enc.logits").build()) {
            FreezePlan plan = FreezePolicy.builder().freeze("enc/dead").train("enc/live").build().resolve(g);
            Map<String, float[]> before = weights(g);
            FreezeAdvice advice = FreezeAdvice.of(GradientProfiler.builder().plan(plan)
                    .optimizer(OptimizerSpec.adamW(0.01)).steps(3).batchSize(8).build().run(Examples.of(vectors(24), "x")));
            assertArrayEquals(before.get("enc/dead/weight"), weights(g).get("enc/dead/weight"));
            FreezeAdvice.Item dead = advice.item("enc/dead");
            assertEquals(FreezeAdvice.Rule.NO_GRADIENT, dead.rule());
            assertEquals(FreezeAdvice.Action.FREEZE, dead.action());
            assertFalse(dead.changes(), "it is frozen already");
            assertTrue(dead.reason().contains("no gradient reaches it") && dead.reason().contains("keep frozen"),
                    dead.reason());
            assertEquals(FreezeAdvice.Action.TRAIN, advice.item("enc/live").action());
        }
    }

    @Test
    void printedPolicyParsesWithTheConfigReaderAndResolvesOnTheGraph() {
        String printed;
        FreezeAdvice advice;
        try (Experiment e = Experiment.build(config("policy: [{freeze: \"encoder/**\"}]"), base)) {
            Profile profile = GradientProfiler.builder().plan(e.plan()).optimizer(e.optimizer()).steps(4).batchSize(8)
                    .seed(1).build().run(Examples.of(images(32, 4), "image"));
            advice = FreezeAdvice.of(profile);
            printed = advice.policyYaml();
        }
        assertTrue(printed.startsWith("policy:\n  - {"), printed);
        try (Experiment e = Experiment.build(config(printed.strip()), base)) {
            for (FreezeAdvice.Item i : advice.items()) {
                for (FreezePlan.Entry entry : e.plan().entries().values()) {
                    if (!entry.path().startsWith(i.layer() + "/") || entry.param().kind().isBuffer()) {
                        continue;
                    }
                    assertEquals(i.action() == FreezeAdvice.Action.TRAIN, entry.trains(), entry.path() + " " + printed);
                    if (entry.trains()) {
                        assertEquals(i.lrScale(), entry.lrScale(), 1e-12, entry.path());
                    }
                }
            }
        }
    }
}
