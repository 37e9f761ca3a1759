package dev.floe.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Layer;
import dev.floe.nn.Param;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A named unit of a model with declared input and output ports, a role, and parameters under
 * stable child names.
 *
 * <p>Subclasses declare ports in the constructor, create their layers in {@link #initialize}
 * (called once by {@link ModelGraph.Builder#build()}, which owns the native memory) and implement
 * {@link #forward}. Parameter paths are {@code <component>/<child>/.../<tensor>}.
 */
public abstract class Component {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_\\-]*");

    private final String name;
    private final Role role;
    private final List<PortSpec> inputs;
    private final List<PortSpec> outputs;
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private boolean initialized;

    /**
     * @param role the component's role in the graph
     * @param inputs declared input ports; copied
     * @param outputs declared output ports; copied
     * @param name unique within a graph; an identifier (letters, digits, '_', '-')
     * @throws IllegalArgumentException on a bad name or duplicate port names
     */
    protected Component(String name, Role role, List<PortSpec> inputs, List<PortSpec> outputs) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "component name '" + name + "' is not allowed; use letters, digits, '_' or '-',"
                            + " starting with a letter");
        }
        this.name = name;
        this.role = role;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        checkUnique("input", this.inputs);
        checkUnique("output", this.outputs);
        if (this.outputs.isEmpty()) {
            throw new IllegalArgumentException("component " + name + " declares no output port");
        }
    }

    private void checkUnique(String what, List<PortSpec> ports) {
        Set<String> seen = new HashSet<>();
        for (PortSpec p : ports) {
            if (!seen.add(p.name())) {
                throw new IllegalArgumentException(
                        "component " + name + " declares " + what + " port " + p.name() + " twice");
            }
        }
    }

    /**
     * The component's name, the first segment of its parameter paths.
     *
     * @return the name
     */
    public final String name() {
        return name;
    }

    /**
     * Its role.
     *
     * @return the role
     */
    public final Role role() {
        return role;
    }

    /**
     * Declared inputs.
     *
     * @return the input ports in declaration order, unmodifiable
     */
    public final List<PortSpec> inputs() {
        return inputs;
    }

    /**
     * Declared outputs.
     *
     * @return the output ports in declaration order, unmodifiable
     */
    public final List<PortSpec> outputs() {
        return outputs;
    }

    /**
     * The input port with this name, or null.
     *
     * @param port a port name
     * @return the spec, or null when there is no such input
     */
    public final PortSpec input(String port) {
        return inputs.stream().filter(p -> p.name().equals(port)).findFirst().orElse(null);
    }

    /**
     * The output port with this name, or null.
     *
     * @param port a port name
     * @return the spec, or null when there is no such output
     */
    public final PortSpec output(String port) {
        return outputs.stream().filter(p -> p.name().equals(port)).findFirst().orElse(null);
    }

    /**
     * Child module names from the bottom (closest to the input) to the top, e.g.
     * {@code [stem, block1, block2, block3]}. Schedules unfreeze from the top of this list and
     * layer-wise learning-rate decay counts along it. Empty when the component has no layer order.
     *
     * @return the layer names, bottom first
     */
    public List<String> layerOrder() {
        return List.of();
    }

    /**
     * Child modules that {@link #forward} runs through {@link ForwardContext#segment}, so gradient
     * checkpointing can recompute each of them on its own ({@code <component>/<child>} paths);
     * default none. The whole component is always a segment of its graph.
     *
     * @return the child module names that are checkpoint segments
     */
    public List<String> checkpointSegments() {
        return List.of();
    }

    /**
     * Parameters by path, in creation order; empty before the graph is built.
     *
     * @return an unmodifiable map from parameter path to parameter
     */
    public final Map<String, Param> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /**
     * Layers with parameters by module path (e.g. {@code encoder/block1/conv1}); empty before the
     * graph is built.
     *
     * @return an unmodifiable map from module path to layer
     */
    public final Map<String, Layer> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /**
     * A scope for adding parameters to this built component later (LoRA modules, adapters); they
     * appear in {@link #parameters()} and in the graph's parameters.
     */
    final ParamScope extensionScope(NDManager manager, long seed) {
        return new ParamScope(name, manager, seed, params, layers);
    }

    /**
     * Total scalar count of all parameters including buffers.
     *
     * @return the number of scalars
     */
    public final long parameterCount() {
        long n = 0;
        for (Param p : params.values()) {
            n += p.size();
        }
        return n;
    }

    /** Whether the component has been built into a graph (its parameters exist). */
    final boolean initialized() {
        return initialized;
    }

    final void initializeOnce(NDManager manager, long seed) {
        if (initialized) {
            throw new IllegalStateException(
                    "component " + name + " is already part of a built graph; create a new instance"
                            + " for another graph");
        }
        initialize(new ParamScope(name, manager, seed, params, layers));
        initialized = true;
    }

    /**
     * Creates the layers and their parameters under {@code scope} (whose path is {@link #name()}).
     *
     * @param scope the scope that creates and names this component's parameters
     */
    protected abstract void initialize(ParamScope scope);

    /**
     * Runs the component.
     *
     * @param context tells each module whether it runs in training mode
     * @param inputs arrays by input port name (optional unconnected ports are absent)
     * @return arrays by output port name, one per declared output
     */
    public abstract Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> inputs);

    /**
     * Module paths of the layers, for reports; default lists the distinct parents of parameters.
     *
     * @return module paths, in creation order
     */
    public List<String> modulePaths() {
        List<String> out = new ArrayList<>();
        for (String p : params.keySet()) {
            String parent = p.substring(0, p.lastIndexOf('/'));
            if (!out.contains(parent)) {
                out.add(parent);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " (" + role.name().toLowerCase(java.util.Locale.ROOT) + ") in " + inputs + " out " + outputs;
    }
}
