package dev.floe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.engine.FloeEngine;
import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Repeated backward passes through the transfer demo's model (its conv encoder, a stem and two
 * residual blocks, plus its linear head) on one fixed batch must give the same gradients bit for
 * bit every time, with no NaN, at one and at two libtorch threads. Batches are made from Java
 * memory as the trainer makes them, and every tenth pass the garbage collector runs between forward
 * and backward, so a tensor whose memory is freed while autograd still holds it, or a
 * nondeterministic convolution backward, shows here as a differing pass. (Scaling the loss with
 * DJL's {@code mul(Number)}, whose scalar lives in a Java buffer released right after the call,
 * makes about one pass in ten differ here.)
 */
class ConvGradientStressTest {

    private static final int PASSES = 200;
    private static final int GC_EVERY = 10;
    private static final String INPUT = "image";
    private static final String OUTPUT = "logits";

    /**
     * The transfer demo's model and few-shot batch ({@code floe demo}, full settings): encoder widths,
     * target classes, batch size and seed. The demo lives in floe-cli, whose {@code TransferDemoTest}
     * checks that its settings still match these.
     */
    record DemoShape(long[] widths, int classes, int batch, long seed) {
        static final DemoShape FULL = new DemoShape(TrainerTest.DEMO_WIDTHS, 5, 25, 42);
    }

    private static final String ENCODER = "encoder";

    private static ModelGraph demoModel(DemoShape settings) {
        long[] w = settings.widths(); // stem, block1, block2
        return ModelGraph.builder()
                .input(INPUT, TensorSpec.of("[batch, 1, 28, 28]"))
                .add(ConvEncoder.builder().name(ENCODER).widths(w).build())
                .add(LinearHead.of("head", w[w.length - 1], settings.classes()))
                .wire(INPUT, ENCODER + ".in")
                .wire(ENCODER + ".features", "head.in")
                .output(OUTPUT, "head.logits")
                .seed(settings.seed())
                .build();
    }

    /** One batch of the demo's few-shot size: uniform noise images, labels cycling over the classes. */
    private static Dataset batch(DemoShape settings) {
        int n = settings.batch();
        int classes = settings.classes();
        SplittableRandom random = new SplittableRandom(settings.seed());
        float[] x = new float[n * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
        }
        return Dataset.of("noise", new long[] {1, 28, 28}, x, y, classes);
    }

    @ParameterizedTest(name = "{0} engine thread(s)")
    @ValueSource(ints = {1, 2})
    void everyBackwardPassOfTheDemoModelGivesTheFirstPassGradientsBitForBit(int threads) {
        FloeEngine.get(); // loads libtorch
        int before = JniUtils.getNumThreads();
        // intra-op threads may change at any time (torch.set_num_threads); ops run after this use them
        JniUtils.setNumThreads(threads);
        try {
            assertEquals(threads, JniUtils.getNumThreads(), "libtorch intra-op threads");
            stress(threads);
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    private static void stress(int threads) {
        DemoShape settings = DemoShape.FULL;
        Examples data = Examples.of(batch(settings), INPUT);
        int[] indices = new int[data.size()];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = i;
        }
        try (ModelGraph g = demoModel(settings)) {
            FreezePlan plan = FreezePolicy.trainAll().resolve(g);
            plan.apply();
            ForwardContext context = plan.trainingContext();
            List<Param> params = plan.trainable();
            Map<String, int[]> first = null;
            int compared = 0;
            int differing = 0;
            int withNaN = 0;
            String firstProblem = null;
            for (int pass = 0; pass < PASSES; pass++) {
                boolean collect = pass % GC_EVERY == GC_EVERY - 1;
                Map<String, int[]> bits = gradientBits(g, data, indices, context, params, collect);
                String nan = firstNaN(bits);
                if (nan != null) {
                    withNaN++;
                    firstProblem = firstProblem != null ? firstProblem : "pass " + pass + ": NaN in " + nan;
                }
                if (first == null) {
                    first = bits;
                    continue;
                }
                compared++;
                String diff = firstDifference(first, bits);
                if (diff != null) {
                    differing++;
                    firstProblem = firstProblem != null ? firstProblem : "pass " + pass + ": " + diff + " differs from pass 0";
                }
            }
            System.out.printf("conv gradient stress, %d engine thread(s): %d passes compared with the first,"
                    + " %d differing, %d with NaN%n", threads, compared, differing, withNaN);
            assertEquals(PASSES - 1, compared, "passes compared with the first");
            assertTrue(differing == 0 && withNaN == 0, differing + " of " + compared + " passes differ and "
                    + withNaN + " have NaN gradients; first: " + firstProblem);
            assertTrue(hasNonZero(first.get(ENCODER + "/stem/conv/weight")),
                    "gradients reach the stem through both residual blocks");
        }
    }

    /**
     * Forward, cross-entropy, backward on one batch; returns every gradient's raw float bits and
     * zeroes it. With {@code collect}, the garbage collector runs between forward and backward, while
     * autograd holds the batch's tensors.
     */
    private static Map<String, int[]> gradientBits(
            ModelGraph g, Examples data, int[] indices, ForwardContext context, List<Param> params, boolean collect) {
        try (NDManager batch = g.manager().newSubManager()) {
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray logits = g.forward(data.inputs(batch, indices), context, List.of(OUTPUT)).get(OUTPUT); // (B, 5)
                NDArray loss = Trainer.crossEntropy(logits, data.labels(batch, indices)); // ()
                if (collect) {
                    System.gc();
                }
                gc.backward(loss);
            }
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        for (Param p : params) {
            PtNDArray weight = (PtNDArray) p.array();
            try (PtNDArray grad = JniUtils.getGradient(weight)) {
                assertNotNull(grad, p.path() + " got no gradient");
                float[] values = grad.toFloatArray();
                int[] bits = new int[values.length];
                for (int i = 0; i < values.length; i++) {
                    bits[i] = Float.floatToRawIntBits(values[i]);
                }
                out.put(p.path(), bits);
            }
            JniUtils.zeroGrad(weight);
        }
        return out;
    }

    private static String firstNaN(Map<String, int[]> bits) {
        for (Map.Entry<String, int[]> e : bits.entrySet()) {
            for (int b : e.getValue()) {
                if (Float.isNaN(Float.intBitsToFloat(b))) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    private static String firstDifference(Map<String, int[]> expected, Map<String, int[]> actual) {
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            int[] a = e.getValue();
            int[] b = actual.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                if (a[i] != b[i]) {
                    return "gradient of " + e.getKey() + "[" + i + "] (" + Float.intBitsToFloat(b[i])
                            + " instead of " + Float.intBitsToFloat(a[i]) + ")";
                }
            }
        }
        return null;
    }

    private static boolean hasNonZero(int[] bits) {
        for (int b : bits) {
            if (Float.intBitsToFloat(b) != 0f) {
                return true;
            }
        }
        return false;
    }
}
