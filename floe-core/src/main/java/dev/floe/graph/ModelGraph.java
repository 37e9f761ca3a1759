package dev.floe.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.GraphException.Kind;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.nn.ParamScope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A directed acyclic graph of components wired port to port, with named graph inputs and outputs.
 * Several components may read one output (one encoder feeding two heads).
 *
 * <p>Made by {@link #builder()}; {@link Builder#build()} checks every wire and then creates all
 * parameters in native memory that the graph owns until {@link #close()}.
 */
public final class ModelGraph implements AutoCloseable {

    /** Where a value comes from: a graph input ({@code component == null}) or a component output. */
    public record Endpoint(String component, String port) {
        static Endpoint parse(String text) {
            int dot = text.indexOf('.');
            return dot < 0
                    ? new Endpoint(null, text.trim())
                    : new Endpoint(text.substring(0, dot).trim(), text.substring(dot + 1).trim());
        }

        /**
         * True for a graph input.
         *
         * @return true when the endpoint is a graph input, false for a component output
         */
        public boolean isGraphInput() {
            return component == null;
        }

        @Override
        public String toString() {
            return component == null ? port : component + "." + port;
        }
    }

    /** A wire from a source endpoint to a component input. */
    public record Wire(Endpoint from, Endpoint to) {
        @Override
        public String toString() {
            return from + " -> " + to;
        }
    }

    private final Map<String, TensorSpec> inputs;
    private final List<Component> order;
    private final Map<String, Component> byName;
    private final List<Wire> wires;
    private final Map<String, Endpoint> outputs;
    private final Set<String> activeAdapters = new java.util.LinkedHashSet<>();
    private final Set<String> hostFreezingAdapters = new java.util.LinkedHashSet<>();
    private final NDManager manager;
    private final long seed;

    private ModelGraph(Builder b, List<Component> order) {
        this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(b.inputs));
        this.order = List.copyOf(order);
        Map<String, Component> names = new LinkedHashMap<>();
        order.forEach(c -> names.put(c.name(), c));
        this.byName = Collections.unmodifiableMap(names);
        this.wires = List.copyOf(b.wires);
        this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(b.outputs));
        this.seed = b.seed;
        this.manager = FloeEngine.newManager();
        this.manager.setName("floe-model");
        try {
            for (Component c : order) {
                if (!b.built.contains(c)) {
                    c.initializeOnce(manager, seed);
                }
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Checks that {@code replacement} can take the place of {@code current} in a graph: the same
     * input and output ports, each with the same spec (and an input required exactly when the
     * current one is). Used before a component is swapped for another (for example a registry
     * version), so the wiring stays valid without re-checking it.
     *
     * @param current the component in the graph
     * @param replacement the component that would take its place
     * @throws GraphException naming the first port that differs, the spec expected and the spec found
     */
    public static void checkReplacement(Component current, Component replacement) {
        portsMatch("input", current.inputs(), replacement.inputs());
        portsMatch("output", current.outputs(), replacement.outputs());
    }

    private static void portsMatch(String what, List<PortSpec> expected, List<PortSpec> found) {
        Map<String, PortSpec> byName = new LinkedHashMap<>();
        found.forEach(p -> byName.put(p.name(), p));
        for (PortSpec e : expected) {
            PortSpec f = byName.remove(e.name());
            if (f == null) {
                throw new GraphException(Kind.UNKNOWN_PORT, what + " port " + e.name() + ": expected " + e.spec()
                        + ", found no such port (its " + what + "s are " + Builder.names(found) + ")");
            }
            if (!f.spec().equals(e.spec())) {
                throw new GraphException(f.spec().type() != e.spec().type() ? Kind.DTYPE_MISMATCH : Kind.SHAPE_MISMATCH,
                        what + " port " + e.name() + ": expected " + e.spec() + ", found " + f.spec());
            }
            if (f.required() != e.required()) {
                throw new GraphException(Kind.UNCONNECTED_INPUT, what + " port " + e.name() + ": expected "
                        + (e.required() ? "required" : "optional") + ", found " + (f.required() ? "required" : "optional"));
            }
        }
        if (!byName.isEmpty()) {
            PortSpec extra = byName.values().iterator().next();
            throw new GraphException(Kind.UNKNOWN_PORT, what + " port " + extra.name() + ": expected no such port, found "
                    + extra.spec() + " (the replaced component's " + what + "s are " + Builder.names(expected) + ")");
        }
    }

    /**
     * A new graph in which the component named {@code componentName} is replaced by
     * {@code replacement}; inputs, wires, outputs, seed and active adapters are this graph's, and
     * the graph is checked as {@link Builder#build()} checks it. This graph is not changed.
     *
     * <p>The other components are the same objects, so they keep their weights (the same
     * parameter arrays). A replacement already built into another graph (for example
     * {@code LoadedComponent.component()} of a registry version) keeps its weights too; one that
     * was never built is initialised by the new graph from this graph's seed. The new graph owns
     * only the parameters it initialised: it is usable while this graph (and the replacement's
     * graph, if any) is open, and closing it frees only its own. Freeze plans, optimizers and
     * caches bind to the graph they were made for: resolve them again for the new one.
     *
     * @return a new graph sharing every other component with this one
     * @param componentName the component to replace
     * @param replacement a component of the same name whose ports equal the replaced one's
     * @throws GraphException when there is no such component, the replacement has another name, or
     *     a port differs ({@link #checkReplacement}: naming the port, the spec expected and the spec found)
     */
    public ModelGraph withReplaced(String componentName, Component replacement) {
        Component current = component(componentName);
        if (!replacement.name().equals(componentName)) {
            throw new GraphException(Kind.UNKNOWN_COMPONENT, "the replacement for " + componentName + " is named '"
                    + replacement.name() + "'; name it " + componentName + " (wires and parameter paths use the name)");
        }
        checkReplacement(current, replacement);
        Builder b = builder().seed(seed);
        inputs.forEach(b::input);
        for (Component c : order) {
            Component kept = c == current ? replacement : c;
            b.add(kept);
            if (kept.initialized()) {
                b.built.add(kept);
            }
        }
        b.wires.addAll(wires);
        b.outputs.putAll(outputs);
        ModelGraph replaced = b.build();
        replaced.activeAdapters.addAll(activeAdapters);
        replaced.hostFreezingAdapters.addAll(hostFreezingAdapters);
        return replaced;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Graph inputs and their specs, in declaration order.
     *
     * @return an unmodifiable map from input name to spec
     */
    public Map<String, TensorSpec> inputs() {
        return inputs;
    }

    /**
     * Graph outputs and the component ports they come from.
     *
     * @return an unmodifiable map from output name to the component port that produces it
     */
    public Map<String, Endpoint> outputs() {
        return outputs;
    }

    /**
     * Components in a valid execution order (every component after the ones it reads).
     *
     * @return the components, each after every component it reads from
     */
    public List<Component> components() {
        return order;
    }

    /**
     * The component with this name.
     *
     * @param name the component's name
     * @return the component
     * @throws GraphException if there is no such component
     */
    public Component component(String name) {
        Component c = byName.get(name);
        if (c == null) {
            throw new GraphException(
                    Kind.UNKNOWN_COMPONENT,
                    "no component named '" + name + "'; components are " + byName.keySet());
        }
        return c;
    }

    /**
     * The wires.
     *
     * @return the wires, unmodifiable
     */
    public List<Wire> wires() {
        return wires;
    }

    /**
     * Every parameter (including buffers) by path, in execution order.
     *
     * @return an unmodifiable map from parameter path to parameter
     */
    public Map<String, Param> parameters() {
        Map<String, Param> all = new LinkedHashMap<>();
        for (Component c : order) {
            all.putAll(c.parameters());
        }
        return Collections.unmodifiableMap(all);
    }

    /**
     * A scope for adding parameters to a built component (LoRA modules, adapters). Created arrays
     * are owned by this graph.
     *
     * @return a scope whose arrays belong to this graph
     * @param component the component's name
     * @throws GraphException if there is no such component
     */
    public ParamScope extend(String component) {
        return component(component).extensionScope(manager, seed);
    }

    /**
     * Names of the LoRA modules and adapters that are switched on. The set is live and mutable:
     * LoRA deltas and adapters consult it on every forward pass, and freeze plans resolved
     * afterwards train only active ones. Not thread-safe.
     *
     * @return the live set of active module names
     */
    public Set<String> activeAdapters() {
        return activeAdapters;
    }

    /**
     * Names of the LoRA modules and adapters that, while active, freeze the rest of each component
     * holding them: freeze plans resolved afterwards put {@code freeze COMPONENT/**} before the
     * policy's own rules. Injection fills it (PEFT's default; the injection methods take an option
     * to leave a module out). The set is live and mutable. Not thread-safe.
     *
     * @return the live set
     */
    public Set<String> hostFreezingAdapters() {
        return hostFreezingAdapters;
    }

    /**
     * The seed parameters were initialised from.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * Total scalar count of parameters including buffers.
     *
     * @return the number of scalars
     */
    public long parameterCount() {
        return parameters().values().stream().mapToLong(Param::size).sum();
    }

    /**
     * The manager that owns the parameters. For Floe's own training and caching code: arrays
     * created here live until the graph is closed.
     *
     * @return the graph's manager; do not close it
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Runs the graph.
     *
     * @param values graph inputs by name; shapes are checked against the declared specs
     * @param context training mode per module
     * @return graph outputs by name, attached to the inputs' manager
     * @throws GraphException naming the input when one is missing or does not fit its spec
     */
    public Map<String, NDArray> forward(Map<String, NDArray> values, ForwardContext context) {
        return forward(values, context, outputs.keySet());
    }

    /**
     * Runs only the components the named outputs depend on (training one head of a two-head graph
     * does not run the other head).
     *
     * @param values graph input arrays by name; the caller keeps owning them
     * @param context the forward context (training or inference mode, checkpointing)
     * @param wanted graph output names
     * @return those outputs by name
     * @throws GraphException naming an unknown output
     */
    public Map<String, NDArray> forward(Map<String, NDArray> values, ForwardContext context, Collection<String> wanted) {
        return forwardFrom(values, Map.of(), context, wanted);
    }

    /**
     * Runs only what the named outputs need, starting from values already known for some component
     * outputs ({@code precomputed}, keyed {@code component.port}): components whose outputs are all
     * supplied this way, and everything only they need, do not run. Feature caches use this to
     * skip a frozen prefix. Only the graph inputs still needed must be given.
     *
     * @param values graph input arrays by name; the caller keeps owning them
     * @param precomputed component outputs by {@code component.port}; the caller keeps owning them
     * @param context the forward context
     * @param wanted graph output names
     * @return those outputs by name
     * @throws GraphException naming an unknown output or a missing or ill-fitting graph input
     */
    public Map<String, NDArray> forwardFrom(
            Map<String, NDArray> values, Map<String, NDArray> precomputed, ForwardContext context, Collection<String> wanted) {
        Set<String> needed = new HashSet<>();
        Set<String> neededInputs = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        for (String name : wanted) {
            Endpoint source = outputs.get(name);
            if (source == null) {
                throw new GraphException(
                        Kind.UNKNOWN_PORT, "no graph output named '" + name + "'; outputs are " + outputs.keySet());
            }
            if (!precomputed.containsKey(source.toString())) {
                todo.add(source.component());
            }
        }
        while (!todo.isEmpty()) {
            String c = todo.poll();
            if (needed.add(c)) {
                for (Wire w : wires) {
                    if (!w.to().component().equals(c) || precomputed.containsKey(w.from().toString())) {
                        continue;
                    }
                    if (w.from().isGraphInput()) {
                        neededInputs.add(w.from().port());
                    } else {
                        todo.add(w.from().component());
                    }
                }
            }
        }
        Map<String, NDArray> computed = run(values, precomputed, context, needed, neededInputs);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : wanted) {
            out.put(name, computed.get(outputs.get(name).toString()));
        }
        return out;
    }

    /**
     * Runs the graph and returns every value it computed (graph inputs by name, component outputs
     * as {@code component.port}). Used by caches that need intermediate values.
     *
     * @param values graph input arrays by name; the caller keeps owning them
     * @param context the forward context
     * @return every value by name
     */
    public Map<String, NDArray> forwardAll(Map<String, NDArray> values, ForwardContext context) {
        return run(values, Map.of(), context, byName.keySet(), inputs.keySet());
    }

    /**
     * Runs only the named components (which must be closed under their own inputs: each reads graph
     * inputs or other named components) and returns every value computed, as {@link #forwardAll}.
     *
     * @param values graph input arrays by name; the caller keeps owning them
     * @param context the forward context
     * @param components the components to run
     * @return every value computed, by name
     */
    public Map<String, NDArray> forwardAll(Map<String, NDArray> values, ForwardContext context, Collection<String> components) {
        Set<String> wanted = new HashSet<>(components);
        Set<String> neededInputs = new HashSet<>();
        for (Wire w : wires) {
            if (wanted.contains(w.to().component())) {
                if (w.from().isGraphInput()) {
                    neededInputs.add(w.from().port());
                } else if (!wanted.contains(w.from().component())) {
                    throw new GraphException(Kind.UNKNOWN_COMPONENT, "component " + w.to().component() + " reads "
                            + w.from() + ", which is not among the components to run " + components);
                }
            }
        }
        return run(values, Map.of(), context, wanted, neededInputs);
    }

    private Map<String, NDArray> run(Map<String, NDArray> values, Map<String, NDArray> precomputed, ForwardContext context,
            Set<String> needed, Set<String> neededInputs) {
        Map<String, NDArray> env = new HashMap<>(precomputed);
        for (Map.Entry<String, TensorSpec> in : inputs.entrySet()) {
            if (!neededInputs.contains(in.getKey())) {
                continue;
            }
            NDArray a = values.get(in.getKey());
            if (a == null) {
                throw new GraphException(
                        Kind.BAD_INPUT_ARRAY,
                        "graph input '" + in.getKey() + "' was not given; expected " + in.getValue()
                                + "; given were " + values.keySet());
            }
            Optional<String> bad = in.getValue().check(a);
            if (bad.isPresent()) {
                throw new GraphException(
                        Kind.BAD_INPUT_ARRAY,
                        "graph input '" + in.getKey() + "': " + bad.get()
                                + "; reshape the batch to " + in.getValue() + " or declare the input differently");
            }
            env.put(in.getKey(), a);
        }
        for (Component c : order) {
            if (!needed.contains(c.name())) {
                continue;
            }
            Map<String, NDArray> args = new HashMap<>();
            for (Wire w : wires) {
                if (w.to().component().equals(c.name())) {
                    args.put(w.to().port(), env.get(w.from().toString()));
                }
            }
            Map<String, NDArray> produced = context.segment(c.name(), args, a -> c.forward(context, a));
            for (PortSpec out : c.outputs()) {
                NDArray a = produced.get(out.name());
                if (a == null) {
                    throw new GraphException(
                            Kind.CONTRACT_BROKEN,
                            "component " + c.name() + " returned no value for its output port " + out.name()
                                    + "; it returned " + produced.keySet());
                }
                Optional<String> bad = out.spec().check(a);
                if (bad.isPresent()) {
                    throw new GraphException(
                            Kind.CONTRACT_BROKEN,
                            "component " + c.name() + " broke its contract at output " + out.name() + ": "
                                    + bad.get() + "; this is a bug in component " + c.name()
                                    + ": its forward must return what its ports declare");
                }
                env.put(c.name() + "." + out.name(), a);
            }
        }
        return env;
    }

    /** Releases all parameters' native memory. The graph is unusable afterwards. */
    @Override
    public void close() {
        manager.close();
    }

    /** Describes the graph: components, ports and wires. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("graph\n");
        inputs.forEach((k, v) -> sb.append("  input ").append(k).append(' ').append(v).append('\n'));
        for (Component c : order) {
            sb.append("  ").append(c).append('\n');
        }
        for (Wire w : wires) {
            sb.append("  wire ").append(w).append('\n');
        }
        outputs.forEach((k, v) -> sb.append("  output ").append(k).append(" <- ").append(v).append('\n'));
        return sb.toString();
    }

    /** Declares inputs, components, wires and outputs; {@link #build()} validates everything. */
    public static final class Builder {
        private final Map<String, TensorSpec> inputs = new LinkedHashMap<>();
        private final List<Component> components = new ArrayList<>();
        private final List<Wire> wires = new ArrayList<>();
        private final Map<String, Endpoint> outputs = new LinkedHashMap<>();
        /** Components already built into a graph whose parameters the new graph shares (see {@link #withReplaced}). */
        private final Set<Component> built = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        private long seed = 0;

        private Builder() {}

        /**
         * Declares a graph input, e.g. {@code input("image", TensorSpec.of("[batch, 1, 28, 28]"))}.
         *
         * @param name the input name, unique among graph inputs
         * @param spec the shape and type the input must have
         * @return this builder
         */
        public Builder input(String name, TensorSpec spec) {
            if (inputs.containsKey(name)) {
                throw new GraphException(Kind.DUPLICATE_NAME, "graph input '" + name + "' is declared twice");
            }
            new PortSpec(name, spec, true); // validates the name
            inputs.put(name, spec);
            return this;
        }

        /**
         * Adds a component. Names must be unique (checked at {@link #build()}).
         *
         * @param component the component
         * @return this builder
         */
        public Builder add(Component component) {
            components.add(component);
            return this;
        }

        /**
         * Wires a source to a component input.
         *
         * @return this builder
         * @param from a graph input name ({@code image}) or a component output ({@code encoder.features})
         * @param to a component input ({@code head.in})
         */
        public Builder wire(String from, String to) {
            Endpoint target = Endpoint.parse(to);
            if (target.isGraphInput()) {
                throw new GraphException(
                        Kind.UNKNOWN_PORT,
                        "wire " + from + " -> " + to + ": the target must be a component input written"
                                + " component.port, e.g. head.in");
            }
            wires.add(new Wire(Endpoint.parse(from), target));
            return this;
        }

        /**
         * Declares a graph output read from a component output ({@code component.port}).
         *
         * @param name the output name
         * @param from the component output, {@code component.port}
         * @return this builder
         */
        public Builder output(String name, String from) {
            Endpoint source = Endpoint.parse(from);
            if (source.isGraphInput()) {
                throw new GraphException(
                        Kind.UNKNOWN_PORT,
                        "output " + name + " <- " + from + ": the source must be a component output written"
                                + " component.port, e.g. head.logits");
            }
            if (outputs.put(name, source) != null) {
                throw new GraphException(Kind.DUPLICATE_NAME, "graph output '" + name + "' is declared twice");
            }
            return this;
        }

        /**
         * Seed for parameter initialisation (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates and builds the graph.
         *
         * @return the graph; its parameters are created and owned by it (close the graph to free
         *     them)
         * @throws GraphException on the first problem found: duplicate names, an unknown component
         *     or port, a shape or dtype mismatch, an input wired twice, a required input left
         *     unconnected, a cycle, or no output
         */
        public ModelGraph build() {
            Map<String, Component> byName = new LinkedHashMap<>();
            for (Component c : components) {
                if (byName.put(c.name(), c) != null) {
                    throw new GraphException(
                            Kind.DUPLICATE_NAME,
                            "two components are named '" + c.name() + "'; give each a unique name");
                }
                if (inputs.containsKey(c.name())) {
                    throw new GraphException(
                            Kind.DUPLICATE_NAME,
                            "component '" + c.name() + "' has the same name as a graph input; rename one");
                }
            }
            Map<String, Wire> wiredInputs = new HashMap<>();
            for (Wire w : wires) {
                TensorSpec produced = sourceSpec(byName, w.from(), "wire " + w);
                Component target = lookup(byName, w.to().component(), "wire " + w);
                PortSpec in = target.input(w.to().port());
                if (in == null) {
                    throw new GraphException(
                            Kind.UNKNOWN_PORT,
                            "wire " + w + ": component " + target.name() + " has no input port '" + w.to().port()
                                    + "'; its inputs are " + names(target.inputs()));
                }
                Wire prior = wiredInputs.put(w.to().toString(), w);
                if (prior != null) {
                    throw new GraphException(
                            Kind.INPUT_WIRED_TWICE,
                            "input " + w.to() + " is wired twice (from " + prior.from() + " and from " + w.from()
                                    + "); an input takes exactly one wire — remove one");
                }
                Optional<String> problem = in.spec().acceptFrom(produced);
                if (problem.isPresent()) {
                    boolean dtype = produced.type() != in.spec().type();
                    String fix = dtype
                            ? "cast the source or declare " + w.to() + " as " + produced.type()
                            : "set " + w.to() + " to " + produced + " or add an adapter between them";
                    throw new GraphException(
                            dtype ? Kind.DTYPE_MISMATCH : Kind.SHAPE_MISMATCH,
                            "port " + w.from() + " is " + produced + " but " + w.to() + " expects " + in.spec()
                                    + " (" + problem.get() + "); " + fix);
                }
            }
            for (Component c : components) {
                for (PortSpec in : c.inputs()) {
                    if (in.required() && !wiredInputs.containsKey(c.name() + "." + in.name())) {
                        throw new GraphException(
                                Kind.UNCONNECTED_INPUT,
                                "input " + c.name() + "." + in.name() + " " + in.spec()
                                        + " is required but nothing is wired to it; wire a graph input or a"
                                        + " component output to it");
                    }
                }
            }
            if (outputs.isEmpty()) {
                throw new GraphException(
                        Kind.NO_OUTPUT, "the graph declares no output; add output(name, \"component.port\")");
            }
            for (Map.Entry<String, Endpoint> o : outputs.entrySet()) {
                sourceSpec(byName, o.getValue(), "output " + o.getKey());
            }
            return new ModelGraph(this, topologicalOrder(byName));
        }

        private TensorSpec sourceSpec(Map<String, Component> byName, Endpoint from, String where) {
            if (from.isGraphInput()) {
                TensorSpec spec = inputs.get(from.port());
                if (spec == null) {
                    throw new GraphException(
                            Kind.UNKNOWN_PORT,
                            where + ": '" + from.port() + "' is not a graph input (graph inputs are "
                                    + inputs.keySet() + "); write component.port for a component output");
                }
                return spec;
            }
            Component c = lookup(byName, from.component(), where);
            PortSpec out = c.output(from.port());
            if (out == null) {
                throw new GraphException(
                        Kind.UNKNOWN_PORT,
                        where + ": component " + c.name() + " has no output port '" + from.port()
                                + "'; its outputs are " + names(c.outputs()));
            }
            return out.spec();
        }

        private static Component lookup(Map<String, Component> byName, String name, String where) {
            Component c = byName.get(name);
            if (c == null) {
                throw new GraphException(
                        Kind.UNKNOWN_COMPONENT,
                        where + ": no component named '" + name + "'; components are " + byName.keySet());
            }
            return c;
        }

        private static List<String> names(List<PortSpec> ports) {
            return ports.stream().map(PortSpec::name).collect(Collectors.toList());
        }

        /** Kahn's algorithm, stable in insertion order; on a cycle, names the components on it. */
        private List<Component> topologicalOrder(Map<String, Component> byName) {
            Map<String, Set<String>> deps = new LinkedHashMap<>();
            byName.keySet().forEach(n -> deps.put(n, new LinkedHashSet<>()));
            for (Wire w : wires) {
                if (!w.from().isGraphInput()) {
                    deps.get(w.to().component()).add(w.from().component());
                }
            }
            List<Component> order = new ArrayList<>();
            Set<String> done = new LinkedHashSet<>();
            boolean progress = true;
            while (progress && done.size() < byName.size()) {
                progress = false;
                for (Map.Entry<String, Set<String>> e : deps.entrySet()) {
                    if (!done.contains(e.getKey()) && done.containsAll(e.getValue())) {
                        done.add(e.getKey());
                        order.add(byName.get(e.getKey()));
                        progress = true;
                    }
                }
            }
            if (done.size() < byName.size()) {
                throw new GraphException(Kind.CYCLE, "the graph has a cycle: " + findCycle(deps, done)
                        + "; a component cannot depend on its own output — remove one of these wires");
            }
            return order;
        }

        private static String findCycle(Map<String, Set<String>> deps, Set<String> done) {
            String start = deps.keySet().stream().filter(n -> !done.contains(n)).findFirst().orElseThrow();
            Deque<String> path = new ArrayDeque<>();
            Set<String> onPath = new LinkedHashSet<>();
            String node = start;
            while (onPath.add(node)) {
                path.addLast(node);
                node = deps.get(node).stream().filter(d -> !done.contains(d)).findFirst().orElseThrow();
            }
            List<String> cycle = new ArrayList<>();
            boolean in = false;
            for (String n : path) {
                in |= n.equals(node);
                if (in) {
                    cycle.add(n);
                }
            }
            cycle.add(node);
            // deps point backwards (reader -> source); print in data-flow order
            Collections.reverse(cycle);
            return String.join(" -> ", cycle);
        }
    }
}
