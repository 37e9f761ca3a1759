package dev.floe.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.floe.engine.FloeEngine;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import java.util.LinkedHashMap;
import java.util.Map;

/** A model manager with parameters made through {@link ParamScope}, and a way to give them gradients. */
final class Fixture implements AutoCloseable {

    final NDManager model = FloeEngine.newManager();
    final Map<String, Param> params = new LinkedHashMap<>();
    private final ParamScope scope;

    Fixture(long seed) {
        scope = new ParamScope("net", model, seed, params);
    }

    /** A trainable weight with normal(0, 0.5) values. */
    Param trainable(String name, long... shape) {
        Param p = frozen(name, shape);
        p.setTrainable(true);
        return p;
    }

    /** A frozen weight with normal(0, 0.5) values. */
    Param frozen(String name, long... shape) {
        return scope.create(name, ParamKind.WEIGHT, new Shape(shape), new Init.Normal(0.5));
    }

    int liveArrays() {
        return FloeEngine.liveArrays(model);
    }

    /**
     * Accumulates gradients of {@code loss = Σ_p Σ_i c_p[i]·w_p[i] (+ ½ w_p[i]² when quadratic)}, so
     * that each parameter's gradient is {@code c_p} (plus {@code w_p} when quadratic). Temporaries
     * live in a sub-manager closed before returning.
     */
    void backward(Map<Param, float[]> coefficients, boolean quadratic) {
        try (NDManager batch = model.newSubManager();
                GradientCollector collector = FloeEngine.get().newGradientCollector()) {
            NDArray loss = batch.zeros(new Shape());
            for (Map.Entry<Param, float[]> e : coefficients.entrySet()) {
                NDArray w = e.getKey().array();
                // the first operand decides the manager of a result: keep batch arrays first
                NDArray c = batch.create(e.getValue(), w.getShape());
                loss = loss.add(c.mul(w).sum());
                if (quadratic) {
                    loss = loss.add(batch.create(0.5f).mul(w).mul(w).sum());
                }
            }
            collector.backward(loss);
        }
    }

    /** {@code n} copies of {@code value}. */
    static float[] filled(int n, float value) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    /** Deterministic coefficients that vary with the step and position, in (-1, 1). */
    static float[] coefficients(int n, int step) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) Math.sin(1.7 * i + 0.31 * step + 0.5);
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
