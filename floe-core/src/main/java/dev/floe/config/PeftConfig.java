package dev.floe.config;

import dev.floe.peft.AdapterSpec;
import dev.floe.peft.DoraSpec;
import dev.floe.peft.Ia3Spec;
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
 *     - {name: dq, type: dora, target: "encoder/**}{@code /intermediate/dense", rank: 4}
 *   ia3:
 *     - {name: kv, target: "encoder/*}{@code /{attention/self/{key,value},output/dense}", feedforward: "encoder/*}{@code /output/dense"}
 *   adapters:
 *     - {name: bottleneck, target: "encoder/**}{@code /output/dense", bottleneck: 32, activation: relu}
 *   prompts:
 *     - {name: soft, type: prompt, virtual_tokens: 16}            # target: every transformer encoder
 *     - {name: pfx, type: prefix, virtual_tokens: 10, target: encoder}
 *   load:
 *     - {name: task1, file: adapters/task1.safetensors}   # frozen unless trainable: true
 *   merge_lora:
 *     - {name: both, from: [task1, qv], weights: [0.5, 0.5], method: svd, rank: 8}
 *   compose:
 *     - {name: mix, type: fusion, members: [qv_task1, qv_task2]}
 *   active: [qv]        # default: every module
 *   merge: true         # fold the active LoRA, DoRA and IA3 modules into the weights after training; default false
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
 * @param lora LoRA and DoRA modules ({@code type}), injected in this order before the adapters; default none
 * @param adapters bottleneck adapters, injected after the LoRA modules; default none
 * @param prompts prompt and prefix tuning of transformer encoders, injected after the adapters; default none
 * @param compose compositions (stack, parallel, fusion) of the LoRA modules and adapters, made after all
 *     modules are injected; default none
 * @param active names of the modules that are on during training; default all
 * @param merge merge the active LoRA, DoRA and IA3 modules into the base weights when training ends;
 *     default false
 * @param freezeHost {@code freeze_host}: freeze the rest of each host component; default true
 * @param ia3 IA3 modules, injected after the adapters; default none
 * @param load modules trained earlier, loaded from adapter files or PEFT folders before the declared
 *     modules are injected; frozen (left out of the default {@code active}) unless {@code trainable: true};
 *     default none
 * @param mergeLora {@code merge_lora}: new LoRA modules merged from loaded or declared LoRA modules, made
 *     after the prompts and before the compositions; default none
 */
public record PeftConfig(List<Lora> lora, List<Adapter> adapters, List<Prompt> prompts, List<Compose> compose,
        List<String> active, Boolean merge, Boolean freezeHost, List<Ia3> ia3, List<Load> load,
        List<MergeLora> mergeLora) {

    /**
     * Fills the defaults and checks names, {@code active} and {@code merge}.
     *
     * @param lora see the class comment
     * @param adapters see the class comment
     * @param prompts see the class comment
     * @param compose see the class comment
     * @param active see the class comment
     * @param merge see the class comment
     * @param freezeHost see the class comment
     * @param ia3 see the class comment
     * @param load see the class comment
     * @param mergeLora see the class comment
     */
    public PeftConfig {
        lora = Fields.list(lora);
        load = Fields.list(load);
        mergeLora = Fields.list(mergeLora);
        adapters = Fields.list(adapters);
        ia3 = Fields.list(ia3);
        prompts = Fields.list(prompts);
        compose = Fields.list(compose);
        merge = merge != null && merge;
        freezeHost = freezeHost == null || freezeHost;
        if (lora.isEmpty() && adapters.isEmpty() && ia3.isEmpty() && prompts.isEmpty() && load.isEmpty()) {
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
        for (int i = 0; i < ia3.size(); i++) {
            if (ia3.get(i) == null) {
                throw Fields.inside(List.of("ia3", i), "ia3 entry " + i + " is empty; fill it in or remove it");
            }
            if (!names.add(ia3.get(i).name())) {
                throw Fields.inside(List.of("ia3", i, "name"), "two modules are named '" + ia3.get(i).name()
                        + "'; names are unique across lora, adapters and ia3");
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
        for (int i = 0; i < load.size(); i++) {
            if (load.get(i) == null) {
                throw Fields.inside(List.of("load", i), "load entry " + i + " is empty; fill it in or remove it");
            }
            if (!names.add(load.get(i).name())) {
                throw Fields.inside(List.of("load", i, "name"), "load entry " + i + " is named '" + load.get(i).name()
                        + "' but another peft entry already has that name; names are unique across lora, adapters,"
                        + " ia3, prompts, load, merge_lora and compose — load it under another name");
            }
        }
        Set<String> loraSources = new LinkedHashSet<>();
        lora.stream().filter(l -> !l.dora()).forEach(l -> loraSources.add(l.name()));
        load.forEach(l -> loraSources.add(l.name()));
        for (int i = 0; i < mergeLora.size(); i++) {
            MergeLora m = mergeLora.get(i);
            if (m == null) {
                throw Fields.inside(List.of("merge_lora", i), "merge_lora entry " + i + " is empty; fill it in or remove it");
            }
            for (int j = 0; j < m.from().size(); j++) {
                String f = m.from().get(j);
                if (!loraSources.contains(f)) {
                    throw Fields.inside(List.of("merge_lora", i, "from", j), "merge_lora '" + m.name() + "' lists '" + f
                            + "', " + (names.contains(f) ? "which is not a LoRA module (DoRA, IA3, adapters and prompts"
                                    + " cannot be merged this way)" : "which is no peft module")
                            + "; expected one of the LoRA modules of lora, load or an earlier merge_lora "
                            + loraSources.stream().toList());
                }
            }
            if (!names.add(m.name())) {
                throw Fields.inside(List.of("merge_lora", i, "name"), "two modules are named '" + m.name()
                        + "'; names are unique across lora, adapters, ia3, prompts, load, merge_lora and compose");
            }
            loraSources.add(m.name());
        }
        Set<String> composable = new LinkedHashSet<>();
        lora.forEach(l -> composable.add(l.name()));
        adapters.forEach(a -> composable.add(a.name()));
        load.forEach(l -> composable.add(l.name()));
        mergeLora.forEach(m -> composable.add(m.name()));
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
            ia3.forEach(a -> all.add(a.name()));
            prompts.forEach(p -> all.add(p.name()));
            load.stream().filter(Load::trainable).forEach(l -> all.add(l.name()));
            mergeLora.forEach(m -> all.add(m.name()));
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
                for (Load l : load) {
                    if (l.name().equals(a) && !l.trainable()) {
                        throw Fields.inside(List.of("active", i), "active lists '" + a + "', a loaded module that is"
                                + " frozen (an active module trains); set trainable: true on its load entry, or leave"
                                + " it out of active (as a compose member it still applies, frozen)");
                    }
                }
            }
        }
        List<String> on = active;
        if (merge) {
            List<String> mergeable = new ArrayList<>();
            lora.forEach(l -> mergeable.add(l.name()));
            load.forEach(l -> mergeable.add(l.name()));
            mergeLora.forEach(m -> mergeable.add(m.name()));
            for (String l : mergeable) {
                if (on.contains(l) && composed.contains(l)) {
                    throw Fields.bad("merge", "merge is true but LoRA '" + l + "' is a member of a compose entry,"
                            + " whose order and weights merging would change; remove merge or take it out of compose");
                }
            }
        }
        if (merge && lora.stream().noneMatch(l -> on.contains(l.name())) && ia3.stream().noneMatch(l -> on.contains(l.name()))
                && load.stream().noneMatch(l -> on.contains(l.name()))
                && mergeLora.stream().noneMatch(m -> on.contains(m.name()))) {
            throw Fields.bad("merge", "merge is true but no LoRA module is active (adapters cannot be merged: they"
                    + " are nonlinear); remove merge or make a LoRA, DoRA or IA3 module active");
        }
    }

    /** A bad value at {@code key} of the entry of module {@code name}: the message names the module. */
    private static Fields.FieldException bad(String kind, String name, String key, String message) {
        return Fields.inside(List.of(key), kind + " '" + name + "': " + message);
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
     * whose path matches {@code target}; with {@code type: dora}, a DoRA module: the same low-rank
     * update on the direction of W plus a trained magnitude per output unit (see {@link DoraSpec}).
     *
     * @param name unique across lora and adapters; letters, digits, '_' and '-'; required
     * @param target glob over Linear layer paths, e.g. {@code encoder/**}{@code /attention/self/{query,value}}; required
     * @param rank r, at least 1 and at most the smaller size of every targeted layer; required
     * @param alpha the update is scaled by {@code alpha / rank}; default {@code rank} (scale 1)
     * @param dropout on the LoRA branch's input while it trains, in [0, 1); default 0
     * @param type {@code lora} (default) or {@code dora}
     */
    public record Lora(String name, String target, Integer rank, Double alpha, Double dropout, String type) {

        /**
         * Fills the defaults and checks every key.
         *
         * @param name see the class comment
         * @param target see the class comment
         * @param rank see the class comment
         * @param alpha see the class comment
         * @param dropout see the class comment
         * @param type see the class comment
         */
        public Lora {
            Fields.required().key("name", name).key("target", target).key("rank", rank)
                    .check("{name: qv, target: \"encoder/**/attention/self/{query,value}\", rank: 8, alpha: 16}");
            String kind = type == null ? "lora" : type;
            if (rank < 1) {
                throw bad(kind, name, "rank", "rank must be a positive integer, found " + rank
                        + "; set it to the size of the low-rank update, typically 4 to 16");
            }
            alpha = alpha == null ? (double) rank : alpha;
            if (!(alpha > 0) || Double.isInfinite(alpha)) {
                throw bad(kind, name, "alpha", "alpha must be a finite number > 0, found " + alpha
                        + "; alpha = rank gives scale 1; PEFT setups often use 2 · rank");
            }
            dropout = dropout == null ? 0.0 : dropout;
            if (!(dropout >= 0 && dropout < 1)) {
                throw bad(kind, name, "dropout", "dropout must be in [0, 1), found " + dropout
                        + "; 0 turns it off, 0.05 to 0.1 is usual");
            }
            type = kind;
            if (!type.equals("lora") && !type.equals("dora")) {
                throw Fields.bad("type", "type must be lora or dora, found '" + type + "'; ia3 modules go under"
                        + " peft.ia3, bottleneck adapters under peft.adapters");
            }
            checkNameAndTarget(type, name, target);
            if (type.equals("dora")) {
                new DoraSpec(name, rank, alpha, dropout, target);
            } else {
                new LoraSpec(name, rank, alpha, dropout, target);
            }
        }

        /** {@return true for {@code type: dora}} */
        public boolean dora() {
            return type.equals("dora");
        }

        /**
         * The spec to inject for {@code type: lora}.
         *
         * @return the LoRA spec
         * @throws IllegalStateException for {@code type: dora} (use {@link #toDoraSpec()})
         */
        public LoraSpec toSpec() {
            if (dora()) {
                throw new IllegalStateException("peft.lora entry '" + name + "' is type dora; use toDoraSpec()");
            }
            return new LoraSpec(name, rank, alpha, dropout, target);
        }

        /**
         * The spec to inject for {@code type: dora}.
         *
         * @return the DoRA spec
         * @throws IllegalStateException for {@code type: lora} (use {@link #toSpec()})
         */
        public DoraSpec toDoraSpec() {
            if (!dora()) {
                throw new IllegalStateException("peft.lora entry '" + name + "' is type lora; use toSpec()");
            }
            return new DoraSpec(name, rank, alpha, dropout, target);
        }
    }

    /**
     * One IA3 module: trained scaling vectors, starting at 1, on every Linear layer whose path
     * matches {@code target} — the output of each, except the layers {@code feedforward} matches,
     * whose input is scaled (see {@link Ia3Spec}).
     *
     * @param name unique across lora, adapters and ia3; letters, digits, '_' and '-'; required
     * @param target glob over Linear layer paths, e.g.
     *     {@code encoder/*}{@code /{attention/self/{key,value},output/dense}}; required
     * @param feedforward glob over the targeted layers whose input is scaled, e.g.
     *     {@code encoder/*}{@code /output/dense}; default none (every targeted layer's output is scaled)
     */
    public record Ia3(String name, String target, String feedforward) {

        /**
         * Fills the default and checks every key.
         *
         * @param name see the class comment
         * @param target see the class comment
         * @param feedforward see the class comment
         */
        public Ia3 {
            Fields.required().key("name", name).key("target", target)
                    .check("{name: kv, target: \"encoder/*/{attention/self/{key,value},output/dense}\","
                            + " feedforward: \"encoder/*/output/dense\"}");
            feedforward = feedforward == null ? "" : feedforward;
            checkNameAndTarget("ia3", name, target);
            if (!feedforward.isBlank()) {
                try {
                    dev.floe.graph.PathGlob.compile(feedforward);
                } catch (IllegalArgumentException e) {
                    throw Fields.inside(List.of("feedforward"), e.getMessage() + "; feedforward is a glob over the"
                            + " targeted layers whose input is scaled, e.g. \"encoder/*/output/dense\"");
                }
            }
            new Ia3Spec(name, target, feedforward);
        }

        /**
         * The spec to inject.
         *
         * @return the IA3 spec
         */
        public Ia3Spec toSpec() {
            return new Ia3Spec(name, target, feedforward);
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
        /**
         * Fills in the defaults of absent keys and checks the values; a bad value throws an
         * exception naming its YAML key, what was expected and what was found.
         *
         * @param name unique across lora and adapters; letters, digits, '_' and '-'; required
         * @param target glob over Linear layer paths, e.g. {@code encoder/**}{@code
         *     /{attention/output/dense,output/dense}}; required
         * @param bottleneck hidden width, at least 1 and at most every targeted layer's output
         *     width; required
         * @param activation {@code relu} (default) or {@code gelu}
         */
        public Adapter {
            Fields.required().key("name", name).key("target", target).key("bottleneck", bottleneck)
                    .check("{name: bottleneck, target: \"encoder/**/output/dense\", bottleneck: 32}");
            if (bottleneck < 1) {
                throw bad("adapter", name, "bottleneck", "bottleneck must be a positive integer, found " + bottleneck
                        + "; set it to the adapter's hidden width, e.g. 16 to 64");
            }
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

        /**
         * The spec to inject.
         *
         * @return the adapter spec
         */
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

        /**
         * Fills in the default {@code target} and checks every key; a bad value throws an exception
         * naming its YAML key, the module, what was expected and what was found.
         *
         * @param name unique across lora, adapters and prompts; letters, digits, '_' and '-'; required
         * @param type {@code prompt} or {@code prefix}; required
         * @param virtualTokens {@code virtual_tokens}, at least 1; required
         * @param target glob over component names; null means {@link #ANY}
         */
        public Prompt {
            Fields.required().key("name", name).key("type", type).key("virtual_tokens", virtualTokens)
                    .check("{name: soft, type: prompt, virtual_tokens: 16}");
            if (!type.equals("prompt") && !type.equals("prefix")) {
                throw Fields.inside(List.of("type"), "type must be prompt (virtual tokens at the input) or prefix (key/value"
                        + " prefixes in every layer), found '" + type + "'");
            }
            if (virtualTokens < 1) {
                throw bad(type, name, "virtual_tokens", "virtual_tokens must be a positive integer, found "
                        + virtualTokens + "; " + (type.equals("prompt") ? "8 to 20 virtual tokens are usual"
                                : "10 to 20 prefix positions are usual"));
            }
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
        /**
         * Checks every key and that the members form a valid {@link CompositionSpec}; a bad value
         * throws an exception naming its YAML key ({@code type} or {@code members}), the composition,
         * what was expected and what was found.
         *
         * @param name unique across lora, adapters, prompts and compose; required
         * @param type {@code stack}, {@code parallel} or {@code fusion} (any case); required
         * @param members at least two distinct names of {@code lora} or {@code adapters} entries, in order; required
         */
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

    /**
     * A module trained earlier, loaded onto the built model under {@code name}: a Floe adapter file
     * (as {@code floe peft save} writes it; a LoRA, DoRA, IA3, adapter, prompt or prefix module, not a
     * composition) or a Hugging Face PEFT LoRA folder (as {@code floe peft import} reads it, loaded
     * onto the model's only BERT-style encoder). The file must have been trained on this model's base
     * weights.
     *
     * @param name the name it is attached under, unique across the peft section; letters, digits,
     *     '_' and '-'; required
     * @param file the adapter file or PEFT folder, relative to the config file's folder; required
     * @param trainable {@code trainable}: false (default) keeps it frozen, out of the default
     *     {@code active}: it then applies only as a {@code compose} member or through
     *     {@code merge_lora}; true makes it active and train further, like a declared module
     * @param baseModel {@code base_model}, for a PEFT folder: the Hugging Face id of the model the
     *     encoder holds, compared with the folder's {@code base_model_name_or_path} by its last path
     *     segment; by default {@value dev.floe.peft.PeftFormat#MINILM_BASE} for a {@code minilm}
     *     encoder, and no check for other encoders; not allowed for an adapter file (its base is
     *     checked by the hash of the base weights)
     */
    public record Load(String name, String file, Boolean trainable, String baseModel) {

        /**
         * Fills the default and checks the keys.
         *
         * @param name see the class comment
         * @param file see the class comment
         * @param trainable see the class comment
         * @param baseModel see the class comment
         */
        public Load {
            Fields.required().key("name", name).key("file", file)
                    .check("{name: task1, file: adapters/task1.safetensors}");
            if (!name.matches("[A-Za-z0-9_\\-]+")) {
                throw Fields.inside(List.of("name"), "load name '" + name + "' is not allowed; use letters, digits, '_'"
                        + " or '-' (it becomes a path segment of the module's parameters)");
            }
            trainable = trainable != null && trainable;
            if (baseModel != null && baseModel.isBlank()) {
                throw Fields.inside(List.of("base_model"), "load '" + name + "': base_model is empty; give the Hugging"
                        + " Face id of the encoder's model, e.g. " + dev.floe.peft.PeftFormat.MINILM_BASE
                        + ", or remove the key");
            }
        }
    }

    /**
     * A new LoRA module merged from LoRA modules of {@code lora} (type lora), {@code load} or earlier
     * {@code merge_lora} entries with {@link dev.floe.peft.LoraMerge}: the update
     * {@code Σ w_i ΔW_i}, exactly by concatenation ({@code method: linear}, rank the sum of the
     * sources' ranks) or as its best rank-{@code rank} approximation ({@code method: svd}). The
     * sources must sit on the same layers. The merged module is a declared module: active (and
     * trained) by default; leave the sources out of {@code active} so their updates do not apply twice.
     *
     * @param name unique across the peft section; letters, digits, '_' and '-'; required
     * @param from the source modules, at least one, each once; required
     * @param weights one finite weight per source, in the order of {@code from}; required
     * @param method {@code linear} (default) or {@code svd}
     * @param rank the merged rank for {@code svd} (required there), at least 1 and at most the sum of the
     *     sources' ranks; ignored by {@code linear}
     */
    public record MergeLora(String name, List<String> from, List<Double> weights, String method, Integer rank) {

        /**
         * Fills the default and checks the keys; a bad value throws an exception naming its YAML key.
         *
         * @param name see the class comment
         * @param from see the class comment
         * @param weights see the class comment
         * @param method see the class comment
         * @param rank see the class comment
         */
        public MergeLora {
            Fields.required().key("name", name).key("from", from).key("weights", weights)
                    .check("{name: both, from: [task1, task2], weights: [0.5, 0.5], method: svd, rank: 4}");
            if (!name.matches("[A-Za-z0-9_\\-]+")) {
                throw Fields.inside(List.of("name"), "merge_lora name '" + name + "' is not allowed; use letters,"
                        + " digits, '_' or '-'");
            }
            from = Fields.list(from);
            weights = Fields.list(weights);
            if (from.isEmpty()) {
                throw Fields.inside(List.of("from"), "merge_lora '" + name + "': from is empty; list the LoRA modules"
                        + " to merge, e.g. [task1, task2]");
            }
            if (new HashSet<>(from).size() != from.size()) {
                throw Fields.inside(List.of("from"), "merge_lora '" + name + "': from " + from + " lists a module"
                        + " twice; list each once (give it a larger weight instead)");
            }
            if (weights.size() != from.size()) {
                throw Fields.inside(List.of("weights"), "merge_lora '" + name + "': expected one weight per module of"
                        + " from (" + from.size() + "), found " + weights.size() + " " + weights);
            }
            for (int i = 0; i < weights.size(); i++) {
                Double w = weights.get(i);
                if (w == null || !Double.isFinite(w)) {
                    throw Fields.inside(List.of("weights", i), "merge_lora '" + name + "': weight " + i + " is " + w
                            + "; expected a finite number, e.g. 0.5");
                }
            }
            method = method == null ? "linear" : method;
            if (!method.equals("linear") && !method.equals("svd")) {
                throw Fields.inside(List.of("method"), "merge_lora '" + name + "': method must be linear (exact,"
                        + " rank adds up) or svd (best approximation at rank), found '" + method + "'");
            }
            if (method.equals("svd") && rank == null) {
                throw Fields.inside(List.of("rank"), "merge_lora '" + name + "': method svd needs rank, found none;"
                        + " add rank: R (at most the sources' ranks added up), or use method: linear");
            }
            if (rank != null && rank < 1) {
                throw Fields.inside(List.of("rank"), "merge_lora '" + name + "': rank must be a positive integer,"
                        + " found " + rank);
            }
        }

        /** {@return source name to weight, in the order of {@code from}} */
        public java.util.Map<String, Double> weightsByName() {
            java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
            for (int i = 0; i < from.size(); i++) {
                out.put(from.get(i), weights.get(i));
            }
            return out;
        }
    }
}
