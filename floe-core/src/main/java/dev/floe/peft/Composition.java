package dev.floe.peft;

import ai.djl.ndarray.types.Shape;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Init;
import dev.floe.nn.Layer;
import dev.floe.nn.Linear;
import dev.floe.nn.LinearDelta;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Composes LoRA modules and adapters that sit on the same Linear layers: stack, parallel or fusion,
 * as {@link CompositionSpec} defines.
 *
 * <p>Composing takes the members' terms off each layer and puts one composed term in their place,
 * after the layer's other terms. The composition is a named module like the others: it is on while
 * its name is in {@link ModelGraph#activeAdapters()} (composing switches it on) and then applies
 * every member, active or not; a member still trains only while it is active itself, so
 * {@code Adapters.deactivate(graph, member)} freezes it inside the composition (AdapterFusion's
 * set-up: frozen adapters, trained fusion). While the composition is off, its active members apply
 * one after the other in the order they were attached, as if uncomposed (equal within float
 * rounding, unless another term of the layer sat between them). Members are never merged:
 * composing refuses a merged module and {@link Lora#merge} refuses a composed one. Fusion
 * parameters (kind ADAPTER, owned by the composition's name) are
 * {@code <layer>/fusion/<name>/query|key|value}, each {@code (out, out)}.
 *
 * <p>{@link PeftIo#save} saves a composition under its name (a fusion's parameters with it) and
 * {@link PeftIo#loadComposition} loads it onto its members, which are saved and loaded in their
 * own files first. Compositions cannot be removed once made, and cannot be exported to ONNX. Not
 * thread-safe.
 */
public final class Composition {

    /** Path segment between a Linear's path and a fusion's name. */
    static final String FUSION_SEGMENT = "fusion";
    /** Standard deviation of the initial fusion keys. */
    static final double KEY_STD = 0.02;

    private Composition() {}

    /**
     * Composes the members on every layer they share and switches the composition on. Everything
     * is checked before anything changes, so a failed call leaves the graph unchanged.
     *
     * @param graph the graph holding the members
     * @param spec the composition
     * @param freezeHost true (PEFT's default): while the composition is active, freeze the rest of
     *     each component holding its fusion parameters (stack and parallel have none)
     * @return the module paths of the layers it is applied on, in graph order
     * @throws IllegalArgumentException naming the composition when a member is not an attached LoRA
     *     module or adapter, is merged or already composed, the members sit on different layers
     *     (naming both and their layers), or the name is taken
     */
    public static List<String> compose(ModelGraph graph, CompositionSpec spec, boolean freezeHost) {
        Map<String, PeftModule> modules = Targets.modules(graph);
        String what = spec.kind() + " '" + spec.name() + "'";
        if (modules.containsKey(spec.name()) || layersOf(graph).stream().anyMatch(c -> c.name().equals(spec.name()))) {
            throw new IllegalArgumentException(
                    what + ": the name is already used by a PEFT module or composition; choose another name");
        }
        List<PeftModule> members = new ArrayList<>();
        for (String m : spec.members()) {
            PeftModule module = modules.get(m);
            if (module == null) {
                throw new IllegalArgumentException(
                        what + ": member '" + m + "' is not attached; attached are " + Targets.describe(modules)
                                + "; inject it first or fix the name");
            }
            if (!(module instanceof LoraModule) && !(module instanceof AdapterModule)) {
                throw new IllegalArgumentException(
                        what + ": member '" + m + "' is a " + module.spec().kind() + " module; only LoRA modules and"
                                + " adapters (terms on Linear layers) can be composed");
            }
            if (module.merged()) {
                throw new IllegalArgumentException(
                        what + ": member '" + m + "' is merged into the base weights; unmerge it first");
            }
            members.add(module);
        }
        PeftModule first = members.get(0);
        for (PeftModule m : members.subList(1, members.size())) {
            if (!m.layers().equals(first.layers())) {
                throw new IllegalArgumentException(
                        what + ": members '" + first.name() + "' and '" + m.name() + "' sit on different layers ('"
                                + first.name() + "' on " + first.layers() + ", '" + m.name() + "' on " + m.layers()
                                + "); compose only modules injected with the same target — give '" + m.name()
                                + "' the target '" + first.spec().target() + "'");
            }
        }
        List<Target> targets = first.targets();
        Map<String, PeftModule.Delta> deltas = new LinkedHashMap<>();
        for (Target t : targets) {
            for (LinearDelta d : t.linear().deltas()) {
                if (d instanceof PeftModule.Delta pd && spec.members().contains(pd.name())) {
                    deltas.put(t.path() + "\n" + pd.name(), pd);
                }
            }
        }
        for (Target t : targets) {
            for (String m : spec.members()) {
                if (!deltas.containsKey(t.path() + "\n" + m)) {
                    throw new IllegalArgumentException(
                            what + ": member '" + m + "' is already part of another composition on " + t.path()
                                    + "; a module joins one composition");
                }
            }
        }
        if (spec.kind() == CompositionSpec.Kind.FUSION) {
            Map<String, ?> params = graph.parameters();
            for (Target t : targets) {
                String path = t.path() + "/" + FUSION_SEGMENT + "/" + spec.name() + "/query";
                if (params.containsKey(path)) {
                    throw new IllegalArgumentException(what + ": parameter " + path + " already exists; choose another name");
                }
            }
        }
        for (Target t : targets) {
            List<PeftModule.Delta> onLayer = new ArrayList<>();
            for (String m : spec.members()) {
                onLayer.add(deltas.get(t.path() + "\n" + m));
            }
            List<PeftModule.Delta> inAttachOrder = new ArrayList<>();
            for (LinearDelta d : t.linear().deltas()) {
                if (onLayer.contains(d)) {
                    inAttachOrder.add((PeftModule.Delta) d);
                }
            }
            Param q = null;
            Param k = null;
            Param v = null;
            if (spec.kind() == CompositionSpec.Kind.FUSION) {
                long out = t.linear().out();
                ParamScope scope = Targets.scope(graph, t, FUSION_SEGMENT, spec.name());
                Shape square = new Shape(out, out);
                q = scope.create("query", ParamKind.ADAPTER, square, new Init.Zeros(), spec.name());
                k = scope.create("key", ParamKind.ADAPTER, square, new Init.Normal(KEY_STD), spec.name());
                v = scope.create("value", ParamKind.ADAPTER, square, new Init.Zeros(), spec.name());
                float[] identity = new float[Math.toIntExact(out * out)];
                for (int i = 0; i < out; i++) {
                    identity[Math.toIntExact(i * out + i)] = 1f;
                }
                v.load(identity, new long[] {out, out});
            }
            for (String m : spec.members()) {
                t.linear().removeDelta(m);
            }
            t.linear().addDelta(new ComposedLayer(spec, graph.activeAdapters(), t.path(), onLayer, inAttachOrder, q, k, v));
        }
        if (freezeHost && spec.kind() == CompositionSpec.Kind.FUSION) {
            graph.hostFreezingAdapters().add(spec.name());
        }
        graph.activeAdapters().add(spec.name());
        return Targets.paths(targets);
    }

    /**
     * Switches the named composition on: it applies all its members as its kind defines.
     *
     * @param graph the graph holding the composition
     * @param name the composition's name
     * @throws IllegalArgumentException if no composition has that name
     */
    public static void activate(ModelGraph graph, String name) {
        find(graph, name);
        graph.activeAdapters().add(name);
    }

    /**
     * Switches the named composition off: its active members then apply one after the other.
     *
     * @param graph the graph holding the composition
     * @param name the composition's name
     * @throws IllegalArgumentException if no composition has that name
     */
    public static void deactivate(ModelGraph graph, String name) {
        find(graph, name);
        graph.activeAdapters().remove(name);
    }

    /**
     * The compositions in the graph by name, in graph order of their first layer.
     *
     * @param graph the graph to look in
     * @return the specs by name
     */
    public static Map<String, CompositionSpec> attached(ModelGraph graph) {
        Map<String, CompositionSpec> out = new LinkedHashMap<>();
        for (ComposedLayer c : layersOf(graph)) {
            out.putIfAbsent(c.name(), c.spec());
        }
        return out;
    }

    /**
     * The module paths of the layers the named composition is applied on.
     *
     * @param graph the graph holding the composition
     * @param name the composition's name
     * @return the layer paths, in graph order
     * @throws IllegalArgumentException if no composition has that name
     */
    public static List<String> layers(ModelGraph graph, String name) {
        find(graph, name);
        return layersOf(graph).stream().filter(c -> c.name().equals(name)).map(ComposedLayer::layer).toList();
    }

    private static void find(ModelGraph graph, String name) {
        Map<String, CompositionSpec> all = attached(graph);
        if (!all.containsKey(name)) {
            throw new IllegalArgumentException(
                    "no composition named '" + name + "' is in this graph; compositions are "
                            + (all.isEmpty() ? "none" : all.keySet().toString()) + "; compose it first");
        }
    }

    /** Every composed term of every Linear, in graph order. */
    static List<ComposedLayer> layersOf(ModelGraph graph) {
        List<ComposedLayer> out = new ArrayList<>();
        for (Component c : graph.components()) {
            for (Layer layer : c.layers().values()) {
                if (layer instanceof Linear linear) {
                    for (LinearDelta d : linear.deltas()) {
                        if (d instanceof ComposedLayer composed) {
                            out.add(composed);
                        }
                    }
                }
            }
        }
        return out;
    }
}
