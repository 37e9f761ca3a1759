package dev.floe.cache;

import dev.floe.freeze.FreezePlan;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The frozen prefix of a plan for some graph outputs: frozen components (every parameter frozen or a
 * buffer, running in inference mode) whose inputs come only from graph inputs and other prefix
 * components, and the boundary values ({@code component.port}) that trainable components read from
 * them.
 *
 * @param components prefix component names, in graph order
 * @param boundary values the rest of the graph reads from the prefix
 * @param needsGraphInputs whether a trainable component also reads a graph input directly
 * @param whyOff null when caching applies; otherwise the reason it does not, for {@code floe plan}
 */
public record Prefix(List<String> components, List<String> boundary, boolean needsGraphInputs, String whyOff) {

    /**
     * Copies the lists, so the prefix does not change when the caller's lists do.
     *
     * @param components prefix component names, in graph order
     * @param boundary values the rest of the graph reads from the prefix
     * @param needsGraphInputs whether a trainable component also reads a graph input directly
     * @param whyOff null when caching applies; otherwise the reason it does not, for
     *     {@code floe plan}
     */
    public Prefix {
        components = List.copyOf(components);
        boundary = List.copyOf(boundary);
    }

    /**
     * True when features can be cached.
     *
     * @return true when {@link #whyOff()} is null
     */
    public boolean usable() {
        return whyOff == null;
    }

    /**
     * Finds the frozen prefix of {@code plan} for the given graph outputs.
     *
     * @param plan the resolved freeze plan of the graph
     * @return the prefix; when nothing can be cached, {@link #usable()} is false and
     *     {@link #whyOff()} says why
     * @param outputs graph output names the training reads
     */
    public static Prefix of(FreezePlan plan, Collection<String> outputs) {
        ModelGraph graph = plan.graph();
        Set<String> prefix = new LinkedHashSet<>();
        for (Component c : graph.components()) {
            boolean frozen = !c.parameters().isEmpty();
            for (Param p : c.parameters().values()) {
                FreezePlan.State s = plan.entry(p.path()).state();
                if (s != FreezePlan.State.FROZEN && s != FreezePlan.State.BUFFER) {
                    frozen = false;
                }
            }
            if (frozen && plan.trainingContext().training(c.name())) {
                frozen = false; // e.g. train_bn keeps BatchNorm training inside it
            }
            if (frozen && hasTrainingModule(plan, c)) {
                frozen = false;
            }
            boolean fed = true;
            for (ModelGraph.Wire w : graph.wires()) {
                if (w.to().component().equals(c.name()) && !w.from().isGraphInput()
                        && !prefix.contains(w.from().component())) {
                    fed = false;
                }
            }
            if (frozen && fed) {
                prefix.add(c.name());
            }
        }
        List<String> boundary = new ArrayList<>();
        boolean needsInputs = false;
        for (ModelGraph.Wire w : graph.wires()) {
            if (prefix.contains(w.to().component())) {
                continue;
            }
            if (w.from().isGraphInput()) {
                needsInputs = true;
            } else if (prefix.contains(w.from().component()) && !boundary.contains(w.from().toString())) {
                boundary.add(w.from().toString());
            }
        }
        for (String out : outputs) {
            ModelGraph.Endpoint e = graph.outputs().get(out);
            if (e != null && prefix.contains(e.component())) {
                return new Prefix(List.copyOf(prefix), boundary, needsInputs,
                        "output " + out + " comes from frozen component " + e.component() + ", so nothing downstream trains");
            }
        }
        if (prefix.isEmpty()) {
            return new Prefix(List.of(), List.of(), true,
                    "no frozen component is fed only by the data and other frozen components");
        }
        if (boundary.isEmpty()) {
            return new Prefix(List.copyOf(prefix), boundary, needsInputs, "no trainable component reads the frozen prefix");
        }
        return new Prefix(List.copyOf(prefix), boundary, needsInputs, null);
    }

    private static boolean hasTrainingModule(FreezePlan plan, Component c) {
        for (String module : c.modulePaths()) {
            if (plan.trainingContext().training(module)) {
                return true;
            }
        }
        return false;
    }
}
