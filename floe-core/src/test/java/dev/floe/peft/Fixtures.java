package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.data.Dataset;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** A small backbone with a head, inputs, and helpers to read outputs and set weights. */
final class Fixtures {

    static final int FEATURES = 8;
    static final int CLASSES = 3;
    static final int BATCH = 5;

    private Fixtures() {}

    /** encoder (Linear encoder/fc1 8→16, encoder/fc2 16→16, encoder/out 16→8) → head (8→3). */
    static ModelGraph graph(long seed) {
        return ModelGraph.builder()
                .input("x", TensorSpec.of("[batch, " + FEATURES + "]"))
                .add(Mlp.builder().name("encoder").inputs(FEATURES).hidden(16, 16).outputs(8).build())
                .add(LinearHead.of("head", 8, CLASSES))
                .wire("x", "encoder.in")
                .wire("encoder.out", "head.in")
                .output("logits", "head.logits")
                .output("features", "encoder.out")
                .seed(seed)
                .build();
    }

    static float[] input(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[BATCH * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Encoder features then logits, concatenated, in inference mode. */
    static float[] outputs(ModelGraph g, float[] x) {
        return outputs(g, x, ForwardContext.INFERENCE);
    }

    /** As {@link #outputs(ModelGraph, float[])} in the given context. */
    static float[] outputs(ModelGraph g, float[] x, ForwardContext context) {
        try (NDManager m = g.manager().newSubManager()) {
            NDArray in = m.create(x, new Shape(BATCH, FEATURES));
            Map<String, NDArray> out = g.forward(Map.of("x", in), context);
            float[] f = out.get("features").toFloatArray();
            float[] l = out.get("logits").toFloatArray();
            float[] both = new float[f.length + l.length];
            System.arraycopy(f, 0, both, 0, f.length);
            System.arraycopy(l, 0, both, f.length, l.length);
            return both;
        }
    }

    /** Overwrites every parameter of the named module whose path ends with one of the suffixes. */
    static void randomize(ModelGraph g, String module, long seed, double std, String... suffixes) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : g.parameters().values()) {
            if (!module.equals(p.adapter())) {
                continue;
            }
            for (String s : suffixes) {
                if (p.path().endsWith(s)) {
                    float[] v = new float[Math.toIntExact(p.size())];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (r.nextGaussian() * std);
                    }
                    p.load(v, p.shape().getShape());
                }
            }
        }
    }

    static Map<String, float[]> snapshot(ModelGraph g) {
        Map<String, float[]> s = new HashMap<>();
        g.parameters().forEach((k, p) -> s.put(k, p.toFloatArray()));
        return s;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Three Gaussian blobs in 8 dimensions. */
    static Dataset blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * FEATURES];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % CLASSES;
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = (float) (r.nextGaussian() * 0.5 + (j % CLASSES == y[i] ? 1.5 : 0));
            }
        }
        return Dataset.of("blobs", new long[] {FEATURES}, x, y, CLASSES);
    }
}
