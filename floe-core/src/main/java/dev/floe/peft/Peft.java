package dev.floe.peft;

import dev.floe.freeze.FreezeRule;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Host freezing, shared by the Java API and configs ({@code peft.freeze_host}): a LoRA module or
 * adapter injected with {@code freezeHost} true (the default of {@link Lora#inject} and
 * {@link Adapters#inject}) freezes, while it is active, the whole component that holds it.
 */
public final class Peft {

    private Peft() {}

    /**
     * The rules host freezing puts before a freeze policy's own rules: {@code freeze COMPONENT/**}
     * for each component, in graph order, that holds an active module injected with
     * {@code freezeHost} true. {@link dev.floe.freeze.FreezePolicy#resolve} applies them.
     *
     * @param graph the graph with its modules injected
     * @return the rules, empty when no active module freezes its host
     */
    public static List<FreezeRule> hostRules(ModelGraph graph) {
        Set<String> active = graph.activeAdapters();
        Set<String> hosts = new HashSet<>();
        for (PeftModule m : Targets.modules(graph).values()) {
            if (m.freezesHost() && active.contains(m.name()) && !m.merged()) {
                m.targets().forEach(t -> hosts.add(t.component()));
            }
        }
        return graph.components().stream().map(Component::name).filter(hosts::contains)
                .map(h -> FreezeRule.freeze(h + "/**")).toList();
    }
}
