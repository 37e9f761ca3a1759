package dev.floe.peft;

import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import java.util.List;
import java.util.Map;

/**
 * Injects serial bottleneck adapters into a built graph and switches them by name.
 *
 * <p>Each targeted Linear's output y becomes {@code y + up(act(down(y)))} while the adapter is
 * active, with parameters (kind ADAPTER) {@code <linear path>/adapter/<name>/down/weight}
 * {@code (bottleneck, out)}, {@code down/bias (bottleneck)}, {@code up/weight (out, bottleneck)}
 * and {@code up/bias (out)}. up starts at zero, so a fresh adapter leaves outputs bit-identical.
 * The adapter sees the layer's output including the deltas attached before it (e.g. a LoRA
 * module injected earlier on the same layer).
 *
 * <p>Freezing follows PEFT: while an adapter injected by {@link #inject(ModelGraph, AdapterSpec)}
 * is active, the whole component holding it is frozen by a rule {@code freeze COMPONENT/**} that
 * {@link FreezePolicy#resolve} puts before the policy's own rules ({@link FreezePolicy#hostRules}); a later
 * policy rule can train part of it again. {@code inject(graph, spec, false)} leaves the host to
 * the policy. Configs set the same switch with {@code peft.freeze_host}.
 *
 * <p>Adapters are nonlinear and cannot be merged into the base weights. Not thread-safe.
 */
public final class Adapters {

    private Adapters() {}

    /**
     * Attaches an adapter after every Linear whose module path matches {@code spec.target()} and
     * makes it active, freezing the rest of each component that holds it while it is active (see
     * the class comment); same as {@code inject(graph, spec, true)}. Everything is checked before
     * any parameter is created, so a failed call leaves the graph unchanged.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @return the module paths of the layers it follows, in graph order
     * @throws IllegalArgumentException when the glob matches no Linear (naming the glob and the
     *     nearest Linear paths), the bottleneck is wider than a matched layer's output, or the
     *     name is taken by another adapter or LoRA module
     */
    public static List<String> inject(ModelGraph graph, AdapterSpec spec) {
        return inject(graph, spec, true);
    }

    /**
     * As {@link #inject(ModelGraph, AdapterSpec)}, choosing whether the host components are frozen.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @param freezeHost true (PEFT's default): freeze the rest of each component holding the adapter
     *     while it is active; false: those parameters follow the freeze policy
     * @return the module paths of the layers it follows, in graph order
     * @throws IllegalArgumentException when the glob matches no Linear (naming the glob and the
     *     nearest Linear paths), the bottleneck is wider than a matched layer's output, or the
     *     name is taken by another adapter or LoRA module
     */
    public static List<String> inject(ModelGraph graph, AdapterSpec spec, boolean freezeHost) {
        return Targets.inject(graph, spec, freezeHost, AdapterModule::plan, AdapterModule::create);
    }

    /**
     * Switches the named adapter on.
     *
     * @param graph the graph holding the adapter
     * @param name the adapter's name
     * @throws IllegalArgumentException if no adapter has that name
     */
    public static void activate(ModelGraph graph, String name) {
        Targets.find(graph, name, AdapterModule.class);
        graph.activeAdapters().add(name);
    }

    /**
     * Switches the named adapter off; its parameters stay attached.
     *
     * @param graph the graph holding the adapter
     * @param name the adapter's name
     * @throws IllegalArgumentException if no adapter has that name
     */
    public static void deactivate(ModelGraph graph, String name) {
        Targets.find(graph, name, AdapterModule.class);
        graph.activeAdapters().remove(name);
    }

    /**
     * The attached adapters' specs by name (active or not).
     *
     * @param graph the graph to look in
     * @return the specs by adapter name, in injection order
     */
    public static Map<String, AdapterSpec> attached(ModelGraph graph) {
        return Targets.attached(graph, AdapterModule.class, AdapterSpec.class);
    }

    /**
     * The module paths of the layers the named adapter follows.
     *
     * @param graph the graph holding the adapter
     * @param name the adapter's name
     * @return the layer paths, in graph order
     * @throws IllegalArgumentException if no adapter has that name
     */
    public static List<String> layers(ModelGraph graph, String name) {
        return Targets.paths(Targets.find(graph, name, AdapterModule.class).targets());
    }
}
