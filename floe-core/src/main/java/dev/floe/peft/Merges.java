package dev.floe.peft;

import dev.floe.graph.ModelGraph;
import dev.floe.nn.Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rules that keep merged outputs equal to unmerged ones when modules that rescale weights
 * (DoRA, IA3) share layers with other modules.
 *
 * <p>LoRA merges add to the weights and commute with each other. A DoRA or IA3 merge rescales
 * the weights, and their deltas read the base weights or the layer output, so, when either module
 * is DoRA or IA3: (1) merging a module is refused while the other is active, unmerged and shares a
 * layer with it; (2) unmerging is refused while the other was merged later and shares a layer with
 * it (merges are undone in reverse order). LoRA modules and adapters among themselves keep the
 * rules of {@link Lora#merge}.
 */
public final class Merges {

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private Merges() {}

    /** The next merge sequence number, above every earlier one. */
    static long next() {
        return SEQUENCE.incrementAndGet();
    }

    /**
     * Checks that every named module could be merged now under rule (1) of the class comment, as
     * merging all of them at the end of training will: none that rescales weights (DoRA, IA3)
     * shares a layer with another active, unmerged module. Names of modules that cannot merge at
     * all (adapters, prompts) are checked as the other side only.
     *
     * @param graph the graph the modules are attached to
     * @param names the modules to be merged
     * @throws IllegalStateException naming both modules, the shared layers and the fix, at the first
     *     pair that would merge to different outputs
     */
    public static void requireMergeable(ModelGraph graph, java.util.Collection<String> names) {
        Map<String, PeftModule> all = Targets.modules(graph);
        for (String name : names) {
            PeftModule module = all.get(name);
            if (module != null && rescales(module)) {
                requireMergeable(graph, module);
            }
        }
    }

    /** Rule (1) of the class comment. */
    static void requireMergeable(ModelGraph graph, PeftModule module) {
        for (PeftModule other : sharing(graph, module)) {
            if (!other.merged() && graph.activeAdapters().contains(other.name()) && !commute(module, other)) {
                throw new IllegalStateException(
                        "cannot merge " + module.spec().kind() + " '" + module.name() + "': " + other.spec().kind() + " '"
                                + other.name() + "' is active on the same layers " + common(module, other)
                                + " and a " + (rescales(module) ? module : other).spec().kind()
                                + " merge rescales the weights it reads, which would change the outputs; merge or"
                                + " deactivate '" + other.name() + "' first");
            }
        }
    }

    /** Rule (2) of the class comment. */
    static void requireUndoable(ModelGraph graph, PeftModule module) {
        for (PeftModule other : sharing(graph, module)) {
            if (other.merged() && other.mergeOrder() > module.mergeOrder() && !commute(module, other)) {
                throw new IllegalStateException(
                        "cannot unmerge " + module.spec().kind() + " '" + module.name() + "': " + other.spec().kind()
                                + " '" + other.name() + "' was merged into the same layers " + common(module, other)
                                + " after it; merges that rescale weights are undone in reverse order — unmerge '"
                                + other.name() + "' first");
            }
        }
    }

    /** False when either module rescales weights on merge (DoRA, IA3); LoRA and adapters keep their old freedom. */
    private static boolean commute(PeftModule a, PeftModule b) {
        return !rescales(a) && !rescales(b);
    }

    private static boolean rescales(PeftModule m) {
        return m instanceof DoraModule || m instanceof Ia3Module;
    }

    private static List<PeftModule> sharing(ModelGraph graph, PeftModule module) {
        List<PeftModule> out = new ArrayList<>();
        for (PeftModule other : Targets.modules(graph).values()) {
            if (other != module && !common(module, other).isEmpty()) {
                out.add(other);
            }
        }
        return out;
    }

    private static List<String> common(PeftModule a, PeftModule b) {
        Set<Linear> mine = Collections.newSetFromMap(new IdentityHashMap<>());
        a.targets().forEach(t -> mine.add(t.linear()));
        List<String> out = new ArrayList<>();
        for (Target t : b.targets()) {
            if (mine.contains(t.linear())) {
                out.add(t.path());
            }
        }
        return out;
    }
}
