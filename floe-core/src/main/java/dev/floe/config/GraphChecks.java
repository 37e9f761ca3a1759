package dev.floe.config;

import dev.floe.freeze.FreezeRule;
import dev.floe.graph.PathGlob;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.TensorSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks of a config against its components and built graph, reported in the config's words: each
 * error names the YAML key that holds the mistake ({@code model.wires[1].to},
 * {@code policy[0].freeze}, {@code layer_decay_by_component.encodr}) and, for a mismatch between
 * two keys, both of them. The graph and the freeze policy check the same things again for callers
 * of the Java API; these checks run first so that a config never gets their messages.
 */
public final class GraphChecks {

    private static final int NEAREST = 3;

    private GraphChecks() {}

    /**
     * Every wire's ends exist and their shapes agree, and every output names a component output.
     *
     * @param model the {@code model} section
     * @param inputs the graph inputs by name
     * @param components the configured components, in {@code model.components} order
     * @throws ConfigException at {@code model.wires[i].from}/{@code .to} for an end that does not
     *     exist, at {@code model.wires[i]} for shapes that disagree (naming the keys that set both),
     *     at {@code model.outputs.NAME} for an output that does not exist
     */
    public static void wiring(ExperimentConfig.Model model, Map<String, TensorSpec> inputs, List<Component> components) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < components.size(); i++) {
            index.putIfAbsent(components.get(i).name(), i);
        }
        for (int i = 0; i < model.wires().size(); i++) {
            ExperimentConfig.Wire w = model.wires().get(i);
            String key = "model.wires[" + i + "]";
            End to = end(w.to());
            if (to.component() == null) {
                throw new ConfigException(key + ".to", "'" + w.to() + "' is not a component input; write"
                        + " component.port, e.g. head.in", null);
            }
            PortSpec in = port(to, true, components, index, key + ".to");
            TensorSpec produced;
            if (end(w.from()).component() == null) {
                produced = inputs.get(w.from().trim());
                if (produced == null) {
                    throw new ConfigException(key + ".from", "'" + w.from() + "' is not a graph input (model.inputs"
                            + " declares " + inputs.keySet() + "); name one of them, or write component.port for a"
                            + " component output, e.g. encoder.features", null);
                }
            } else {
                produced = port(end(w.from()), false, components, index, key + ".from").spec();
            }
            Optional<String> problem = in.spec().acceptFrom(produced);
            if (problem.isPresent()) {
                throw new ConfigException(key, "port " + end(w.from()) + " is " + produced + " but " + to + " expects "
                        + in.spec() + " (" + problem.get() + "); " + end(w.from()) + " is set by "
                        + origin(end(w.from()), model, index) + " and " + to + " by " + origin(to, model, index)
                        + ": change one of them so they agree", null);
            }
        }
        for (Map.Entry<String, String> o : model.outputs().entrySet()) {
            String key = "model.outputs." + o.getKey();
            End from = end(o.getValue());
            if (from.component() == null) {
                throw new ConfigException(key, "'" + o.getValue() + "' is not a component output; write"
                        + " component.port, e.g. head.logits", null);
            }
            port(from, false, components, index, key);
        }
    }

    /**
     * Every policy rule of the config (top level and stages) matches at least one parameter.
     *
     * @param config the config
     * @param graph the built graph
     * @throws ConfigException at {@code policy} or {@code stages[j]}, numbering the rule as the plan
     *     does (the rules of {@code peft.freeze_host} first, then the top-level rules, then each
     *     stage's in order) and naming its YAML key
     */
    public static void rulesMatch(ExperimentConfig config, ModelGraph graph) {
        Set<String> paths = graph.parameters().keySet();
        int number = config.peftHostRules(graph).size(); // the plan numbers peft.freeze_host's rules first
        for (int i = 0; i < config.policy().size(); i++) {
            ruleMatches(config.policy().get(i), ++number, "policy", "policy[" + i + "]", paths);
        }
        for (int j = 0; j < config.stages().size(); j++) {
            List<PolicyRule> rules = config.stages().get(j).policy();
            for (int k = 0; k < rules.size(); k++) {
                ruleMatches(rules.get(k), ++number, "stages[" + j + "]", "stages[" + j + "].policy[" + k + "]", paths);
            }
        }
    }

    private static void ruleMatches(PolicyRule rule, int number, String where, String key, Set<String> paths) {
        FreezeRule r = rule.toRule();
        PathGlob glob = PathGlob.compile(r.glob());
        if (paths.stream().anyMatch(glob::matches)) {
            return;
        }
        String action = rule.freeze() != null ? "freeze" : "train";
        throw new ConfigException(where, "rule #" + number + " '" + r + "' matches no parameter; nearest paths: "
                + PathGlob.nearestPaths(glob.literalPrefix(), paths, NEAREST) + "; fix the glob at " + key + "." + action
                + (paths.isEmpty() ? " (the graph has no parameters)"
                        : " (paths look like " + paths.iterator().next() + ")"), null);
    }

    /**
     * Injects the {@code peft} modules (LoRA first, then adapters, each in the order listed) and
     * switches off those not in {@code peft.active}.
     *
     * @param config the config, whose {@code peft} section is read
     * @param graph the built graph; modules are added to it
     * @throws ConfigException at {@code peft.lora[i]} or {@code peft.adapters[i]} when the target
     *     matches no Linear layer (naming the nearest ones), the rank or bottleneck is too large for
     *     a targeted layer, or the name is taken
     */
    public static void injectPeft(ExperimentConfig config, ModelGraph graph) {
        injectPeft(config, graph, Path.of("."));
    }

    /**
     * As {@link #injectPeft(ExperimentConfig, ModelGraph)}, first loading the {@code peft.load}
     * modules (relative files start at {@code baseDir}), and making the {@code peft.merge_lora}
     * modules after the prompts, before the compositions.
     *
     * @param config the config, whose {@code peft} section is read
     * @param graph the built graph; modules are added to it
     * @param baseDir the config file's folder
     * @throws ConfigException as the other {@code injectPeft}; at {@code peft.load[i].file} when the
     *     file is missing, unreadable, a composition, or trained on another base; at
     *     {@code peft.merge_lora[i].from[j]} when a source is not a LoRA module, at
     *     {@code peft.merge_lora[i].from} when the sources sit on different layers, at
     *     {@code peft.merge_lora[i].rank} when the rank is out of range
     */
    public static void injectPeft(ExperimentConfig config, ModelGraph graph, Path baseDir) {
        PeftConfig peft = config.peft();
        if (peft == null) {
            return;
        }
        for (int i = 0; i < peft.load().size(); i++) {
            loadModule(config, graph, peft.load().get(i), baseDir, "peft.load[" + i + "]", peft.freezeHost());
        }
        for (int i = 0; i < peft.lora().size(); i++) {
            PeftConfig.Lora l = peft.lora().get(i);
            try {
                if (l.dora()) {
                    dev.floe.peft.Dora.inject(graph, l.toDoraSpec(), peft.freezeHost());
                } else {
                    dev.floe.peft.Lora.inject(graph, l.toSpec(), peft.freezeHost());
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("peft.lora[" + i + "]", e.getMessage(), e);
            }
        }
        for (int i = 0; i < peft.adapters().size(); i++) {
            try {
                dev.floe.peft.Adapters.inject(graph, peft.adapters().get(i).toSpec(), peft.freezeHost());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("peft.adapters[" + i + "]", e.getMessage(), e);
            }
        }
        for (int i = 0; i < peft.ia3().size(); i++) {
            try {
                dev.floe.peft.Ia3.inject(graph, peft.ia3().get(i).toSpec(), peft.freezeHost());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("peft.ia3[" + i + "]", e.getMessage(), e);
            }
        }
        for (int i = 0; i < peft.prompts().size(); i++) {
            PeftConfig.Prompt p = peft.prompts().get(i);
            try {
                dev.floe.peft.PeftSpec spec = p.toSpec();
                if (spec instanceof dev.floe.peft.PromptSpec prompt) {
                    dev.floe.peft.Prompts.inject(graph, prompt, peft.freezeHost());
                } else {
                    dev.floe.peft.Prompts.inject(graph, (dev.floe.peft.PrefixSpec) spec, peft.freezeHost());
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("peft.prompts[" + i + "]", e.getMessage(), e);
            }
            if (p.type().equals("prompt")) {
                checkVirtualTokensFit(config, graph, p, i);
            }
        }
        Map<String, dev.floe.peft.LoraMerge.Result> merges = new java.util.LinkedHashMap<>();
        for (int i = 0; i < peft.mergeLora().size(); i++) {
            PeftConfig.MergeLora m = peft.mergeLora().get(i);
            merges.put(m.name(), mergeLora(graph, m, "peft.merge_lora[" + i + "]", peft.freezeHost()));
        }
        MERGES.put(graph, merges);
        for (int i = 0; i < peft.compose().size(); i++) {
            try {
                dev.floe.peft.Composition.compose(graph, peft.compose().get(i).toSpec(), peft.freezeHost());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("peft.compose[" + i + "]", e.getMessage(), e);
            }
        }
        for (PeftConfig.Compose c : peft.compose()) {
            if (!peft.active().contains(c.name())) {
                dev.floe.peft.Composition.deactivate(graph, c.name());
            }
        }
        for (PeftConfig.Lora l : peft.lora()) {
            if (!peft.active().contains(l.name())) {
                if (l.dora()) {
                    dev.floe.peft.Dora.deactivate(graph, l.name());
                } else {
                    dev.floe.peft.Lora.deactivate(graph, l.name());
                }
            }
        }
        for (PeftConfig.Prompt p : peft.prompts()) {
            if (!peft.active().contains(p.name())) {
                dev.floe.peft.Prompts.deactivate(graph, p.name());
            }
        }
        for (PeftConfig.Adapter a : peft.adapters()) {
            if (!peft.active().contains(a.name())) {
                dev.floe.peft.Adapters.deactivate(graph, a.name());
            }
        }
        for (PeftConfig.Ia3 a : peft.ia3()) {
            if (!peft.active().contains(a.name())) {
                dev.floe.peft.Ia3.deactivate(graph, a.name());
            }
        }
        for (PeftConfig.Load l : peft.load()) {
            if (!peft.active().contains(l.name())) {
                graph.activeAdapters().remove(l.name()); // freshly loaded, so never merged
            }
        }
        for (PeftConfig.MergeLora m : peft.mergeLora()) {
            if (peft.active().contains(m.name())) {
                dev.floe.peft.Lora.activate(graph, m.name());
            }
        }
        if (peft.merge()) {
            checkMergeable(peft, graph);
        }
    }

    /** The merge_lora results of each graph {@link #injectPeft} built, for {@link #peftSummary}. */
    private static final Map<ModelGraph, Map<String, dev.floe.peft.LoraMerge.Result>> MERGES =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** Loads one {@code peft.load} entry: a Floe adapter file or a PEFT folder; every failure at {@code key.file}. */
    private static void loadModule(ExperimentConfig config, ModelGraph graph, PeftConfig.Load l, Path baseDir, String key,
            boolean freezeHost) {
        Path given = Path.of(l.file());
        Path path = (given.isAbsolute() ? given : baseDir.resolve(given)).normalize();
        String at = key + ".file";
        if (!java.nio.file.Files.exists(path)) {
            throw new ConfigException(at, "load '" + l.name() + "': expected an adapter file (floe peft save) or a PEFT"
                    + " folder (adapter_config.json), found nothing at " + path.toAbsolutePath()
                    + "; relative paths start at the config file's folder; fix the path", null);
        }
        try {
            if (java.nio.file.Files.isDirectory(path)) {
                if (!java.nio.file.Files.isRegularFile(path.resolve(dev.floe.peft.PeftFormat.CONFIG_FILE))) {
                    throw new ConfigException(at, "load '" + l.name() + "': expected an adapter file or a PEFT folder"
                            + " holding " + dev.floe.peft.PeftFormat.CONFIG_FILE + ", found a folder without it ("
                            + path.toAbsolutePath() + "); name the adapter file or the PEFT folder", null);
                }
                List<String> encoders = graph.components().stream()
                        .filter(c -> c instanceof dev.floe.components.TransformerEncoder).map(Component::name).toList();
                if (encoders.size() != 1) {
                    throw new ConfigException(at, "load '" + l.name() + "': a PEFT folder loads onto the model's only"
                            + " transformer encoder, expected one, found " + encoders + "; convert it with floe peft"
                            + " import --component NAME and load the adapter file", null);
                }
                String expected = l.baseModel() != null ? l.baseModel() : config.model().components().stream()
                        .filter(c -> c.name().equals(encoders.get(0)) && c instanceof ComponentConfig.MiniLm)
                        .findFirst().map(c -> dev.floe.peft.PeftFormat.MINILM_BASE).orElse(null);
                if (expected != null) {
                    dev.floe.peft.PeftFormat.read(path, graph, encoders.get(0), l.name(), expected);
                } else {
                    dev.floe.peft.PeftFormat.read(path, graph, encoders.get(0), l.name());
                }
            } else {
                if (l.baseModel() != null) {
                    throw new ConfigException(key + ".base_model", "load '" + l.name() + "': base_model applies to PEFT"
                            + " folders, but " + path.getFileName() + " is a Floe adapter file, whose base is checked by"
                            + " the hash of the base weights; remove base_model", null);
                }
                String kind = dev.floe.io.Safetensors.readHeader(path).metadata().get("peft.kind");
                if ("composition".equals(kind)) {
                    throw new ConfigException(at, "load '" + l.name() + "': expected a module's adapter file, found a"
                            + " composition file (" + path.getFileName() + "); load its members' files and declare the"
                            + " composition under compose", null);
                }
                dev.floe.peft.PeftIo.load(graph, path, l.name());
            }
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigException(at, "load '" + l.name() + "': " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new ConfigException(at, "load '" + l.name() + "': cannot read " + path + ": " + e.getMessage(), e);
        }
        if (!freezeHost) {
            graph.hostFreezingAdapters().remove(l.name());
        }
    }

    /** Makes one {@code peft.merge_lora} entry; a source that is no LoRA module at {@code key.from[j]}. */
    private static dev.floe.peft.LoraMerge.Result mergeLora(ModelGraph graph, PeftConfig.MergeLora m, String key,
            boolean freezeHost) {
        Map<String, dev.floe.peft.LoraSpec> loras = dev.floe.peft.Lora.attached(graph);
        for (int j = 0; j < m.from().size(); j++) {
            if (!loras.containsKey(m.from().get(j))) {
                throw new ConfigException(key + ".from[" + j + "]", "merge_lora '" + m.name() + "': expected a LoRA"
                        + " module, found '" + m.from().get(j) + "', which is not one (DoRA, IA3, adapters and prompts"
                        + " cannot be merged this way); leave it out", null);
            }
        }
        if (m.method().equals("svd")) {
            int total = m.from().stream().mapToInt(f -> loras.get(f).rank()).sum();
            if (m.rank() > total) {
                throw new ConfigException(key + ".rank", "merge_lora '" + m.name() + "': rank must be at most "
                        + total + " (the sources' ranks added up), found " + m.rank() + "; at " + total
                        + " method: linear is exact", null);
            }
        }
        dev.floe.peft.LoraMerge.Result r;
        try {
            r = m.method().equals("svd") ? dev.floe.peft.LoraMerge.svd(graph, m.name(), m.weightsByName(), m.rank())
                    : dev.floe.peft.LoraMerge.linear(graph, m.name(), m.weightsByName());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigException(key + ".from", e.getMessage(), e);
        }
        if (!freezeHost) {
            graph.hostFreezingAdapters().remove(m.name());
        }
        return r;
    }

    /**
     * With {@code peft.merge}, a DoRA or IA3 module rescales the weights it is merged into, so it
     * may share no layer with another active module (that one would then read changed weights).
     *
     * @throws ConfigException at {@code peft.merge} naming both modules and the shared layers
     */
    private static void checkMergeable(PeftConfig peft, ModelGraph graph) {
        try {
            dev.floe.peft.Merges.requireMergeable(graph, peft.active());
        } catch (IllegalStateException e) {
            throw new ConfigException("peft.merge", "merge: true " + e.getMessage()
                    + "; or give them targets that do not overlap, or set merge: false", e);
        }
    }

    /**
     * With text data, virtual tokens plus {@code data.max_tokens} must fit every targeted encoder's
     * positions.
     *
     * @throws ConfigException at {@code peft.prompts[i].virtual_tokens} naming both numbers and the fix
     */
    private static void checkVirtualTokensFit(ExperimentConfig config, ModelGraph graph, PeftConfig.Prompt p, int i) {
        ExperimentConfig.Data d = config.data();
        if (d == null || !ExperimentConfig.Data.TEXT.equals(d.format())) {
            return;
        }
        for (String layer : dev.floe.peft.Prompts.layers(graph, p.name())) {
            String name = layer.substring(0, layer.indexOf('/'));
            if (!(graph.component(name) instanceof dev.floe.components.TransformerEncoder enc)) {
                continue;
            }
            long positions = enc.config().maxPositions();
            long tokens = d.maxTokens() != null ? d.maxTokens()
                    : Math.min(ExperimentConfig.Data.DEFAULT_MAX_TOKENS, positions);
            if (p.virtualTokens() + tokens > positions) {
                throw new ConfigException("peft.prompts[" + i + "].virtual_tokens", "prompt '" + p.name() + "': "
                        + p.virtualTokens() + " virtual tokens plus data.max_tokens " + tokens
                        + (d.maxTokens() == null ? " (the default)" : "") + " need " + (p.virtualTokens() + tokens)
                        + " positions but encoder " + name + " has " + positions + "; " + fitFix(positions, tokens,
                        p.virtualTokens()), null);
            }
        }
    }

    /** How to make {@code virtual} virtual tokens and {@code tokens} word pieces fit {@code positions}. */
    static String fitFix(long positions, long tokens, long virtual) {
        if (virtual >= positions) {
            return "lower virtual_tokens below " + positions + " and set data.max_tokens to fit the rest";
        }
        String lowerTokens = "set data.max_tokens to at most " + (positions - virtual);
        return positions - tokens >= 1
                ? "lower virtual_tokens to at most " + (positions - tokens) + " or " + lowerTokens
                : lowerTokens + " (data.max_tokens " + tokens + " leaves no position for virtual tokens)";
    }

    /**
     * What the {@code peft} section did, one line each, for the plan: every module with its layers
     * and whether it is active, the rules host freezing added, and whether LoRA is merged at the end.
     * Empty without a {@code peft} section.
     *
     * @param config the config
     * @param graph the graph after {@link #injectPeft}
     * @return the summary lines
     */
    public static List<String> peftSummary(ExperimentConfig config, ModelGraph graph) {
        PeftConfig peft = config.peft();
        if (peft == null) {
            return List.of();
        }
        List<String> out = new java.util.ArrayList<>();
        for (PeftConfig.Lora l : peft.lora()) {
            if (l.dora()) {
                out.add("peft: dora '" + l.name() + "' (rank " + l.rank() + ", alpha " + l.alpha() + ", dropout "
                        + l.dropout() + ") on " + dev.floe.peft.Dora.layers(graph, l.name()).size() + " layers matching "
                        + l.target() + ", " + parameterCount(graph, l.name()) + " parameters (A, B and a magnitude per"
                        + " output unit), " + (peft.active().contains(l.name()) ? "active" : "inactive (frozen)"));
                continue;
            }
            out.add("peft: lora '" + l.name() + "' (rank " + l.rank() + ", alpha " + l.alpha() + ", dropout "
                    + l.dropout() + ") on " + dev.floe.peft.Lora.layers(graph, l.name()).size() + " layers matching "
                    + l.target() + ", " + (peft.active().contains(l.name()) ? "active" : "inactive (frozen)"));
        }
        for (PeftConfig.Adapter a : peft.adapters()) {
            out.add("peft: adapter '" + a.name() + "' (bottleneck " + a.bottleneck() + ", " + a.activation() + ") after "
                    + dev.floe.peft.Adapters.layers(graph, a.name()).size() + " layers matching " + a.target() + ", "
                    + (peft.active().contains(a.name()) ? "active" : "inactive (frozen)"));
        }
        for (PeftConfig.Ia3 a : peft.ia3()) {
            int ff = dev.floe.peft.Ia3.feedforwardLayers(graph, a.name()).size();
            out.add("peft: ia3 '" + a.name() + "' on " + dev.floe.peft.Ia3.layers(graph, a.name()).size()
                    + " layers matching " + a.target() + " (" + ff + " scaling their input"
                    + (a.feedforward().isBlank() ? "" : ", feedforward " + a.feedforward()) + "), "
                    + parameterCount(graph, a.name()) + " parameters, "
                    + (peft.active().contains(a.name()) ? "active" : "inactive (frozen)"));
        }
        for (PeftConfig.Prompt p : peft.prompts()) {
            List<String> at = dev.floe.peft.Prompts.layers(graph, p.name());
            long size = graph.parameters().values().stream().filter(q -> p.name().equals(q.adapter()))
                    .mapToLong(dev.floe.nn.Param::size).sum();
            out.add("peft: " + p.type() + " '" + p.name() + "' (" + p.virtualTokens()
                    + (p.type().equals("prompt") ? " virtual tokens" : " key/value positions per layer") + ", " + size
                    + " parameters) at " + (at.size() == 1 ? at.get(0) : at.size() + " layers") + " of encoders matching "
                    + p.target() + ", " + (peft.active().contains(p.name()) ? "active" : "inactive (frozen)"));
        }
        for (PeftConfig.Load l : peft.load()) {
            String kind = dev.floe.peft.Lora.attached(graph).containsKey(l.name()) ? "lora"
                    : dev.floe.peft.Dora.attached(graph).containsKey(l.name()) ? "dora"
                    : dev.floe.peft.Ia3.attached(graph).containsKey(l.name()) ? "ia3"
                    : dev.floe.peft.Adapters.attached(graph).containsKey(l.name()) ? "adapter" : "prompt/prefix";
            out.add("peft: loaded " + kind + " '" + l.name() + "' from " + l.file() + ", "
                    + parameterCount(graph, l.name()) + " parameters, "
                    + (peft.active().contains(l.name()) ? "trainable, active"
                            : "frozen (applies only as a compose member or merge_lora source)"));
        }
        Map<String, dev.floe.peft.LoraMerge.Result> merges = MERGES.getOrDefault(graph, Map.of());
        for (PeftConfig.MergeLora m : peft.mergeLora()) {
            dev.floe.peft.LoraMerge.Result r = merges.get(m.name());
            StringBuilder line = new StringBuilder("peft: merge_lora '" + m.name() + "' = " + m.method() + " merge of "
                    + m.weightsByName() + (r == null ? "" : ", rank " + r.spec().rank()) + ", "
                    + parameterCount(graph, m.name()) + " parameters, "
                    + (peft.active().contains(m.name()) ? "active" : "inactive (frozen)"));
            if (r != null) {
                line.append(String.format(java.util.Locale.ROOT, "; relative reconstruction error max %.3g", r.maxRelativeError()));
                if (m.method().equals("svd")) {
                    line.append(" (per layer:");
                    r.relativeError().forEach((layer, err) -> line.append(String.format(java.util.Locale.ROOT,
                            " %s %.3g", layer, err)));
                    line.append(')');
                }
            }
            out.add(line.toString());
        }
        for (PeftConfig.Compose c : peft.compose()) {
            long size = graph.parameters().values().stream().filter(q -> c.name().equals(q.adapter()))
                    .mapToLong(dev.floe.nn.Param::size).sum();
            out.add("peft: " + c.type() + " '" + c.name() + "' of " + c.members() + " on "
                    + dev.floe.peft.Composition.layers(graph, c.name()).size() + " layers, " + size + " parameters, "
                    + (peft.active().contains(c.name()) ? "active" : "inactive (members apply on their own)"));
        }
        List<FreezeRule> host = config.peftHostRules(graph);
        if (host.isEmpty()) {
            out.add("peft: freeze_host false: host components follow the policy (layers holding active LoRA stay frozen)");
        } else {
            for (int i = 0; i < host.size(); i++) {
                out.add("peft: freeze_host adds rule #" + (i + 1) + " '" + host.get(i) + "' before the policy (whose"
                        + " rules follow as #" + (host.size() + 1) + "...); train rules in policy override it");
            }
        }
        boolean rescaling = peft.ia3().size() > 0 || peft.lora().stream().anyMatch(PeftConfig.Lora::dora);
        out.add("peft: after training, " + (peft.merge()
                ? "the active " + (rescaling ? "LoRA, DoRA and IA3" : "LoRA") + " modules are merged into the base weights"
                : "modules stay separate (merge: false)"));
        return out;
    }

    /** The number of scalars in the parameters of the named module, with thousands separators. */
    private static String parameterCount(ModelGraph graph, String module) {
        return String.format(java.util.Locale.ROOT, "%,d", graph.parameters().values().stream()
                .filter(p -> module.equals(p.adapter())).mapToLong(dev.floe.nn.Param::size).sum());
    }

    /**
     * Every {@code checkpointing} glob matches at least one segment (a component or one of the
     * layers it can checkpoint).
     *
     * @param config the config
     * @param graph the built graph
     * @throws ConfigException at {@code checkpointing[i]}, naming the nearest segment paths
     */
    public static void checkpointingMatches(ExperimentConfig config, ModelGraph graph) {
        List<String> paths = dev.floe.train.GradientCheckpointing.segmentPaths(graph);
        for (int i = 0; i < config.checkpointing().size(); i++) {
            String text = config.checkpointing().get(i);
            PathGlob glob = PathGlob.compile(text);
            if (paths.stream().noneMatch(glob::matches)) {
                throw new ConfigException("checkpointing[" + i + "]", "'" + text + "' matches no segment; nearest"
                        + " segments: " + PathGlob.nearest(glob.literalPrefix(), paths, NEAREST) + "; fix the glob"
                        + " (segments are whole components and their layers: " + String.join(", ", paths) + ")", null);
            }
        }
    }

    /**
     * Every component named by {@code layer_decay_by_component} exists and has a layer order.
     *
     * @param config the config
     * @param graph the built graph
     * @throws ConfigException at {@code layer_decay_by_component.NAME}
     */
    public static void layerDecayComponents(ExperimentConfig config, ModelGraph graph) {
        for (String name : config.layerDecayByComponent().keySet()) {
            Component c = component(graph, name, "layer_decay_by_component." + name);
            if (c.layerOrder().isEmpty()) {
                throw new ConfigException("layer_decay_by_component." + name, "component " + name
                        + " declares no layer order, so layer decay has nothing to scale; remove it", null);
            }
        }
    }

    /**
     * The component a config key names.
     *
     * @throws ConfigException at {@code key} listing the components when there is none of that name
     */
    static Component component(ModelGraph graph, String name, String key) {
        for (Component c : graph.components()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        List<String> names = graph.components().stream().map(Component::name).toList();
        throw new ConfigException(key, "no component named '" + name + "'; components are " + names
                + "; fix the name", null);
    }

    /** A wire end: {@code component.port}, or a graph input (component null). */
    private record End(String component, String port) {
        @Override
        public String toString() {
            return component == null ? port : component + "." + port;
        }
    }

    private static End end(String text) {
        int dot = text.indexOf('.');
        return dot < 0 ? new End(null, text.trim()) : new End(text.substring(0, dot).trim(), text.substring(dot + 1).trim());
    }

    private static PortSpec port(End end, boolean input, List<Component> components, Map<String, Integer> index,
            String key) {
        Integer i = index.get(end.component());
        if (i == null) {
            throw new ConfigException(key, "no component named '" + end.component() + "'; components are "
                    + index.keySet() + "; fix the name", null);
        }
        Component c = components.get(i);
        PortSpec p = input ? c.input(end.port()) : c.output(end.port());
        if (p == null) {
            List<String> ports = (input ? c.inputs() : c.outputs()).stream().map(PortSpec::name).toList();
            throw new ConfigException(key, "component " + c.name() + " has no " + (input ? "input" : "output")
                    + " port '" + end.port() + "'; its " + (input ? "inputs" : "outputs") + " are " + ports, null);
        }
        return p;
    }

    /** The config key that sets a port's shape: {@code model.inputs.image}, {@code model.components[0].widths}. */
    private static String origin(End end, ExperimentConfig.Model model, Map<String, Integer> index) {
        if (end.component() == null) {
            return "model.inputs." + end.port();
        }
        int i = index.get(end.component());
        String key = model.components().get(i).keyOf(end.port());
        return "model.components[" + i + "]" + (key == null ? "" : "." + key);
    }
}
