package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Dropout;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How DoRA works on one graph: per-layer deltas that turn {@code x Wᵀ} into
 * {@code x (diag(m / ‖V‖) V)ᵀ} with {@code V = W + scale · B A}, and merge/unmerge of that weight.
 * The row norms ‖V‖ are part of the gradient (the paper's exact form, not its detached
 * approximation).
 */
final class DoraModule extends WeightModule<DoraSpec> {

    /** Path segment between the Linear's path and the module name: the same as LoRA's. */
    static final String SEGMENT = LoraModule.SEGMENT;

    private final List<Layer> layers = new ArrayList<>();

    private DoraModule(DoraSpec spec, Set<String> active) {
        super(spec, active);
    }

    /**
     * The parameters {@link #create} would make, by path, with their shapes; checks the rank
     * against every layer first.
     *
     * @throws IllegalArgumentException naming every layer the rank does not fit, with its sizes
     */
    static Map<String, long[]> plan(DoraSpec spec, List<Target> targets) {
        List<String> tooSmall = new ArrayList<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Target t : targets) {
            long in = t.linear().in();
            long out = t.linear().out();
            if (spec.rank() > Math.min(in, out)) {
                tooSmall.add(t.path() + " (in " + in + ", out " + out + ")");
            }
            String prefix = t.path() + "/" + SEGMENT + "/" + spec.name() + "/";
            shapes.put(prefix + "A", new long[] {spec.rank(), in});
            shapes.put(prefix + "B", new long[] {out, spec.rank()});
            shapes.put(prefix + "magnitude", new long[] {out});
        }
        if (!tooSmall.isEmpty()) {
            throw new IllegalArgumentException(
                    "dora '" + spec.name() + "': rank " + spec.rank() + " exceeds min(in, out) of "
                            + String.join(", ", tooSmall)
                            + "; lower the rank or narrow the target glob");
        }
        return shapes;
    }

    /**
     * Creates A (uniform in ±1/sqrt(in)), B (zeros) and the magnitude (the row norms of the
     * current weight) for every target and attaches the deltas. Call only after {@link #plan}
     * succeeded and the name was found free.
     */
    static DoraModule create(ModelGraph graph, DoraSpec spec, List<Target> targets) {
        DoraModule module = new DoraModule(spec, graph.activeAdapters());
        for (Target t : targets) {
            ParamScope scope = Targets.scope(graph, t, SEGMENT, spec.name());
            long in = t.linear().in();
            long out = t.linear().out();
            Param a = scope.create(
                    "A", ParamKind.LORA_A, new Shape(spec.rank(), in), new Init.Uniform(1.0 / Math.sqrt(in)), spec.name());
            Param b = scope.create("B", ParamKind.LORA_B, new Shape(out, spec.rank()), new Init.Zeros(), spec.name());
            Param m = scope.create("magnitude", ParamKind.LORA_MAGNITUDE, new Shape(out), new Init.Ones(), spec.name());
            m.load(rowNorms(t.linear().weight().toFloatArray(), (int) out, (int) in), new long[] {out});
            for (Param p : List.of(a, b, m)) {
                module.params.put(p.path(), p);
            }
            Layer layer = new Layer(module, t, a, b, m, scope.path());
            module.layers.add(layer);
            t.linear().addDelta(layer);
        }
        return module;
    }

    private static float[] rowNorms(float[] weight, int out, int in) {
        float[] norms = new float[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                double v = weight[o * in + i];
                s += v * v;
            }
            norms[o] = (float) Math.sqrt(s);
        }
        return norms;
    }

    @Override
    public List<Target> targets() {
        return layers.stream().map(l -> l.target).toList();
    }

    /**
     * Replaces every layer's weight by {@code diag(m / ‖V‖) V} (computed in double, rounded once per
     * element), keeping the weight as it was for {@link #unmerge}; the deltas then stay off.
     */
    void merge() {
        for (Layer l : layers) {
            Param w = l.target.linear().weight();
            l.snapshotW = w.toFloatArray();
            w.load(l.mergedWeight(l.snapshotW), w.shape().getShape());
        }
        markMerged();
    }

    /** Puts back the weights as they were at merge time (bit for bit) and switches the deltas on. */
    void unmerge() {
        for (Layer l : layers) {
            Param w = l.target.linear().weight();
            w.load(l.snapshotW, w.shape().getShape());
            l.snapshotW = null;
        }
        markUnmerged();
    }

    /** DoRA on one Linear. */
    static final class Layer implements PeftModule.Delta {
        private final DoraModule module;
        private final Target target;
        private final Param a;
        private final Param b;
        private final Param magnitude;
        private final float scale;
        private final Dropout drop;
        private float[] snapshotW;

        Layer(DoraModule module, Target target, Param a, Param b, Param magnitude, String modulePath) {
            this.module = module;
            this.target = target;
            this.a = a;
            this.b = b;
            this.magnitude = magnitude;
            this.scale = (float) module.spec.scale();
            // its owner module is modulePath, so it runs only while this DoRA module trains
            this.drop = new Dropout(modulePath + "/dropout", (float) module.spec.dropout());
        }

        @Override
        public PeftModule module() {
            return module;
        }

        @Override
        public String name() {
            return module.spec.name();
        }

        @Override
        public boolean active() {
            return module.active();
        }

        /**
         * {@code x (g ⊙ V - W)ᵀ} with {@code g = m / ‖V‖}; with dropout,
         * {@code (g - 1) ⊙ x Wᵀ + g ⊙ scale · dropout(x) Aᵀ Bᵀ}, the same when dropout is off.
         */
        @Override
        public NDArray apply(ForwardContext context, NDArray input, NDArray output) {
            NDArray w = target.linear().weight().array(); // (out, in)
            NDArray ba = b.array().matMul(a.array()); // (out, in)
            ba.attach(input.getManager()); // intermediates below live with the batch, not the parameters
            NDArray v = ba.mul(FloeEngine.scalar(ba, scale)).add(w); // (out, in)
            NDArray norm = v.square().sum(new int[] {1}).sqrt(); // (out)
            NDArray g = FloeEngine.scalar(norm, 1f).div(norm).mul(magnitude.array()); // (out)
            if (module.spec.dropout() == 0) {
                NDArray delta = v.mul(g.expandDims(1)).sub(w); // (out, in): W' - W
                return ai.djl.nn.core.Linear.linear(input, delta).singletonOrThrow(); // (..., out)
            }
            NDArray base = ai.djl.nn.core.Linear.linear(input, w).singletonOrThrow(); // (..., out)
            NDArray x = drop.forward(context, input); // active only while this DoRA module trains
            NDArray down = ai.djl.nn.core.Linear.linear(x, a.array()).singletonOrThrow(); // (..., r)
            NDArray up = ai.djl.nn.core.Linear.linear(down, b.array()).singletonOrThrow(); // (..., out)
            NDArray lora = up.mul(FloeEngine.scalar(up, scale));
            return base.mul(g.sub(FloeEngine.scalar(g, 1f))).add(lora.mul(g));
        }

        /** {@code diag(m / ‖V‖) V} for the given base weight, in double. */
        float[] mergedWeight(float[] weight) {
            int in = Math.toIntExact(target.linear().in());
            int out = Math.toIntExact(target.linear().out());
            int r = module.spec.rank();
            double s = module.spec.scale();
            float[] av = a.toFloatArray();
            float[] bv = b.toFloatArray();
            float[] mv = magnitude.toFloatArray();
            float[] result = new float[weight.length];
            double[] row = new double[in];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    row[i] = weight[o * in + i];
                }
                for (int k = 0; k < r; k++) {
                    double bok = s * bv[o * r + k];
                    if (bok != 0.0) {
                        for (int i = 0; i < in; i++) {
                            row[i] += bok * av[k * in + i];
                        }
                    }
                }
                double norm = 0;
                for (double x : row) {
                    norm += x * x;
                }
                double g = mv[o] / Math.sqrt(norm);
                for (int i = 0; i < in; i++) {
                    result[o * in + i] = (float) (g * row[i]);
                }
            }
            return result;
        }
    }
}
