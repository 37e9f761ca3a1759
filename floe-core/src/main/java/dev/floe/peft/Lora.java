package dev.floe.peft;

import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import java.util.List;
import java.util.Map;

/**
 * Injects LoRA modules into a built graph and switches, merges and unmerges them by name.
 *
 * <p>Each targeted Linear gets {@code <linear path>/lora/<name>/A} (kind LORA_A, shape
 * {@code (rank, in)}, uniform in ±1/sqrt(in)) and {@code .../B} (kind LORA_B, shape
 * {@code (out, rank)}, zeros), and its output gains {@code (alpha / rank) · dropout(x) Aᵀ Bᵀ}
 * while the module is active. Several modules with different names can sit on one backbone; which
 * ones apply is the graph's {@link ModelGraph#activeAdapters()} set, so switching reloads nothing.
 * Dropout on the branch runs only where the forward context says module
 * {@code <linear path>/lora/<name>} trains.
 *
 * <p>Freezing follows PEFT: while a module injected by {@link #inject(ModelGraph, LoraSpec)} is
 * active, the whole component holding it (e.g. {@code encoder}) is frozen by a rule
 * {@code freeze COMPONENT/**} that {@link FreezePolicy#resolve} puts before the policy's own rules
 * ({@link FreezePolicy#hostRules}), so only the LoRA factors and the components outside it (e.g. a head)
 * train. A later rule of the policy can train part of the host again, e.g.
 * {@code train encoder/pooler/**}; {@code inject(graph, spec, false)} leaves the host to the policy
 * instead. Either way the base parameters (weight and bias) of the layers a LoRA module wraps stay frozen. Configs set
 * the same switch with {@code peft.freeze_host}.
 *
 * <p>Not thread-safe, like the graph.
 */
public final class Lora {

    private Lora() {}

    /**
     * Attaches a LoRA module to every Linear whose module path matches {@code spec.target()} and
     * makes it active, freezing the rest of each component that holds it while it is active (see
     * the class comment); same as {@code inject(graph, spec, true)}. Everything is checked before
     * any parameter is created, so a failed call leaves the graph unchanged.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @return the module paths of the layers it was attached to, in graph order
     * @throws IllegalArgumentException when the glob matches no Linear (naming the glob and the
     *     nearest Linear paths), the rank exceeds {@code min(in, out)} of a matched layer (naming
     *     the layer and its sizes), or the name is taken by another LoRA module or adapter
     */
    public static List<String> inject(ModelGraph graph, LoraSpec spec) {
        return inject(graph, spec, true);
    }

    /**
     * As {@link #inject(ModelGraph, LoraSpec)}, choosing whether the host components are frozen.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @param freezeHost true (PEFT's default): freeze the rest of each component holding the module
     *     while it is active; false: those parameters follow the freeze policy (the wrapped
     *     layers' base weights stay frozen regardless)
     * @return the module paths of the layers it was attached to, in graph order
     * @throws IllegalArgumentException when the glob matches no Linear (naming the glob and the
     *     nearest Linear paths), the rank exceeds {@code min(in, out)} of a matched layer (naming
     *     the layer and its sizes), or the name is taken by another LoRA module or adapter
     */
    public static List<String> inject(ModelGraph graph, LoraSpec spec, boolean freezeHost) {
        return Targets.inject(graph, spec, freezeHost, LoraModule::plan, LoraModule::create);
    }

    /**
     * Switches the named module on (its deltas add to the layers' outputs from the next forward).
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no LoRA module has that name
     * @throws IllegalStateException if it is merged (unmerge it instead)
     */
    public static void activate(ModelGraph graph, String name) {
        LoraModule m = Targets.find(graph, name, LoraModule.class);
        requireUnmerged(m, "activate");
        graph.activeAdapters().add(name);
    }

    /**
     * Switches the named module off; its parameters stay attached.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no LoRA module has that name
     * @throws IllegalStateException if it is merged (its update is in the base weights: unmerge it)
     */
    public static void deactivate(ModelGraph graph, String name) {
        LoraModule m = Targets.find(graph, name, LoraModule.class);
        requireUnmerged(m, "deactivate");
        graph.activeAdapters().remove(name);
    }

    /**
     * Folds the active module into the base weights ({@code W += (alpha / rank) · B A} on every
     * layer, in place) and switches its deltas off, so outputs stay the same (within float
     * rounding) at the cost of one matrix product per layer, not two.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no LoRA module has that name
     * @throws IllegalStateException if it is already merged or is not active, is a member of a
     *     composition ({@link Composition}), an active adapter attached before it on one of its
     *     layers reads that layer's output, or an active DoRA or IA3 module shares one of its layers
     *     (merge or deactivate that one first)
     */
    public static void merge(ModelGraph graph, String name) {
        LoraModule m = Targets.find(graph, name, LoraModule.class);
        requireUnmerged(m, "merge");
        if (!graph.activeAdapters().contains(name)) {
            throw new IllegalStateException(
                    "LoRA '" + name + "' is not active, so merging it would change the model's outputs; activate it"
                            + " first (Lora.activate) if you mean to bake it in");
        }
        for (CompositionSpec c : Composition.attached(graph).values()) {
            if (c.members().contains(name)) {
                throw new IllegalStateException(
                        "cannot merge LoRA '" + name + "': it is a member of the " + c.kind() + " '" + c.name()
                                + "', which applies its term itself; merged, the update would instead change the input"
                                + " of every other member and leave the composition, so outputs would change — keep '"
                                + name + "' unmerged");
            }
        }
        for (Target t : m.targets()) {
            for (dev.floe.nn.LinearDelta d : t.linear().deltas()) {
                if (d.name().equals(name)) {
                    break; // later terms read the output with this update in it, merged or not
                }
                boolean readsOutput = d instanceof ComposedLayer
                        || (d instanceof PeftModule.Delta pd && pd.module() instanceof AdapterModule);
                if (readsOutput && d.active()) {
                    throw new IllegalStateException(
                            "cannot merge LoRA '" + name + "': " + (d instanceof ComposedLayer c ? c.spec().kind()
                                    : "adapter") + " '" + d.name() + "' is active on " + t.path()
                                    + " and was attached before it, so it reads the layer's output without this"
                                    + " update; merged, the update would reach its input and change outputs —"
                                    + " deactivate '" + d.name() + "' first, or attach LoRA modules before adapters");
                }
            }
        }
        Merges.requireMergeable(graph, m);
        m.merge();
    }

    /**
     * Undoes {@link #merge}: subtracts exactly what merge added (the factors as they were then)
     * and switches the module back on.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no LoRA module has that name
     * @throws IllegalStateException if it is not merged, or a DoRA or IA3 module merged after it
     *     shares one of its layers (unmerge that one first)
     */
    public static void unmerge(ModelGraph graph, String name) {
        LoraModule m = Targets.find(graph, name, LoraModule.class);
        if (!m.merged()) {
            throw new IllegalStateException("LoRA '" + name + "' is not merged; there is nothing to unmerge");
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
     * @throws IllegalArgumentException if no LoRA module has that name
     */
    public static boolean isMerged(ModelGraph graph, String name) {
        return Targets.find(graph, name, LoraModule.class).merged();
    }

    /**
     * The attached LoRA modules' specs by name (active or not).
     *
     * @param graph the graph to look in
     * @return the specs by module name, in injection order
     */
    public static Map<String, LoraSpec> attached(ModelGraph graph) {
        return Targets.attached(graph, LoraModule.class, LoraSpec.class);
    }

    /**
     * The module paths of the layers the named module is attached to.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return the layer paths, in graph order
     * @throws IllegalArgumentException if no LoRA module has that name
     */
    public static List<String> layers(ModelGraph graph, String name) {
        return Targets.paths(Targets.find(graph, name, LoraModule.class).targets());
    }

    private static void requireUnmerged(LoraModule m, String action) {
        if (m.merged()) {
            throw new IllegalStateException(
                    "cannot " + action + " LoRA '" + m.name() + "': it is merged into the base weights of "
                            + Targets.paths(m.targets()) + "; call Lora.unmerge first");
        }
    }
}
