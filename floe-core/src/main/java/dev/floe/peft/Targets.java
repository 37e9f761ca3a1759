package dev.floe.peft;

import dev.floe.graph.PathGlob;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Layer;
import dev.floe.nn.Linear;
import dev.floe.nn.LinearDelta;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Where modules go and where injected ones are: glob resolution and lookup by name. */
final class Targets {

    /** How many Linear paths an error about an unmatched glob lists. */
    private static final int NEARBY = 6;

    private Targets() {}

    /** Checks a spec against the targets and lists the parameters it would make, by path, with their shapes. */
    interface Planner<S extends PeftSpec> {
        Map<String, long[]> plan(S spec, List<Target> targets);
    }

    /** Creates and attaches a module; called only after planning succeeded and the name was found free. */
    interface Creator<S extends PeftSpec> {
        PeftModule create(ModelGraph graph, S spec, List<Target> targets);
    }

    /**
     * The injection every kind of module shares: resolve the targets, plan and check everything
     * before any parameter is created (a failed call leaves the graph unchanged), create, activate.
     *
     * @return the module paths of the layers it was attached to, in graph order
     */
    static <S extends PeftSpec> List<String> inject(ModelGraph graph, S spec, boolean freezeHost, Planner<S> planner,
            Creator<S> creator) {
        List<Target> targets = resolve(graph, spec);
        Map<String, long[]> planned = planner.plan(spec, targets);
        checkFree(graph, spec, targets, planned.keySet());
        creator.create(graph, spec, targets);
        if (freezeHost) {
            graph.hostFreezingAdapters().add(spec.name());
        }
        graph.activeAdapters().add(spec.name());
        return paths(targets);
    }

    /** The attached modules of one kind, their specs by name (active or not). */
    static <M extends PeftModule, S extends PeftSpec> Map<String, S> attached(ModelGraph graph, Class<M> kind,
            Class<S> specType) {
        Map<String, S> out = new java.util.LinkedHashMap<>();
        for (PeftModule m : modules(graph).values()) {
            if (kind.isInstance(m)) {
                out.put(m.name(), specType.cast(m.spec()));
            }
        }
        return out;
    }

    /**
     * Every Linear in every component whose module path matches the spec's glob, in graph order.
     *
     * @throws IllegalArgumentException naming the glob and the Linear paths closest to it when
     *     nothing matches
     */
    static List<Target> resolve(ModelGraph graph, PeftSpec spec) {
        PathGlob glob = PathGlob.compile(spec.target());
        List<Target> found = new ArrayList<>();
        List<String> all = new ArrayList<>();
        for (Component c : graph.components()) {
            for (Layer layer : c.layers().values()) {
                if (layer instanceof Linear linear) {
                    all.add(linear.path());
                    if (glob.matches(linear.path())) {
                        found.add(new Target(c.name(), linear));
                    }
                }
            }
        }
        if (found.isEmpty()) {
            String hint = all.isEmpty()
                    ? "the graph has no Linear layers"
                    : "Linear layers nearest to it: " + nearest(spec.target(), all)
                            + (all.size() > NEARBY ? " (" + all.size() + " in all)" : "");
            throw new IllegalArgumentException(
                    spec.kind() + " '" + spec.name() + "': target '" + spec.target()
                            + "' matches no Linear layer; " + hint + "; fix the glob");
        }
        return found;
    }

    private static List<String> nearest(String glob, List<String> paths) {
        String literal = glob.replace("*", "");
        return dev.floe.graph.PathGlob.nearest(literal, paths, NEARBY);
    }


    /** Injected modules by name, in graph order of their first layer. */
    static Map<String, PeftModule> modules(ModelGraph graph) {
        Map<String, PeftModule> out = new LinkedHashMap<>();
        for (Component c : graph.components()) {
            for (Layer layer : c.layers().values()) {
                if (layer instanceof Linear linear) {
                    for (LinearDelta d : linear.deltas()) {
                        if (d instanceof PeftModule.Delta pd) {
                            out.putIfAbsent(pd.module().name(), pd.module());
                        } else if (d instanceof ComposedLayer composed) {
                            composed.members().forEach(m -> out.putIfAbsent(m.module().name(), m.module()));
                        }
                    }
                }
            }
            if (c instanceof dev.floe.components.TransformerEncoder enc) {
                for (dev.floe.components.EncoderExtension e : enc.extensions()) {
                    if (e instanceof PeftModule.Extension pe) {
                        out.putIfAbsent(pe.module().name(), pe.module());
                    }
                }
            }
        }
        return out;
    }

    /**
     * The module with this name, of the wanted kind.
     *
     * @throws IllegalArgumentException listing the attached names when there is none, or saying
     *     which class to use when it is of the other kind
     */
    static <M extends PeftModule> M find(ModelGraph graph, String name, Class<M> kind) {
        Map<String, PeftModule> all = modules(graph);
        PeftModule m = all.get(name);
        String word = word(kind);
        if (m == null) {
            throw new IllegalArgumentException(
                    "no " + word + " named '" + name + "' is attached to this graph; attached are "
                            + describe(all) + "; inject it first");
        }
        if (!kind.isInstance(m)) {
            throw new IllegalArgumentException(
                    "'" + name + "' is " + (m instanceof LoraModule ? "a LoRA module, use Lora"
                            : m instanceof DoraModule ? "a DoRA module, use Dora"
                            : m instanceof Ia3Module ? "an IA3 module, use Ia3"
                            : m instanceof AdapterModule ? "an adapter, use Adapters"
                            : "a " + m.spec().kind() + " module, use Prompts")
                            + " to switch or merge it");
        }
        return kind.cast(m);
    }

    /** How messages name a module class: {@code LoRA module}, {@code adapter}, {@code DoRA module}, {@code IA3 module}. */
    static String word(Class<? extends PeftModule> kind) {
        if (kind == LoraModule.class) {
            return "LoRA module";
        }
        if (kind == DoraModule.class) {
            return "DoRA module";
        }
        if (kind == Ia3Module.class) {
            return "IA3 module";
        }
        if (kind == AdapterModule.class) {
            return "adapter";
        }
        return "PEFT module";
    }

    /**
     * Fails when the name is taken by a LoRA module or adapter, a target layer already has a delta
     * of that name, or a planned parameter path exists; so that creation afterwards cannot fail
     * half-way.
     */
    static void checkFree(ModelGraph graph, PeftSpec spec, List<Target> targets, Set<String> plannedPaths) {
        PeftModule existing = modules(graph).get(spec.name());
        if (existing != null) {
            throw new IllegalArgumentException(
                    spec.kind() + " '" + spec.name() + "': the name is already used by the " + existing.spec().kind()
                            + " attached to " + existing.layers()
                            + "; names are unique across LoRA modules and adapters — choose another name");
        }
        if (Composition.attached(graph).containsKey(spec.name())) {
            throw new IllegalArgumentException(
                    spec.kind() + " '" + spec.name() + "': the name is already used by a composition; names are unique"
                            + " across PEFT modules and compositions — choose another name");
        }
        for (Target t : targets) {
            for (LinearDelta d : t.linear().deltas()) {
                if (d.name().equals(spec.name())) {
                    throw new IllegalArgumentException(
                            spec.kind() + " '" + spec.name() + "': layer " + t.path()
                                    + " already has a delta of that name; choose another name");
                }
            }
        }
        Map<String, ?> params = graph.parameters();
        for (String path : plannedPaths) {
            if (params.containsKey(path)) {
                throw new IllegalArgumentException(
                        spec.kind() + " '" + spec.name() + "': parameter " + path
                                + " already exists; choose another name");
            }
        }
    }

    /** {@code [a (lora), b (adapter)]} or {@code none}. */
    static String describe(Map<String, PeftModule> all) {
        if (all.isEmpty()) {
            return "none";
        }
        return all.values().stream().map(m -> m.name() + " (" + m.spec().kind() + ")").toList().toString();
    }

    static List<String> paths(List<Target> targets) {
        return targets.stream().map(Target::path).toList();
    }

    /** The scope {@code <linear path>/<segment>/<name>} owned by the graph. */
    static ParamScope scope(ModelGraph graph, Target target, String segment, String name) {
        ParamScope scope = graph.extend(target.component());
        String rest = target.path().substring(target.component().length());
        for (String part : rest.split("/")) {
            if (!part.isEmpty()) {
                scope = scope.child(part);
            }
        }
        return scope.child(segment).child(name);
    }
}
