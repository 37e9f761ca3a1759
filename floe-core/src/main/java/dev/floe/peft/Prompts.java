package dev.floe.peft;

import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ModelGraph;
import java.util.List;
import java.util.Map;

/**
 * Injects prompt tuning ({@link PromptSpec}) and prefix tuning ({@link PrefixSpec}) into the
 * transformer encoders of a built graph and switches them by name.
 *
 * <p>Parameters (kind ADAPTER, owned by the module's name): a prompt module has
 * {@code <encoder>/embeddings/prompt/<name>/tokens (N, H)}; a prefix module has, for every layer i,
 * {@code <encoder>/layer.i/attention/self/prefix/<name>/key (P, H)} and {@code .../value (P, H)}.
 * Like LoRA and adapters they train while active, share the name space of all PEFT modules, switch
 * through {@link ModelGraph#activeAdapters()} and save with {@link PeftIo}. While active, a module
 * injected with {@code freezeHost} true freezes its whole encoder (the same host rule as LoRA).
 *
 * <p>Several active prompt modules put their virtual tokens one after the other, in injection order;
 * several prefix modules concatenate their prefixes likewise. A prefix module can be routed per
 * row ({@link Routing}); a prompt module cannot (its tokens shift every real token's position).
 *
 * <p>Not thread-safe, like the graph.
 */
public final class Prompts {

    private Prompts() {}

    /**
     * Attaches prompt tuning to every transformer encoder whose name matches {@code spec.target()}
     * and makes it active, freezing the encoder while it is active. Everything is checked before a
     * parameter is created, so a failed call leaves the graph unchanged.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @param freezeHost true (PEFT's default): freeze the rest of each encoder while the module is active
     * @return the module paths it is attached to ({@code <encoder>/embeddings})
     * @throws IllegalArgumentException when the target matches no transformer encoder, the virtual
     *     tokens leave no position for real tokens, or the name is taken
     */
    public static List<String> inject(ModelGraph graph, PromptSpec spec, boolean freezeHost) {
        List<TransformerEncoder> encoders = Encoders.resolve(graph, spec);
        Map<String, long[]> planned = PromptModule.plan(spec, encoders);
        Targets.checkFree(graph, spec, List.of(), planned.keySet());
        return finish(graph, spec, freezeHost, PromptModule.create(graph, spec, encoders));
    }

    /**
     * Attaches prefix tuning to every layer of every transformer encoder whose name matches
     * {@code spec.target()} and makes it active, freezing the encoder while it is active.
     * Everything is checked before a parameter is created, so a failed call leaves the graph
     * unchanged.
     *
     * @param graph the built graph
     * @param spec what to attach and where
     * @param freezeHost true (PEFT's default): freeze the rest of each encoder while the module is active
     * @return the module paths it is attached to ({@code <encoder>/layer.i/attention/self})
     * @throws IllegalArgumentException when the target matches no transformer encoder or the name is taken
     */
    public static List<String> inject(ModelGraph graph, PrefixSpec spec, boolean freezeHost) {
        List<TransformerEncoder> encoders = Encoders.resolve(graph, spec);
        Map<String, long[]> planned = PrefixModule.plan(spec, encoders);
        Targets.checkFree(graph, spec, List.of(), planned.keySet());
        return finish(graph, spec, freezeHost, PrefixModule.create(graph, spec, encoders));
    }

    private static List<String> finish(ModelGraph graph, PeftSpec spec, boolean freezeHost, PeftModule module) {
        if (freezeHost) {
            graph.hostFreezingAdapters().add(spec.name());
        }
        graph.activeAdapters().add(spec.name());
        return module.layers();
    }

    /**
     * Switches the named prompt or prefix module on.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no prompt or prefix module has that name
     */
    public static void activate(ModelGraph graph, String name) {
        find(graph, name);
        graph.activeAdapters().add(name);
    }

    /**
     * Switches the named prompt or prefix module off; its parameters stay attached.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @throws IllegalArgumentException if no prompt or prefix module has that name
     */
    public static void deactivate(ModelGraph graph, String name) {
        find(graph, name);
        graph.activeAdapters().remove(name);
    }

    /**
     * The module paths the named prompt or prefix module is attached to.
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return {@code <encoder>/embeddings} for a prompt, {@code <encoder>/layer.i/attention/self} for a prefix
     * @throws IllegalArgumentException if no prompt or prefix module has that name
     */
    public static List<String> layers(ModelGraph graph, String name) {
        return find(graph, name).layers();
    }

    private static PeftModule find(ModelGraph graph, String name) {
        Map<String, PeftModule> all = Targets.modules(graph);
        PeftModule m = all.get(name);
        if (m instanceof PromptModule || m instanceof PrefixModule) {
            return m;
        }
        throw new IllegalArgumentException(m == null
                ? "no prompt or prefix module named '" + name + "' is attached to this graph; attached are "
                        + Targets.describe(all) + "; inject it first"
                : "'" + name + "' is a " + m.spec().kind() + " module, not prompt or prefix tuning; use "
                        + (m instanceof LoraModule ? "Lora" : "Adapters") + " to switch it");
    }
}
