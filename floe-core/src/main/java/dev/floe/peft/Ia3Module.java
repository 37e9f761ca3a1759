package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
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
 * How IA3 works on one graph: per-layer deltas {@code (l - 1) ⊙ y} (output scaling) or
 * {@code ((l - 1) ⊙ x) Wᵀ} (input scaling), and merge/unmerge of the scaling into the weights
 * (rows of W and b, or columns of W).
 */
final class Ia3Module extends WeightModule<Ia3Spec> {

    /** Path segment between the Linear's path and the module name. */
    static final String SEGMENT = "ia3";

    private final List<Layer> layers = new ArrayList<>();

    private Ia3Module(Ia3Spec spec, Set<String> active) {
        super(spec, active);
    }

    /** Whether the target's input (true) or output (false) is scaled. */
    private static boolean feedforward(Ia3Spec spec, Target t) {
        return spec.feedforwardGlob().map(g -> PathGlob.compile(g).matches(t.path())).orElse(false);
    }

    /**
     * The parameters {@link #create} would make, by path, with their shapes.
     *
     * @throws IllegalArgumentException when the feedforward glob matches none of the targeted layers
     */
    static Map<String, long[]> plan(Ia3Spec spec, List<Target> targets) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        boolean anyFeedforward = false;
        for (Target t : targets) {
            boolean ff = feedforward(spec, t);
            anyFeedforward |= ff;
            shapes.put(t.path() + "/" + SEGMENT + "/" + spec.name() + "/scale",
                    new long[] {ff ? t.linear().in() : t.linear().out()});
        }
        if (spec.feedforwardGlob().isPresent() && !anyFeedforward) {
            throw new IllegalArgumentException(
                    "ia3 '" + spec.name() + "': feedforward '" + spec.feedforward() + "' matches none of the layers its"
                            + " target '" + spec.target() + "' selects " + Targets.paths(targets)
                            + "; feedforward names the subset of the targeted layers whose input is scaled — fix the"
                            + " glob, or leave it empty");
        }
        return shapes;
    }

    /** Creates the scaling vectors (ones) and attaches the deltas; call only after {@link #plan} succeeded. */
    static Ia3Module create(ModelGraph graph, Ia3Spec spec, List<Target> targets) {
        Ia3Module module = new Ia3Module(spec, graph.activeAdapters());
        for (Target t : targets) {
            boolean ff = feedforward(spec, t);
            ParamScope scope = Targets.scope(graph, t, SEGMENT, spec.name());
            long size = ff ? t.linear().in() : t.linear().out();
            Param l = scope.create("scale", ParamKind.ADAPTER, new Shape(size), new Init.Ones(), spec.name());
            module.params.put(l.path(), l);
            Layer layer = new Layer(module, t, l, ff);
            module.layers.add(layer);
            t.linear().addDelta(layer);
        }
        return module;
    }

    @Override
    public List<Target> targets() {
        return layers.stream().map(l -> l.target).toList();
    }

    /** The paths of the layers whose input is scaled, in graph order. */
    List<String> feedforwardPaths() {
        return layers.stream().filter(l -> l.feedforward).map(l -> l.target.path()).toList();
    }

    /**
     * Scales the weights in place — rows of W and the bias for output scaling, columns of W for
     * input scaling — keeping them as they were for {@link #unmerge}; the deltas then stay off.
     */
    void merge() {
        for (Layer l : layers) {
            Param w = l.target.linear().weight();
            Param b = l.target.linear().bias();
            l.snapshotW = w.toFloatArray();
            l.snapshotB = b.toFloatArray();
            float[] scale = l.scale.toFloatArray();
            int in = Math.toIntExact(l.target.linear().in());
            float[] weight = l.snapshotW.clone();
            for (int idx = 0; idx < weight.length; idx++) {
                weight[idx] *= l.feedforward ? scale[idx % in] : scale[idx / in];
            }
            w.load(weight, w.shape().getShape());
            if (!l.feedforward) {
                float[] bias = l.snapshotB.clone();
                for (int o = 0; o < bias.length; o++) {
                    bias[o] *= scale[o];
                }
                b.load(bias, b.shape().getShape());
            }
        }
        markMerged();
    }

    /** Puts back the weights and biases as they were at merge time (bit for bit) and switches the deltas on. */
    void unmerge() {
        for (Layer l : layers) {
            Param w = l.target.linear().weight();
            Param b = l.target.linear().bias();
            w.load(l.snapshotW, w.shape().getShape());
            b.load(l.snapshotB, b.shape().getShape());
            l.snapshotW = null;
            l.snapshotB = null;
        }
        markUnmerged();
    }

    /** IA3 on one Linear. */
    static final class Layer implements PeftModule.Delta {
        private final Ia3Module module;
        private final Target target;
        private final Param scale;
        private final boolean feedforward;
        private float[] snapshotW;
        private float[] snapshotB;

        Layer(Ia3Module module, Target target, Param scale, boolean feedforward) {
            this.module = module;
            this.target = target;
            this.scale = scale;
            this.feedforward = feedforward;
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

        /** {@code ((l - 1) ⊙ x) Wᵀ} for input scaling, {@code (l - 1) ⊙ y} for output scaling. */
        @Override
        public NDArray apply(ForwardContext context, NDArray input, NDArray output) {
            if (feedforward) {
                NDArray lm1 = FloeEngine.scalar(input, -1f).add(scale.array()); // (in), with the batch's arrays
                NDArray scaled = input.mul(lm1); // (..., in)
                return ai.djl.nn.core.Linear.linear(scaled, target.linear().weight().array()).singletonOrThrow();
            }
            NDArray lm1 = FloeEngine.scalar(output, -1f).add(scale.array()); // (out)
            return output.mul(lm1); // (..., out)
        }
    }
}
