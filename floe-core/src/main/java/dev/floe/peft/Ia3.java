package dev.floe.peft;

import dev.floe.graph.ModelGraph;
import java.util.List;
import java.util.Map;

/**
 * Injects IA3 modules ({@link Ia3Spec}) into a built graph and switches, merges and unmerges them
 * by name.
 *
 * <p>Each targeted Linear gets one vector {@code <linear path>/ia3/<name>/scale} (kind ADAPTER,
 * all ones): shape {@code (in)} on the layers the spec's feedforward glob matches (their input is
 * scaled), {@code (out)} on the others (their output is scaled, bias included). Freezing and host
 * freezing work as for {@link Adapters}: while the module is active the vectors train, and
 * {@link #inject(ModelGraph, Ia3Spec)} freezes the rest of each host component. Save and load a
 * module with {@link PeftIo}.
 *
 * <p>Merging scales the weights in place (rows of W and b, or columns of W for input scaling);
 * unmerging puts them back bit for bit. Because the merge rescales weights, an IA3 module merges
 * only while no other active module shares its layers, and is unmerged before any module merged
 * into those layers after it.
 *
 * <p>Not thread-safe, like the graph.
 */
public final class Ia3 {

    private Ia3() {}

    /**
     * Attaches an IA3 module to every Linear whose module path matches {@code spec.target()} and
     * makes it active, freezing the rest of each component that holds it while it is active; same
     * as {@code inject(graph, spec, true)}. A failed call leaves the graph unchanged.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @return the module paths of the layers it was attached to, in graph order
     * @throws IllegalArgumentException when the target matches no Linear (naming the nearest Linear
     *     paths), the feedforward glob matches none of the targeted layers, or the name is taken
     */
    public static List<String> inject(ModelGraph graph, Ia3Spec spec) {
        return inject(graph, spec, true);
    }

    /**
     * As {@link #inject(ModelGraph, Ia3Spec)}, choosing whether the host components are frozen.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @param freezeHost true: freeze the rest of each component holding the module while it is
     *     active; false: those parameters follow the freeze policy
     * @return the module paths of the layers it was attached to, in graph order
     * @throws IllegalArgumentException when the target matches no Linear, the feedforward glob
     *     matches none of the targeted layers, or the name is taken
     */
    public static List<String> inject(ModelGraph graph, Ia3Spec spec, boolean freezeHost) {
        return Targets.inject(graph, spec, freezeHost, Ia3Module::plan, Ia3Module::create);
    }

    /**
     * Switches the named module on.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no IA3 module has that name
     * @throws IllegalStateException if it is merged (unmerge it instead)
     */
    public static void activate(ModelGraph graph, String name) {
        requireUnmerged(Targets.find(graph, name, Ia3Module.class), "activate");
        graph.activeAdapters().add(name);
    }

    /**
     * Switches the named module off; its parameters stay attached.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no IA3 module has that name
     * @throws IllegalStateException if it is merged (unmerge it instead)
     */
    public static void deactivate(ModelGraph graph, String name) {
        requireUnmerged(Targets.find(graph, name, Ia3Module.class), "deactivate");
        graph.activeAdapters().remove(name);
    }

    /**
     * Folds the active module into the weights (see the class comment) and switches its deltas
     * off; outputs stay the same within float rounding.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no IA3 module has that name
     * @throws IllegalStateException if it is already merged, is not active, or another active
     *     module shares one of its layers
     */
    public static void merge(ModelGraph graph, String name) {
        Ia3Module m = Targets.find(graph, name, Ia3Module.class);
        requireUnmerged(m, "merge");
        if (!graph.activeAdapters().contains(name)) {
            throw new IllegalStateException(
                    "IA3 '" + name + "' is not active, so merging it would change the model's outputs; activate it"
                            + " first (Ia3.activate) if you mean to bake it in");
        }
        Merges.requireMergeable(graph, m);
        m.merge();
    }

    /**
     * Undoes {@link #merge}: puts back the weights and biases as they were before it and switches
     * the module back on.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no IA3 module has that name
     * @throws IllegalStateException if it is not merged, or a module merged after it shares one of
     *     its layers
     */
    public static void unmerge(ModelGraph graph, String name) {
        Ia3Module m = Targets.find(graph, name, Ia3Module.class);
        if (!m.merged()) {
            throw new IllegalStateException("IA3 '" + name + "' is not merged; there is nothing to unmerge");
        }
        Merges.requireUndoable(graph, m);
        m.unmerge();
    }

    /**
     * Whether the named module is merged into the weights.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return true while it is merged
     * @throws IllegalArgumentException if no IA3 module has that name
     */
    public static boolean isMerged(ModelGraph graph, String name) {
        return Targets.find(graph, name, Ia3Module.class).merged();
    }

    /**
     * The attached IA3 modules' specs by name (active or not).
     *
     * @param graph the graph to look in
     * @return the specs by module name, in injection order
     */
    public static Map<String, Ia3Spec> attached(ModelGraph graph) {
        return Targets.attached(graph, Ia3Module.class, Ia3Spec.class);
    }

    /**
     * The module paths of the layers the named module scales.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return the layer paths, in graph order
     * @throws IllegalArgumentException if no IA3 module has that name
     */
    public static List<String> layers(ModelGraph graph, String name) {
        return Targets.paths(Targets.find(graph, name, Ia3Module.class).targets());
    }

    /**
     * The module paths of the layers whose input (rather than output) the named module scales.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return the layer paths, in graph order; empty when the spec has no feedforward glob
     * @throws IllegalArgumentException if no IA3 module has that name
     */
    public static List<String> feedforwardLayers(ModelGraph graph, String name) {
        return Targets.find(graph, name, Ia3Module.class).feedforwardPaths();
    }

    private static void requireUnmerged(Ia3Module m, String action) {
        if (m.merged()) {
            throw new IllegalStateException(
                    "cannot " + action + " IA3 '" + m.name() + "': it is merged into the weights of "
                            + Targets.paths(m.targets()) + "; call Ia3.unmerge first");
        }
    }
}
