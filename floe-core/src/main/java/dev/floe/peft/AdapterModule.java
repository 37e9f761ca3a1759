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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** How a serial bottleneck adapter works: {@code up(act(down(y)))} added to a Linear's output y. */
final class AdapterModule implements PeftModule {

    /** Path segment between the Linear's path and the adapter name. */
    static final String SEGMENT = "adapter";

    private final AdapterSpec spec;
    private final Set<String> active;
    private final List<Target> targets = new ArrayList<>();
    private final Map<String, Param> params = new LinkedHashMap<>();

    private AdapterModule(AdapterSpec spec, Set<String> active) {
        this.spec = spec;
        this.active = active;
    }

    /**
     * The parameters {@link #create} would make, by path, with their shapes; checks the bottleneck
     * against every layer's output width first.
     *
     * @throws IllegalArgumentException naming every layer narrower than the bottleneck
     */
    static Map<String, long[]> plan(AdapterSpec spec, List<Target> targets) {
        List<String> tooNarrow = new ArrayList<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Target t : targets) {
            long out = t.linear().out();
            if (spec.bottleneck() > out) {
                tooNarrow.add(t.path() + " (out " + out + ")");
            }
            String prefix = t.path() + "/" + SEGMENT + "/" + spec.name() + "/";
            shapes.put(prefix + "down/weight", new long[] {spec.bottleneck(), out});
            shapes.put(prefix + "down/bias", new long[] {spec.bottleneck()});
            shapes.put(prefix + "up/weight", new long[] {out, spec.bottleneck()});
            shapes.put(prefix + "up/bias", new long[] {out});
        }
        if (!tooNarrow.isEmpty()) {
            throw new IllegalArgumentException(
                    "adapter '" + spec.name() + "': bottleneck " + spec.bottleneck() + " is wider than the output of "
                            + String.join(", ", tooNarrow)
                            + "; a bottleneck must be at most the layer's width — lower it or narrow the target glob");
        }
        return shapes;
    }

    /**
     * Creates down (uniform in ±1/sqrt(out), zero bias) and up (all zeros, so the adapter starts as
     * the exact identity) for every target and attaches the deltas. Call only after {@link #plan}
     * succeeded and the name was found free.
     */
    static AdapterModule create(ModelGraph graph, AdapterSpec spec, List<Target> targets) {
        AdapterModule module = new AdapterModule(spec, graph.activeAdapters());
        String name = spec.name();
        for (Target t : targets) {
            ParamScope scope = Targets.scope(graph, t, SEGMENT, name);
            long out = t.linear().out();
            long m = spec.bottleneck();
            ParamScope down = scope.child("down");
            ParamScope up = scope.child("up");
            Param dw = down.create("weight", ParamKind.ADAPTER, new Shape(m, out), new Init.Uniform(1.0 / Math.sqrt(out)), name);
            Param db = down.create("bias", ParamKind.ADAPTER, new Shape(m), new Init.Zeros(), name);
            Param uw = up.create("weight", ParamKind.ADAPTER, new Shape(out, m), new Init.Zeros(), name);
            Param ub = up.create("bias", ParamKind.ADAPTER, new Shape(out), new Init.Zeros(), name);
            for (Param p : List.of(dw, db, uw, ub)) {
                module.params.put(p.path(), p);
            }
            module.targets.add(t);
            t.linear().addDelta(new Layer(module, dw, db, uw, ub));
        }
        return module;
    }

    @Override
    public AdapterSpec spec() {
        return spec;
    }

    @Override
    public List<Target> targets() {
        return Collections.unmodifiableList(targets);
    }

    @Override
    public Map<String, Param> params() {
        return Collections.unmodifiableMap(params);
    }

    @Override
    public boolean merged() {
        return false;
    }

    /** The adapter on one Linear. */
    private static final class Layer implements PeftModule.Delta {
        private final AdapterModule module;
        private final Param downWeight;
        private final Param downBias;
        private final Param upWeight;
        private final Param upBias;

        Layer(AdapterModule module, Param downWeight, Param downBias, Param upWeight, Param upBias) {
            this.module = module;
            this.downWeight = downWeight;
            this.downBias = downBias;
            this.upWeight = upWeight;
            this.upBias = upBias;
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
            return module.active.contains(module.spec.name());
        }

        @Override
        public NDArray apply(ForwardContext context, NDArray input, NDArray output) {
            NDArray h = ai.djl.nn.core.Linear.linear(output, downWeight.array(), downBias.array())
                    .singletonOrThrow(); // (..., bottleneck)
            h = switch (module.spec.activation()) {
                case RELU -> ai.djl.nn.Activation.relu(h);
                case GELU -> ai.djl.nn.Activation.gelu(h);
            };
            return ai.djl.nn.core.Linear.linear(h, upWeight.array(), upBias.array()).singletonOrThrow(); // (..., out)
        }
    }
}
