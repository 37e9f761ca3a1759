package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Per-row routing of PEFT modules within one batch (a multi-tenant server's case): row i uses the
 * module named {@code modules.get(i)}, or none ({@link #NONE}).
 *
 * <p>Definition: each routed module (LoRA module, adapter, prefix module or composition) adds its
 * term only to the rows routed to it; every other module that is active applies to every row, as
 * usual. So the output rows of a routed pass equal, within float rounding of batched arithmetic,
 * those of running each group of rows alone with its module switched on and the other routed
 * modules off. The graph's active set is as before when the call returns.
 *
 * <p>Prompt tuning cannot be routed (its virtual tokens move every real token's position), nor can
 * a merged module (its update is in the weights every row uses), nor a member of an active
 * composition (the composition applies all its members; route the composition). A routed
 * composition takes its members' terms on every layer, so none of its members may be routed in the
 * same batch or be active on its own. Not thread-safe, like the graph.
 */
public final class Routing {

    /** The entry for a row that uses no routed module. */
    public static final String NONE = "";

    private Routing() {}

    /**
     * One forward pass with modules routed per row.
     *
     * @param graph the graph holding the modules
     * @param inputs the graph inputs, each with the batch as its first axis
     * @param modules one entry per row: a module or composition name, or {@link #NONE}
     * @param context the pass's context (e.g. {@link ForwardContext#INFERENCE})
     * @return the graph outputs, as {@link ModelGraph#forward(Map, ForwardContext)} gives them
     * @throws IllegalArgumentException when there are no inputs, the list does not have one entry per row, names a module
     *     that is not attached, a merged module (its update is in every row's weights), a prompt
     *     module, a member of an active composition, or a composition together with one of its members
     *     or while one of its members is active on its own; the active set is unchanged then
     */
    public static Map<String, NDArray> forward(ModelGraph graph, Map<String, NDArray> inputs, List<String> modules,
            ForwardContext context) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("routing got no inputs; give the graph's inputs " + graph.inputs().keySet()
                    + ", each with the batch as its first axis");
        }
        NDArray any = inputs.values().iterator().next();
        long rows = any.getShape().get(0);
        if (modules.size() != rows) {
            throw new IllegalArgumentException(
                    "routing lists " + modules.size() + " modules but the batch has " + rows + " rows; give one module"
                            + " name (or \"\" for none) per row");
        }
        Map<String, PeftModule> attached = Targets.modules(graph);
        Map<String, CompositionSpec> compositions = Composition.attached(graph);
        Set<String> routed = new LinkedHashSet<>(modules);
        routed.remove(NONE);
        for (String name : routed) {
            PeftModule m = attached.get(name);
            if (m == null && !compositions.containsKey(name)) {
                List<String> known = new ArrayList<>(attached.keySet());
                known.addAll(compositions.keySet());
                throw new IllegalArgumentException(
                        "routing names '" + name + "', which is not attached to this graph; attached are " + known
                                + "; fix the name or inject the module first");
            }
            if (m != null && m.merged()) {
                throw new IllegalArgumentException(
                        "routing names '" + name + "', which is merged into the base weights and so applies to every"
                                + " row; unmerge it first (" + unmergeCall(m) + ") to route it per row");
            }
            if (m instanceof PromptModule) {
                throw new IllegalArgumentException(
                        "routing names prompt '" + name + "': prompt tuning cannot be routed per row (its virtual tokens"
                                + " move every real token's position); run its rows in a batch of their own");
            }
            CompositionSpec own = compositions.get(name);
            if (own != null && m == null) {
                for (String member : own.members()) {
                    if (routed.contains(member)) {
                        throw new IllegalArgumentException(
                                "routing names both '" + name + "' and its member '" + member + "' in one batch, but the"
                                        + " " + own.kind() + " takes the member's term on every layer, so the rows of '"
                                        + member + "' would get nothing; route them in separate batches");
                    }
                    if (graph.activeAdapters().contains(member)) {
                        throw new IllegalArgumentException(
                                "routing names the " + own.kind() + " '" + name + "', whose member '" + member + "' is"
                                        + " also active on its own and so should apply to every row, which the composed"
                                        + " term (applied to the rows of '" + name + "' only) cannot do; deactivate '"
                                        + member + "' first (a member of a routed composition is applied through it)");
                    }
                }
            }
            for (CompositionSpec c : compositions.values()) {
                if (c.members().contains(name) && graph.activeAdapters().contains(c.name())) {
                    throw new IllegalArgumentException(
                            "routing names '" + name + "', a member of the active " + c.kind() + " '" + c.name()
                                    + "', which applies all its members; route '" + c.name() + "' or deactivate it");
                }
            }
        }
        Map<String, NDArray> masks = new HashMap<>();
        for (String name : routed) {
            float[] mask = new float[Math.toIntExact(rows)];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = modules.get(i).equals(name) ? 1f : 0f;
            }
            masks.put(name, any.getManager().create(mask)); // (B)
        }
        Set<String> switchedOn = new LinkedHashSet<>();
        for (String name : routed) {
            if (graph.activeAdapters().add(name)) {
                switchedOn.add(name);
            }
        }
        try {
            return graph.forward(inputs, new Routed(context, masks));
        } finally {
            graph.activeAdapters().removeAll(switchedOn);
        }
    }

    /** The call that unmerges a merged module, for messages. */
    private static String unmergeCall(PeftModule m) {
        String kind = m instanceof LoraModule ? "Lora" : m instanceof Ia3Module ? "Ia3" : "Dora";
        return kind + ".unmerge(graph, \"" + m.name() + "\")";
    }

    /** The caller's context, answering {@link #routedRows} from the masks. */
    private record Routed(ForwardContext inner, Map<String, NDArray> masks) implements ForwardContext {

        @Override
        public boolean training(String modulePath) {
            return inner.training(modulePath);
        }

        @Override
        public Map<String, NDArray> segment(String path, Map<String, NDArray> inputs,
                UnaryOperator<Map<String, NDArray>> body) {
            return inner.segment(path, inputs, body);
        }

        @Override
        public NDArray dropout(String path, NDArray input, float rate) {
            return inner.dropout(path, input, rate);
        }

        @Override
        public void observe(String path, NDArray value) {
            inner.observe(path, value);
        }

        @Override
        public boolean updatesRunningStatistics() {
            return inner.updatesRunningStatistics();
        }

        @Override
        public NDArray layerOutput(String layerPath, NDArray value) {
            return inner.layerOutput(layerPath, value);
        }

        @Override
        public void activationInput(String layerPath, String function, NDArray input) {
            inner.activationInput(layerPath, function, input);
        }

        @Override
        public NDArray routedRows(String module) {
            NDArray own = masks.get(module);
            return own != null ? own : inner.routedRows(module);
        }
    }
}
