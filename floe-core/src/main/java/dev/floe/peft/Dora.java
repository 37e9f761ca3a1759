package dev.floe.peft;

import dev.floe.graph.ModelGraph;
import java.util.List;
import java.util.Map;

/**
 * Injects DoRA modules ({@link DoraSpec}) into a built graph and switches, merges and unmerges
 * them by name.
 *
 * <p>Each targeted Linear gets {@code <linear path>/lora/<name>/A} (kind LORA_A, shape
 * {@code (rank, in)}, uniform in ±1/sqrt(in)), {@code .../B} (kind LORA_B, {@code (out, rank)},
 * zeros) and {@code .../magnitude} (kind LORA_MAGNITUDE, {@code (out)}, the row norms of the
 * weight at injection), so the module starts as the identity (within float rounding of the norm).
 * Freezing, switching and host freezing work as for {@link Lora}: the layers' base weights stay
 * frozen while the module is active, and {@link #inject(ModelGraph, DoraSpec)} freezes the rest of
 * the host components. Save and load a module with {@link PeftIo}.
 *
 * <p>Merging replaces the weight of every layer by {@code diag(m / ‖V‖) V}; unmerging puts back
 * the weight as it was (bit for bit). Because the merge rescales the weight, a DoRA module merges
 * only while no other active module shares its layers, and is unmerged before any module merged
 * into those layers after it.
 *
 * <p>Not thread-safe, like the graph.
 */
public final class Dora {

    private Dora() {}

    /**
     * Attaches a DoRA module to every Linear whose module path matches {@code spec.target()} and
     * makes it active, freezing the rest of each component that holds it while it is active; same
     * as {@code inject(graph, spec, true)}. A failed call leaves the graph unchanged.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @return the module paths of the layers it was attached to, in graph order
     * @throws IllegalArgumentException when the glob matches no Linear (naming the glob and the
     *     nearest Linear paths), the rank exceeds {@code min(in, out)} of a matched layer, or the
     *     name is taken
     */
    public static List<String> inject(ModelGraph graph, DoraSpec spec) {
        return inject(graph, spec, true);
    }

    /**
     * As {@link #inject(ModelGraph, DoraSpec)}, choosing whether the host components are frozen.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @param freezeHost true: freeze the rest of each component holding the module while it is
     *     active; false: those parameters follow the freeze policy (the wrapped layers' base
     *     weights stay frozen regardless)
     * @return the module paths of the layers it was attached to, in graph order
     * @throws IllegalArgumentException when the glob matches no Linear, the rank is too large for
     *     a matched layer, or the name is taken
     */
    public static List<String> inject(ModelGraph graph, DoraSpec spec, boolean freezeHost) {
        return Targets.inject(graph, spec, freezeHost, DoraModule::plan, DoraModule::create);
    }

    /**
     * Switches the named module on.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no DoRA module has that name
     * @throws IllegalStateException if it is merged (unmerge it instead)
     */
    public static void activate(ModelGraph graph, String name) {
        requireUnmerged(Targets.find(graph, name, DoraModule.class), "activate");
        graph.activeAdapters().add(name);
    }

    /**
     * Switches the named module off; its parameters stay attached.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no DoRA module has that name
     * @throws IllegalStateException if it is merged (unmerge it instead)
     */
    public static void deactivate(ModelGraph graph, String name) {
        requireUnmerged(Targets.find(graph, name, DoraModule.class), "deactivate");
        graph.activeAdapters().remove(name);
    }

    /**
     * Folds the active module into the base weights ({@code W ← diag(m / ‖V‖) V} on every layer,
     * in place) and switches its deltas off; outputs stay the same within float rounding.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no DoRA module has that name
     * @throws IllegalStateException if it is already merged, is not active, or another active
     *     module shares one of its layers
     */
    public static void merge(ModelGraph graph, String name) {
        DoraModule m = Targets.find(graph, name, DoraModule.class);
        requireUnmerged(m, "merge");
        if (!graph.activeAdapters().contains(name)) {
            throw new IllegalStateException(
                    "DoRA '" + name + "' is not active, so merging it would change the model's outputs; activate it"
                            + " first (Dora.activate) if you mean to bake it in");
        }
        Merges.requireMergeable(graph, m);
        m.merge();
    }

    /**
     * Undoes {@link #merge}: puts back the weights as they were before it and switches the module
     * back on.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no DoRA module has that name
     * @throws IllegalStateException if it is not merged, or a module merged after it shares one of
     *     its layers
     */
    public static void unmerge(ModelGraph graph, String name) {
        DoraModule m = Targets.find(graph, name, DoraModule.class);
        if (!m.merged()) {
            throw new IllegalStateException("DoRA '" + name + "' is not merged; there is nothing to unmerge");
        }
        Merges.requireUndoable(graph, m);
        m.unmerge();
    }

    /**
     * Whether the named module is merged into the base weights.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return true while it is merged
     * @throws IllegalArgumentException if no DoRA module has that name
     */
    public static boolean isMerged(ModelGraph graph, String name) {
        return Targets.find(graph, name, DoraModule.class).merged();
    }

    /**
     * The attached DoRA modules' specs by name (active or not).
     *
     * @param graph the graph to look in
     * @return the specs by module name, in injection order
     */
    public static Map<String, DoraSpec> attached(ModelGraph graph) {
        return Targets.attached(graph, DoraModule.class, DoraSpec.class);
    }

    /**
     * The module paths of the layers the named module is attached to.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return the layer paths, in graph order
     * @throws IllegalArgumentException if no DoRA module has that name
     */
    public static List<String> layers(ModelGraph graph, String name) {
        return Targets.paths(Targets.find(graph, name, DoraModule.class).targets());
    }

    private static void requireUnmerged(DoraModule m, String action) {
        if (m.merged()) {
            throw new IllegalStateException(
                    "cannot " + action + " DoRA '" + m.name() + "': it is merged into the base weights of "
                            + Targets.paths(m.targets()) + "; call Dora.unmerge first");
        }
    }
}
