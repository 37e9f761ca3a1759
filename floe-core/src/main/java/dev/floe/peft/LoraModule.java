package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.floe.graph.ModelGraph;
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
 * How LoRA works on one graph: the per-layer deltas, and merge/unmerge of {@code scale · B A} into
 * the base weights.
 */
final class LoraModule extends WeightModule<LoraSpec> {

    /** Path segment between the Linear's path and the module name. */
    static final String SEGMENT = "lora";

    private final List<Layer> layers = new ArrayList<>();

    private LoraModule(LoraSpec spec, Set<String> active) {
        super(spec, active);
    }

    /**
     * The parameters {@link #create} would make, by path, with their shapes; checks the rank
     * against every layer first.
     *
     * @throws IllegalArgumentException naming every layer the rank does not fit, with its sizes
     */
    static Map<String, long[]> plan(LoraSpec spec, List<Target> targets) {
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
        }
        if (!tooSmall.isEmpty()) {
            throw new IllegalArgumentException(
                    "lora '" + spec.name() + "': rank " + spec.rank() + " exceeds min(in, out) of "
                            + String.join(", ", tooSmall)
                            + "; a rank above min(in, out) adds parameters without adding expressiveness — lower"
                            + " the rank or narrow the target glob");
        }
        return shapes;
    }

    /**
     * Creates A (uniform in ±1/sqrt(in)) and B (zeros) for every target and attaches the deltas.
     * Call only after {@link #plan} succeeded and the name was found free.
     */
    static LoraModule create(ModelGraph graph, LoraSpec spec, List<Target> targets) {
        LoraModule module = new LoraModule(spec, graph.activeAdapters());
        for (Target t : targets) {
            ParamScope scope = Targets.scope(graph, t, SEGMENT, spec.name());
            long in = t.linear().in();
            long out = t.linear().out();
            // Kaiming-uniform-like: keeps x Aᵀ at the scale of x whatever the input width
            Param a = scope.create(
                    "A", ParamKind.LORA_A, new Shape(spec.rank(), in), new Init.Uniform(1.0 / Math.sqrt(in)), spec.name());
            Param b = scope.create("B", ParamKind.LORA_B, new Shape(out, spec.rank()), new Init.Zeros(), spec.name());
            module.params.put(a.path(), a);
            module.params.put(b.path(), b);
            Layer layer = new Layer(module, t, a, b, scope.path());
            module.layers.add(layer);
            t.linear().addDelta(layer);
        }
        return module;
    }

    @Override
    public List<Target> targets() {
        return layers.stream().map(l -> l.target).toList();
    }

    /** {@code W += scale · B A} on every layer; the deltas then stay off until {@link #unmerge}. */
    void merge() {
        for (Layer l : layers) {
            l.snapshotA = l.a.toFloatArray();
            l.snapshotB = l.b.toFloatArray();
            l.addToWeight(l.snapshotA, l.snapshotB, +1);
        }
        markMerged();
    }

    /**
     * {@code W -= scale · B A} with the factors as they were at merge time (so the base comes back
     * even if A or B were changed meanwhile), and switches the deltas back on.
     */
    void unmerge() {
        for (Layer l : layers) {
            l.addToWeight(l.snapshotA, l.snapshotB, -1);
            l.snapshotA = null;
            l.snapshotB = null;
        }
        markUnmerged();
    }

    /** The LoRA branch on one Linear: {@code scale · dropout(x) Aᵀ Bᵀ}. */
    static final class Layer implements PeftModule.Delta {
        private final LoraModule module;
        private final Target target;
        private final Param a;
        private final Param b;
        private final String modulePath;
        private final float scale;
        private final dev.floe.nn.Dropout drop;
        private float[] snapshotA;
        private float[] snapshotB;

        Layer(LoraModule module, Target target, Param a, Param b, String modulePath) {
            this.module = module;
            this.target = target;
            this.a = a;
            this.b = b;
            this.modulePath = modulePath;
            this.scale = (float) module.spec.scale();
            // its owner module is modulePath, so it runs only while this LoRA module trains
            this.drop = new dev.floe.nn.Dropout(modulePath + "/dropout", (float) module.spec.dropout());
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

        @Override
        public NDArray apply(ForwardContext context, NDArray input, NDArray output) {
            NDArray x = drop.forward(context, input); // (..., in); active only while this LoRA module trains
            NDArray down = ai.djl.nn.core.Linear.linear(x, a.array()).singletonOrThrow(); // (..., r)
            NDArray up = ai.djl.nn.core.Linear.linear(down, b.array()).singletonOrThrow(); // (..., out)
            return up.mul(dev.floe.engine.FloeEngine.scalar(up, scale));
        }

        /** {@code W += sign · scale · B A}, accumulated in double and rounded once per element. */
        private void addToWeight(float[] aValues, float[] bValues, int sign) {
            Param w = target.linear().weight();
            int in = Math.toIntExact(target.linear().in());
            int out = Math.toIntExact(target.linear().out());
            int r = module.spec.rank();
            double s = sign * module.spec.scale();
            float[] weight = w.toFloatArray(); // (out, in)
            double[] row = new double[in];
            for (int o = 0; o < out; o++) {
                java.util.Arrays.fill(row, 0.0);
                for (int k = 0; k < r; k++) {
                    double bok = bValues[o * r + k];
                    if (bok == 0.0) {
                        continue;
                    }
                    int base = k * in;
                    for (int i = 0; i < in; i++) {
                        row[i] += bok * aValues[base + i];
                    }
                }
                int base = o * in;
                for (int i = 0; i < in; i++) {
                    weight[base + i] = (float) (weight[base + i] + s * row[i]);
                }
            }
            w.load(weight, w.shape().getShape());
        }
    }
}
