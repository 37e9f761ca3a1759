package dev.floe.config;

import dev.floe.peft.AdapterSpec;
import dev.floe.peft.CompositionSpec;
import dev.floe.peft.LoraSpec;
import dev.floe.peft.PeftSpec;
import dev.floe.peft.PrefixSpec;
import dev.floe.peft.PromptSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code peft} section: named LoRA modules and bottleneck adapters injected into the built
 * graph, which of them are active, whether LoRA is merged into the base weights after training, and
 * whether injecting freezes the rest of the host components.
 *
 * <pre>{@code
 * peft:
 *   lora:
 *     - {name: qv, target: "encoder/**}{@code /attention/self/{query,value}", rank: 8, alpha: 16, dropout: 0.1}
 *   adapters:
 *     - {name: bottleneck, target: "encoder/**}{@code /output/dense", bottleneck: 32, activation: relu}
 *   prompts:
 *     - {name: soft, type: prompt, virtual_tokens: 16}            # target: every transformer encoder
 *     - {name: pfx, type: prefix, virtual_tokens: 10, target: encoder}
 *   compose:
 *     - {name: mix, type: fusion, members: [qv_task1, qv_task2]}
 *   active: [qv]        # default: every module
 *   merge: true         # fold the active LoRA modules into the base weights after training; default false
 *   freeze_host: true   # default true
 * }</pre>
 *
 * <p>Host freezing (PEFT's default): with {@code freeze_host: true}, every component that holds an
 * active module gets the rule {@code freeze COMPONENT/**} before the {@code policy} rules, so its base
 * weights are frozen while the modules and the other components train; a {@code train} rule in
 * {@code policy} trains part of it again (the last matching rule decides). The module parameters
 * themselves train while active whatever the rules say, and the base weights of a layer that holds
 * an active LoRA module stay frozen whatever the rules say.
 *
 * @param lora LoRA modules, injected in this order before the adapters; default none
 * @param adapters bottleneck adapters, injected after the LoRA modules; default none
 * @param prompts prompt and prefix tuning of transformer encoders, injected after the adapters; default none
 * @param compose compositions (stack, parallel, fusion) of the LoRA modules and adapters, made after all
 *     modules are injected; default none
 * @param active names of the modules that are on during training; default all
 * @param merge merge the active LoRA modules into the base weights when training ends; default false
 * @param freezeHost {@code freeze_host}: freeze the rest of each host component; default true
 */
public record PeftConfig(List<Lora> lora, List<Adapter> adapters, List<Prompt> prompts, List<Compose> compose,
        List<String> active, Boolean merge, Boolean freezeHost) {

    public PeftConfig {
        lora = Fields.list(lora);
        adapters = Fields.list(adapters);
        prompts = Fields.list(prompts);
        compose = Fields.list(compose);
        merge = merge != null && merge;
        freezeHost = freezeHost == null || freezeHost;
        if (lora.isEmpty() && adapters.isEmpty() && prompts.isEmpty()) {
            throw new IllegalArgumentException("peft declares no module; add lora: [{name: qv, target: \"encoder/**"
                    + "/attention/self/{query,value}\", rank: 8}], adapters: [...] or prompts: [...], or remove the"
                    + " peft section");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < lora.size(); i++) {
            if (lora.get(i) == null) {
                throw Fields.inside(List.of("lora", i), "lora entry " + i + " is empty; fill it in or remove it");
            }
            if (!names.add(lora.get(i).name())) {
                throw Fields.inside(List.of("lora", i, "name"), "two modules are named '" + lora.get(i).name()
                        + "'; names are unique across lora, adapters and prompts");
            }
        }
        for (int i = 0; i < adapters.size(); i++) {
            if (adapters.get(i) == null) {
                throw Fields.inside(List.of("adapters", i), "adapters entry " + i + " is empty; fill it in or remove it");
            }
            if (!names.add(adapters.get(i).name())) {
                throw Fields.inside(List.of("adapters", i, "name"), "two modules are named '" + adapters.get(i).name()
                        + "'; names are unique across lora and adapters");
            }
        }
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i) == null) {
                throw Fields.inside(List.of("prompts", i), "prompts entry " + i + " is empty; fill it in or remove it");
            }
            if (!names.add(prompts.get(i).name())) {
                throw Fields.inside(List.of("prompts", i, "name"), "two modules are named '" + prompts.get(i).name()
                        + "'; names are unique across lora, adapters and prompts");
            }
        }
        Set<String> composable = new LinkedHashSet<>();
        lora.forEach(l -> composable.add(l.name()));
        adapters.forEach(a -> composable.add(a.name()));
        Set<String> composed = new HashSet<>();
        for (int i = 0; i < compose.size(); i++) {
            Compose c = compose.get(i);
            if (c == null) {
                throw Fields.inside(List.of("compose", i), "compose entry " + i + " is empty; fill it in or remove it");
            }
            if (!names.add(c.name())) {
                throw Fields.inside(List.of("compose", i, "name"), "two modules or compositions are named '" + c.name()
                        + "'; names are unique across lora, adapters, prompts and compose");
            }
            for (int j = 0; j < c.members().size(); j++) {
                String m = c.members().get(j);
                if (!composable.contains(m)) {
                    throw Fields.inside(List.of("compose", i, "members", j), c.type() + " '" + c.name() + "' lists '" + m
                            + "' but the LoRA modules and adapters are " + composable.stream().toList()
                            + " (prompts and compositions cannot be members); fix the name");
                }
                if (!composed.add(m)) {
                    throw Fields.inside(List.of("compose", i, "members", j), c.type() + " '" + c.name() + "' lists '" + m
                            + "', which an earlier compose entry already holds; a module joins one composition");
                }
            }
        }
        if (active == null) {
            List<String> all = new ArrayList<>();
            lora.forEach(l -> all.add(l.name()));
            adapters.forEach(a -> all.add(a.name()));
            prompts.forEach(p -> all.add(p.name()));
            compose.forEach(c -> all.add(c.name()));
            active = List.copyOf(all);
        } else {
            active = Fields.list(active);
            if (active.isEmpty()) {
                throw Fields.bad("active", "active is empty, so no module would train; list the modules to train, or"
                        + " remove the key to make them all active");
            }
            Set<String> seen = new LinkedHashSet<>();
            for (int i = 0; i < active.size(); i++) {
                String a = active.get(i);
                if (a == null || !names.contains(a)) {
                    throw Fields.inside(List.of("active", i), "active names '" + a + "', but the modules are "
                            + names.stream().sorted().toList() + "; fix the name");
                }
                if (!seen.add(a)) {
                    throw Fields.inside(List.of("active", i), "active lists '" + a + "' twice; list each once");
                }
            }
        }
        List<String> on = active;
        if (merge) {
            for (Lora l : lora) {
                if (on.contains(l.name()) && composed.contains(l.name())) {
                    throw Fields.bad("merge", "merge is true but LoRA '" + l.name() + "' is a member of a compose entry,"
                            + " whose order and weights merging would change; remove merge or take it out of compose");
                }
            }
        }
        if (merge && lora.stream().noneMatch(l -> on.contains(l.name()))) {
            throw Fields.bad("merge", "merge is true but no LoRA module is active (adapters cannot be merged: they"
                    + " are nonlinear); remove merge or make a LoRA module active");
        }
    }

    /** A module name that can be a path segment and a target glob that compiles, each reported at its key. */
    private static void checkNameAndTarget(String kind, String name, String target) {
        if (!name.matches("[A-Za-z0-9_\\-]+")) {
            throw Fields.inside(List.of("name"), kind + " name '" + name + "' is not allowed; use letters, digits, '_'"
                    + " or '-' (it becomes a path segment such as encoder/layer.0/attention/self/query/" + kind + "/NAME)");
        }
        try {
            dev.floe.graph.PathGlob.compile(target);
        } catch (IllegalArgumentException e) {
            throw Fields.inside(List.of("target"), e.getMessage() + "; target is a glob over Linear layer paths, e.g."
                    + " \"encoder/**/attention/self/{query,value}\"");
        }
    }

    /**
     * One LoRA module: {@code y = x Wᵀ + b + (alpha / rank) · dropout(x) Aᵀ Bᵀ} on every Linear layer
     * whose path matches {@code target}.
     *
     * @param name unique across lora and adapters; letters, digits, '_' and '-'; required
     * @param target glob over Linear layer paths, e.g. {@code encoder/**}{@code /attention/self/{query,value}}; required
     * @param rank r, at least 1 and at most the smaller size of every targeted layer; required
     * @param alpha the update is scaled by {@code alpha / rank}; default {@code rank} (scale 1)
     * @param dropout on the LoRA branch's input while it trains, in [0, 1); default 0
     */
    public record Lora(String name, String target, Integer rank, Double alpha, Double dropout) {
        public Lora {
            Fields.required().key("name", name).key("target", target).key("rank", rank)
                    .check("{name: qv, target: \"encoder/**/attention/self/{query,value}\", rank: 8, alpha: 16}");
            Fields.positive("rank", rank);
            alpha = alpha == null ? (double) rank : alpha;
            Fields.positive("alpha", alpha, "alpha = rank gives scale 1; PEFT setups often use 2 · rank");
            dropout = dropout == null ? 0.0 : dropout;
            Fields.unitInterval("dropout", dropout);
            checkNameAndTarget("lora", name, target);
            toSpec(name, target, rank, alpha, dropout);
        }

        private static LoraSpec toSpec(String name, String target, int rank, double alpha, double dropout) {
            return new LoraSpec(name, rank, alpha, dropout, target);
        }

        /** The spec to inject. */
        public LoraSpec toSpec() {
            return toSpec(name, target, rank, alpha, dropout);
        }
    }

    /**
     * One serial bottleneck adapter: {@code y' = y + up(act(down(y)))} after every Linear layer whose
     * path matches {@code target}.
     *
     * @param name unique across lora and adapters; letters, digits, '_' and '-'; required
     * @param target glob over Linear layer paths, e.g. {@code encoder/**}{@code /{attention/output/dense,output/dense}}; required
     * @param bottleneck hidden width, at least 1 and at most every targeted layer's output width; required
     * @param activation {@code relu} (default) or {@code gelu}
     */
    public record Adapter(String name, String target, Integer bottleneck, String activation) {
        public Adapter {
            Fields.required().key("name", name).key("target", target).key("bottleneck", bottleneck)
                    .check("{name: bottleneck, target: \"encoder/**/output/dense\", bottleneck: 32}");
            Fields.positive("bottleneck", bottleneck);
            activation = activation == null ? "relu" : activation;
            try {
                AdapterSpec.Activation.parse(activation);
            } catch (IllegalArgumentException e) {
                throw Fields.bad("activation", "activation must be relu or gelu, found '" + activation + "'");
            }
            checkNameAndTarget("adapter", name, target);
            toSpec(name, target, bottleneck, activation);
        }

        private static AdapterSpec toSpec(String name, String target, int bottleneck, String activation) {
            return new AdapterSpec(name, bottleneck, target, AdapterSpec.Activation.parse(activation));
        }

        /** The spec to inject. */
        public AdapterSpec toSpec() {
            return toSpec(name, target, bottleneck, activation);
        }
    }

    /**
     * Prompt tuning ({@code type: prompt}: {@code virtual_tokens} trained embeddings before every
     * input) or prefix tuning ({@code type: prefix}: {@code virtual_tokens} trained key/value
     * positions before every layer's own) of the transformer encoders whose component name matches
     * {@code target}.
     *
     * @param name unique across lora, adapters and prompts; letters, digits, '_' and '-'; required
     * @param type {@code prompt} or {@code prefix}; required
     * @param virtualTokens {@code virtual_tokens}: N virtual tokens or P prefix positions, at least 1; required
     * @param target glob over component names; default {@code *} (every transformer encoder)
     */
    public record Prompt(String name, String type, Integer virtualTokens, String target) {

        /** The default target: every transformer encoder. */
        public static final String ANY = "*";

        public Prompt {
            Fields.required().key("name", name).key("type", type).key("virtual_tokens", virtualTokens)
                    .check("{name: soft, type: prompt, virtual_tokens: 16}");
            if (!type.equals("prompt") && !type.equals("prefix")) {
                throw Fields.inside(List.of("type"), "type must be prompt (virtual tokens at the input) or prefix (key/value"
                        + " prefixes in every layer), found '" + type + "'");
            }
            Fields.positive("virtual_tokens", virtualTokens);
            target = target == null ? ANY : target;
            if (!name.matches("[A-Za-z0-9_\\-]+")) {
                throw Fields.inside(List.of("name"), type + " name '" + name + "' is not allowed; use letters, digits,"
                        + " '_' or '-' (it becomes a path segment such as encoder/embeddings/prompt/NAME)");
            }
            try {
                dev.floe.graph.PathGlob.compile(target);
            } catch (IllegalArgumentException e) {
                throw Fields.inside(List.of("target"), e.getMessage() + "; target is a glob over component names,"
                        + " e.g. encoder");
            }
        }

        /**
         * {@return the spec to inject: a {@link PromptSpec} or a {@link PrefixSpec}}
         */
        public PeftSpec toSpec() {
            return type.equals("prompt") ? new PromptSpec(name, virtualTokens, target)
                    : new PrefixSpec(name, virtualTokens, target);
        }
    }

    /**
     * A composition of LoRA modules and adapters that sit on the same layers (see
     * {@link CompositionSpec} for the definitions).
     *
     * @param name unique across lora, adapters, prompts and compose; required
     * @param type {@code stack}, {@code parallel} or {@code fusion}; required
     * @param members at least two names of {@code lora} or {@code adapters} entries, in order; required
     */
    public record Compose(String name, String type, List<String> members) {
        public Compose {
            Fields.required().key("name", name).key("type", type).key("members", members)
                    .check("{name: mix, type: fusion, members: [task1, task2]}");
            try {
                CompositionSpec.Kind.parse(type);
            } catch (IllegalArgumentException e) {
                throw Fields.inside(List.of("type"), "type must be stack, parallel or fusion, found '" + type + "'");
            }
            members = Fields.list(members);
            try {
                toSpec(name, type, members);
            } catch (IllegalArgumentException e) {
                throw Fields.inside(List.of("members"), e.getMessage());
            }
        }

        private static CompositionSpec toSpec(String name, String type, List<String> members) {
            return new CompositionSpec(name, CompositionSpec.Kind.parse(type), members);
        }

        /**
         * {@return the composition to make}
         */
        public CompositionSpec toSpec() {
            return toSpec(name, type, members);
        }
    }
}
