package dev.floe.peft;

import dev.floe.graph.ModelGraph;
import dev.floe.io.DType;
import dev.floe.io.Fingerprint;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.io.TensorData;
import dev.floe.nn.Param;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Saves and loads one LoRA module or adapter on its own, as a small safetensors file tied to the
 * base it was trained on.
 *
 * <p>The file holds the module's parameters under their graph paths (e.g.
 * {@code encoder/fc1/lora/a/A}) and string metadata: {@value #FORMAT_KEY} = {@value #FORMAT};
 * {@code peft.kind} ({@code lora}, {@code adapter}, {@code dora}, {@code ia3}, {@code prompt} or
 * {@code prefix}); the spec ({@code peft.name}, {@code peft.target}, and {@code peft.rank},
 * {@code peft.alpha}, {@code peft.dropout} for LoRA and DoRA, {@code peft.bottleneck},
 * {@code peft.activation} for adapters, {@code peft.feedforward} for IA3, {@code peft.virtual_tokens}
 * for prompt and prefix tuning); {@code peft.layers}, the module paths it is
 * attached to; {@code peft.base_components}; and {@code peft.base_hash}.
 *
 * <p>The base hash covers the <em>whole components</em> that hold the targeted layers, not just
 * the targeted Linear weights: a module on {@code encoder/fc2} was trained on what
 * {@code encoder/fc1} feeds it, so it is only valid on that exact encoder. It is
 * {@code sha256:<hex>} of, for every base parameter of those components (every parameter that
 * belongs to no LoRA module or adapter, buffers included) in sorted path order: the UTF-8 path, a
 * zero byte, the rank and dimensions as little-endian 64-bit integers, and the fp32 values as
 * little-endian bytes. A head trained alongside the module is not part of the file; save it with
 * {@link dev.floe.io.ModelWeights#save(ModelGraph, Path, Map, String)}.
 *
 * <p>A composition ({@link Composition}) saves the same way under its own name: {@code peft.kind} is
 * {@code composition}, {@code peft.type} its kind ({@code stack}, {@code parallel} or {@code fusion}),
 * {@code peft.members} its members in order, and {@code peft.members_hash} the hash (as above) of
 * every parameter of its members, in sorted path order: a fusion is trained over those members'
 * values, so it is valid only with them. The file holds the composition's own trained parameters —
 * a fusion's {@code <layer>/fusion/<name>/query|key|value} — and no tensor for stack and parallel.
 * Its members are saved in their own files; {@link #loadComposition} loads it after them.
 *
 * <p>The reader ignores metadata keys it does not know and rejects files of a newer format version.
 */
public final class PeftIo {

    /** Metadata key of the format version. */
    public static final String FORMAT_KEY = "floe.format";
    /** Current format version. */
    public static final String FORMAT = "floe-peft/1";

    private static final String FORMAT_PREFIX = "floe-peft/";
    private static final int FORMAT_VERSION = 1;
    private static final String KIND = "peft.kind";
    private static final String NAME = "peft.name";
    private static final String TARGET = "peft.target";
    private static final String RANK = "peft.rank";
    private static final String ALPHA = "peft.alpha";
    private static final String DROPOUT = "peft.dropout";
    private static final String BOTTLENECK = "peft.bottleneck";
    private static final String ACTIVATION = "peft.activation";
    private static final String FEEDFORWARD = "peft.feedforward";
    private static final String LAYERS = "peft.layers";
    private static final String VIRTUAL_TOKENS = "peft.virtual_tokens";
    private static final String BASE_COMPONENTS = "peft.base_components";
    private static final String BASE_HASH = "peft.base_hash";
    private static final String TYPE = "peft.type";
    private static final String MEMBERS = "peft.members";
    private static final String MEMBERS_HASH = "peft.members_hash";
    /** {@code peft.kind} of a composition file. */
    private static final String COMPOSITION = "composition";

    private PeftIo() {}

    /**
     * Writes the named module's parameters and metadata to {@code file}, atomically. The name may
     * also be a composition's: the file then holds the composition's own trained parameters (a
     * fusion's attention weights) and is loaded with {@link #loadComposition}.
     *
     * @param graph the graph holding the module
     * @param name the module's or composition's name
     * @param file where to write the adapter file (safetensors)
     * @throws IllegalArgumentException if no module has that name
     * @throws IllegalStateException if a LoRA module is merged into the base components (the base
     *     would not hash as the one the module was trained on): unmerge it first
     * @throws IOException if writing fails; the file is then unchanged
     */
    public static void save(ModelGraph graph, String name, Path file) throws IOException {
        save(graph, name, file, Map.of());
    }

    /**
     * As {@link #save(ModelGraph, String, Path)}, also recording {@code provenance} in the file's
     * metadata (for example the run manifest's {@code floe.run_id} and {@code floe.recipe_sha256}),
     * so the file tells which run made it. Keys must not start with {@code peft.} or {@code floe.format}.
     *
     * @param graph the graph holding the module
     * @param name the module's or composition's name
     * @param file where to write the adapter file (safetensors)
     * @param provenance extra metadata entries, written as given
     * @throws IllegalArgumentException if a provenance key would replace one of the file's own keys,
     *     or no module or composition has that name
     * @throws IllegalStateException if a LoRA, DoRA or IA3 module is merged into the base components
     * @throws IOException if writing fails; the file is then unchanged
     */
    public static void save(ModelGraph graph, String name, Path file, Map<String, String> provenance) throws IOException {
        for (String key : provenance.keySet()) {
            if (key.startsWith("peft.") || key.equals(FORMAT_KEY)) {
                throw new IllegalArgumentException("provenance key '" + key + "' would replace the adapter file's own"
                        + " metadata; use keys outside peft.* and " + FORMAT_KEY + ", e.g. floe.run_id");
            }
        }
        if (!Targets.modules(graph).containsKey(name) && Composition.attached(graph).containsKey(name)) {
            saveComposition(graph, name, file, provenance);
            return;
        }
        PeftModule module = module(graph, name);
        List<String> components = module.components();
        requireNothingMerged(graph, components, "save '" + name + "'");
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Param p : module.params().values()) {
            tensors.put(p.path(), TensorData.ofFloats(p.shape().getShape(), p.toFloatArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT_KEY, FORMAT);
        meta.putAll(specMetadata(module.spec()));
        meta.put(LAYERS, String.join(",", module.layers()));
        meta.put(BASE_COMPONENTS, String.join(",", components));
        meta.put(BASE_HASH, hash(graph, components));
        meta.putAll(new java.util.TreeMap<>(provenance));
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Loads a module saved by {@link #save}. If no module of that name is attached it is injected
     * from the spec in the file (and is then active, freezing the rest of its host components as
     * {@link Lora#inject(ModelGraph, LoraSpec)} does); an attached one must have the same spec and
     * keeps its active state. Everything — format, spec, targets, base hash, tensor names, dtypes
     * and shapes — is checked before the graph is touched, so a failed load changes nothing.
     *
     * @param graph the graph to load into
     * @param file an adapter file written by {@link #save}
     * @return the module's spec
     * @throws IllegalArgumentException if the file is not a PEFT file of a known version, the
     *     graph's base differs from the one the module was trained on (naming both hashes), the
     *     name is attached with a different spec, or a tensor is missing, extra or mis-shaped
     * @throws IllegalStateException if a LoRA module is merged into the base components
     * @throws IOException if the file cannot be read
     */
    public static PeftSpec load(ModelGraph graph, Path file) throws IOException {
        return load(graph, file, null);
    }

    /**
     * As {@link #load(ModelGraph, Path)}, attaching the module under {@code name} instead of the
     * name it was saved with (its parameters are renamed to match); so two files that hold modules
     * of the same name, e.g. two runs' {@code task}, can be attached side by side.
     *
     * @param graph the graph to load into
     * @param file an adapter file written by {@link #save}
     * @param name the name to attach it under (letters, digits, '_', '-'), or null for the saved one
     * @return the module's spec, under the new name
     * @throws IllegalArgumentException as {@link #load(ModelGraph, Path)}, and if the name is not allowed
     * @throws IllegalStateException if a LoRA module is merged into the base components
     * @throws IOException if the file cannot be read
     */
    public static PeftSpec load(ModelGraph graph, Path file, String name) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        PeftSpec saved = readSpec(file, meta);
        PeftSpec spec = name == null ? saved : saved.withName(name);
        Map<String, TensorData> tensors = f.tensors();
        if (!spec.name().equals(saved.name())) {
            tensors = renamedTensors(tensors, where(graph, saved).shapes().keySet(), where(graph, spec).shapes().keySet());
        }
        String what = spec.kind() + " '" + spec.name() + "' from " + file;

        PeftModule existing = Targets.modules(graph).get(spec.name());
        if (existing != null && !existing.spec().equals(spec)) {
            throw new IllegalArgumentException(
                    "cannot load " + what + ": a " + existing.spec().kind() + " of that name is already attached with "
                            + existing.spec() + " but the file holds " + spec
                            + "; load it into a graph where the name is free");
        }
        Where where = existing != null
                ? new Where(existing.layers(), existing.components(), shapesOf(existing))
                : where(graph, spec);
        List<String> layers = where.layers();
        String savedLayers = meta.get(LAYERS);
        if (savedLayers != null && !savedLayers.equals(String.join(",", layers))) {
            throw new IllegalArgumentException(
                    "cannot load " + what + ": it was attached to [" + savedLayers + "] but its target '"
                            + spec.target() + "' selects " + layers + " in this graph; load it onto the model it was"
                            + " trained with");
        }
        List<String> components = where.components();
        requireNothingMerged(graph, components, "load " + what);
        String expected = required(file, meta, BASE_HASH);
        String found = hash(graph, components);
        if (!expected.equals(found)) {
            throw new IllegalArgumentException(
                    "cannot load " + what + ": it was trained on base " + expected + " (components "
                            + meta.getOrDefault(BASE_COMPONENTS, "?") + ") but this graph's base " + components
                            + " is " + found + "; load it onto the base it was trained on (the same component"
                            + " weights as when it was saved), or retrain it for this base");
        }
        checkTensors(what, tensors, where.shapes());

        PeftModule module = existing;
        if (module == null) {
            if (spec instanceof LoraSpec lora) {
                Lora.inject(graph, lora);
            } else if (spec instanceof DoraSpec dora) {
                Dora.inject(graph, dora);
            } else if (spec instanceof Ia3Spec ia3) {
                Ia3.inject(graph, ia3);
            } else if (spec instanceof AdapterSpec adapter) {
                Adapters.inject(graph, adapter);
            } else if (spec instanceof PromptSpec prompt) {
                Prompts.inject(graph, prompt, true);
            } else {
                Prompts.inject(graph, (PrefixSpec) spec, true);
            }
            module = Targets.modules(graph).get(spec.name());
        }
        for (Param p : module.params().values()) {
            TensorData t = tensors.get(p.path());
            p.load(t.toFloats(), t.shape());
        }
        return spec;
    }

    /**
     * Loads a composition saved by {@link #save} onto its members, which must already be attached
     * (load each member's file first). If no composition of that name is in the graph it is made
     * ({@link Composition#compose}, host freezing on, active); an existing one must have the same
     * spec and keeps its active state. Format, spec, layers, base hash, members' hash, tensor names
     * and shapes are all checked before the graph is touched, so a failed load changes nothing.
     *
     * @param graph the graph holding the members
     * @param file a composition file written by {@link #save}
     * @return the composition's spec
     * @throws IllegalArgumentException if the file is not a composition file of a known version, a
     *     member is missing, the members sit on other layers than when it was saved, the base or the
     *     members differ from the ones it was trained with (naming both hashes), the name is taken by
     *     a different composition, or a tensor is missing, extra or mis-shaped
     * @throws IllegalStateException if a LoRA, DoRA or IA3 module is merged into the base components
     * @throws IOException if the file cannot be read
     */
    public static CompositionSpec loadComposition(ModelGraph graph, Path file) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        checkFormat(file, meta);
        String kind = required(file, meta, KIND);
        if (!kind.equals(COMPOSITION)) {
            throw new IllegalArgumentException("cannot load " + file + " as a composition: it holds a " + kind
                    + " module '" + meta.getOrDefault(NAME, "?") + "'; load it with PeftIo.load");
        }
        CompositionSpec spec;
        try {
            spec = new CompositionSpec(required(file, meta, NAME), CompositionSpec.Kind.parse(required(file, meta, TYPE)),
                    List.of(required(file, meta, MEMBERS).split(",")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load " + file + ": " + e.getMessage()
                    + "; the file is corrupt — save the composition again", e);
        }
        String what = spec.kind() + " '" + spec.name() + "' from " + file;
        CompositionSpec existing = Composition.attached(graph).get(spec.name());
        if (existing != null && !existing.equals(spec)) {
            throw new IllegalArgumentException("cannot load " + what + ": a composition of that name is already in"
                    + " the graph as " + existing + " but the file holds " + spec
                    + "; load it into a graph where the name is free");
        }
        List<PeftModule> members = new ArrayList<>();
        Map<String, PeftModule> modules = Targets.modules(graph);
        for (String m : spec.members()) {
            PeftModule module = modules.get(m);
            if (module == null) {
                throw new IllegalArgumentException("cannot load " + what + ": its member '" + m + "' is not attached"
                        + " (attached are " + Targets.describe(modules) + "); load the members' files with PeftIo.load"
                        + " first, then the composition");
            }
            members.add(module);
        }
        List<Target> targets = members.get(0).targets();
        List<String> layers = Targets.paths(targets);
        String savedLayers = meta.get(LAYERS);
        if (savedLayers != null && !savedLayers.equals(String.join(",", layers))) {
            throw new IllegalArgumentException("cannot load " + what + ": it was applied on [" + savedLayers
                    + "] but its member '" + members.get(0).name() + "' sits on " + layers + " in this graph; load"
                    + " it onto the model and members it was trained with");
        }
        List<String> components = members.get(0).components();
        requireNothingMerged(graph, components, "load " + what);
        String expected = required(file, meta, BASE_HASH);
        String found = hash(graph, components);
        if (!expected.equals(found)) {
            throw new IllegalArgumentException("cannot load " + what + ": it was trained on base " + expected
                    + " (components " + meta.getOrDefault(BASE_COMPONENTS, "?") + ") but this graph's base " + components
                    + " is " + found + "; load it onto the base it was trained on, or retrain it for this base");
        }
        String expectedMembers = required(file, meta, MEMBERS_HASH);
        String foundMembers = membersHash(members);
        if (!expectedMembers.equals(foundMembers)) {
            throw new IllegalArgumentException("cannot load " + what + ": it was trained over members "
                    + spec.members() + " with weights " + expectedMembers + " but here they are " + foundMembers
                    + "; load the member files saved with it (the same trained values), or retrain the composition");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        if (spec.kind() == CompositionSpec.Kind.FUSION) {
            for (Target t : targets) {
                long out = t.linear().out();
                for (String p : List.of("query", "key", "value")) {
                    shapes.put(t.path() + "/" + Composition.FUSION_SEGMENT + "/" + spec.name() + "/" + p,
                            new long[] {out, out});
                }
            }
        }
        checkTensors(what, f.tensors(), shapes);
        if (existing == null) {
            Composition.compose(graph, spec, true);
        }
        Map<String, Param> params = graph.parameters();
        for (String path : shapes.keySet()) {
            TensorData t = f.tensors().get(path);
            params.get(path).load(t.toFloats(), t.shape());
        }
        return spec;
    }

    private static void saveComposition(ModelGraph graph, String name, Path file, Map<String, String> provenance)
            throws IOException {
        CompositionSpec spec = Composition.attached(graph).get(name);
        Map<String, PeftModule> modules = Targets.modules(graph);
        List<PeftModule> members = spec.members().stream().map(modules::get).toList();
        List<String> components = members.get(0).components();
        requireNothingMerged(graph, components, "save " + spec.kind() + " '" + name + "'");
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Param p : graph.parameters().values()) {
            if (name.equals(p.adapter())) {
                tensors.put(p.path(), TensorData.ofFloats(p.shape().getShape(), p.toFloatArray()));
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(KIND, COMPOSITION);
        meta.put(NAME, name);
        meta.put(TYPE, spec.kind().toString());
        meta.put(MEMBERS, String.join(",", spec.members()));
        meta.put(LAYERS, String.join(",", Composition.layers(graph, name)));
        meta.put(BASE_COMPONENTS, String.join(",", components));
        meta.put(BASE_HASH, hash(graph, components));
        meta.put(MEMBERS_HASH, membersHash(members));
        meta.putAll(new TreeMap<>(provenance));
        Safetensors.write(file, tensors, meta);
    }

    /** The hash of every parameter of the members, in sorted path order. */
    private static String membersHash(List<PeftModule> members) {
        TreeMap<String, Param> all = new TreeMap<>();
        members.forEach(m -> all.putAll(m.params()));
        return Fingerprint.weights(all.values());
    }

    /** The tensors with each saved-name path replaced by the same-position path under the new name. */
    private static Map<String, TensorData> renamedTensors(Map<String, TensorData> tensors,
            java.util.Collection<String> savedPaths, java.util.Collection<String> newPaths) {
        List<String> from = List.copyOf(savedPaths);
        List<String> to = List.copyOf(newPaths);
        Map<String, String> rename = new java.util.HashMap<>();
        for (int i = 0; i < from.size(); i++) {
            rename.put(from.get(i), to.get(i));
        }
        Map<String, TensorData> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(rename.getOrDefault(k, k), v));
        return out;
    }

    /**
     * The content hash ({@code sha256:<hex>}) of the base the named module is attached to: every
     * non-adapter parameter of the components that hold its layers (see the class comment).
     *
     * @param graph the graph holding the module
     * @param name the module's name
     * @return {@code sha256:} followed by 64 hex digits
     * @throws IllegalArgumentException if no module has that name
     */
    public static String baseHash(ModelGraph graph, String name) {
        return hash(graph, module(graph, name).components());
    }

    private static PeftModule module(ModelGraph graph, String name) {
        Map<String, PeftModule> all = Targets.modules(graph);
        PeftModule m = all.get(name);
        if (m == null) {
            throw new IllegalArgumentException(
                    "no LoRA module or adapter named '" + name + "' is attached to this graph; attached are "
                            + Targets.describe(all));
        }
        return m;
    }

    private static List<String> components(List<Target> targets) {
        Set<String> names = new LinkedHashSet<>();
        targets.forEach(t -> names.add(t.component()));
        return List.copyOf(names);
    }

    private static void requireNothingMerged(ModelGraph graph, List<String> components, String action) {
        for (PeftModule m : Targets.modules(graph).values()) {
            if (m.merged() && m.targets().stream().anyMatch(t -> components.contains(t.component()))) {
                throw new IllegalStateException(
                        "cannot " + action + ": " + (m instanceof LoraModule ? "LoRA" : m instanceof DoraModule ? "DoRA" : "IA3")
                                + " '" + m.name() + "' is merged into the base"
                                + " weights of " + components(m.targets()) + ", so the base is not the one modules are"
                                + " trained on; unmerge it first (Lora.unmerge, Dora.unmerge or Ia3.unmerge)");
            }
        }
    }

    static String hash(ModelGraph graph, List<String> components) {
        TreeMap<String, Param> base = new TreeMap<>();
        for (String c : components) {
            for (Param p : graph.component(c).parameters().values()) {
                if (!p.kind().isAdapter()) {
                    base.put(p.path(), p);
                }
            }
        }
        return Fingerprint.weights(base.values());
    }

    private static Map<String, String> specMetadata(PeftSpec spec) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KIND, spec.kind());
        m.put(NAME, spec.name());
        m.put(TARGET, spec.target());
        if (spec instanceof LoraSpec l) {
            m.put(RANK, Integer.toString(l.rank()));
            m.put(ALPHA, Double.toString(l.alpha()));
            m.put(DROPOUT, Double.toString(l.dropout()));
        } else if (spec instanceof AdapterSpec a) {
            m.put(BOTTLENECK, Integer.toString(a.bottleneck()));
            m.put(ACTIVATION, a.activation().toString());
        } else if (spec instanceof DoraSpec d) {
            m.put(RANK, Integer.toString(d.rank()));
            m.put(ALPHA, Double.toString(d.alpha()));
            m.put(DROPOUT, Double.toString(d.dropout()));
        } else if (spec instanceof Ia3Spec i) {
            m.put(FEEDFORWARD, i.feedforward());
        } else if (spec instanceof PromptSpec p) {
            m.put(VIRTUAL_TOKENS, Integer.toString(p.virtualTokens()));
        } else if (spec instanceof PrefixSpec p) {
            m.put(VIRTUAL_TOKENS, Integer.toString(p.length()));
        }
        return m;
    }

    private static PeftSpec readSpec(Path file, Map<String, String> meta) {
        checkFormat(file, meta);
        String kind = required(file, meta, KIND);
        String name = required(file, meta, NAME);
        if (kind.equals(COMPOSITION)) {
            throw new IllegalArgumentException("cannot load " + file + " with PeftIo.load: it holds " + meta.get(TYPE)
                    + " composition '" + name + "' of [" + meta.get(MEMBERS) + "]; load its members' files with"
                    + " PeftIo.load, then this one with PeftIo.loadComposition");
        }
        String target = required(file, meta, TARGET);
        return readSpec(file, meta, kind, name, target);
    }

    private static void checkFormat(Path file, Map<String, String> meta) {
        String format = meta.get(FORMAT_KEY);
        if (format == null || !format.startsWith(FORMAT_PREFIX)) {
            throw new IllegalArgumentException(
                    "cannot load " + file + ": it is not a Floe PEFT file (" + FORMAT_KEY + " is "
                            + (format == null ? "missing" : "'" + format + "'") + ", expected " + FORMAT
                            + "); save modules with PeftIo.save");
        }
        int version;
        try {
            version = Integer.parseInt(format.substring(FORMAT_PREFIX.length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "cannot load " + file + ": format '" + format + "' has no version number; expected " + FORMAT);
        }
        if (version > FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    "cannot load " + file + ": it is format " + format + " but this Floe reads up to " + FORMAT
                            + "; upgrade Floe");
        }
    }

    private static PeftSpec readSpec(Path file, Map<String, String> meta, String kind, String name, String target) {
        try {
            return switch (kind) {
                case "lora" -> new LoraSpec(
                        name,
                        Integer.parseInt(required(file, meta, RANK)),
                        Double.parseDouble(required(file, meta, ALPHA)),
                        Double.parseDouble(meta.getOrDefault(DROPOUT, "0")),
                        target);
                case "adapter" -> new AdapterSpec(
                        name,
                        Integer.parseInt(required(file, meta, BOTTLENECK)),
                        target,
                        AdapterSpec.Activation.parse(required(file, meta, ACTIVATION)));
                case "dora" -> new DoraSpec(
                        name,
                        Integer.parseInt(required(file, meta, RANK)),
                        Double.parseDouble(required(file, meta, ALPHA)),
                        Double.parseDouble(meta.getOrDefault(DROPOUT, "0")),
                        target);
                case "ia3" -> new Ia3Spec(name, target, required(file, meta, FEEDFORWARD));
                case "prompt" -> new PromptSpec(name, Integer.parseInt(required(file, meta, VIRTUAL_TOKENS)), target);
                case "prefix" -> new PrefixSpec(name, Integer.parseInt(required(file, meta, VIRTUAL_TOKENS)), target);
                default -> throw new IllegalArgumentException("cannot load " + file + ": " + KIND + " is '" + kind
                        + "', expected lora, adapter, dora, ia3, prompt, prefix or composition");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "cannot load " + file + ": a number in its spec metadata is malformed (" + e.getMessage()
                            + "); the file is corrupt — save the module again", e);
        }
    }

    private static String required(Path file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(
                    "cannot load " + file + ": metadata key " + key + " is missing; the file is incomplete — save"
                            + " the module again with PeftIo.save");
        }
        return v;
    }

    private static Map<String, long[]> plan(PeftSpec spec, List<Target> targets) {
        if (spec instanceof LoraSpec l) {
            return LoraModule.plan(l, targets);
        }
        if (spec instanceof DoraSpec d) {
            return DoraModule.plan(d, targets);
        }
        if (spec instanceof Ia3Spec i) {
            return Ia3Module.plan(i, targets);
        }
        return AdapterModule.plan((AdapterSpec) spec, targets);
    }

    /** Where a module of this spec would go in the graph: its layers, components and parameter shapes. */
    private record Where(List<String> layers, List<String> components, Map<String, long[]> shapes) {}

    private static Where where(ModelGraph graph, PeftSpec spec) {
        if (spec instanceof PromptSpec || spec instanceof PrefixSpec) {
            List<dev.floe.components.TransformerEncoder> encoders = Encoders.resolve(graph, spec);
            List<String> names = encoders.stream().map(dev.floe.components.TransformerEncoder::name).toList();
            List<String> layers = new ArrayList<>();
            for (dev.floe.components.TransformerEncoder enc : encoders) {
                if (spec instanceof PromptSpec) {
                    layers.add(enc.name() + "/embeddings");
                } else {
                    for (int i = 0; i < enc.config().layers(); i++) {
                        layers.add(enc.name() + "/layer." + i + "/attention/self");
                    }
                }
            }
            return new Where(layers, names, spec instanceof PromptSpec p ? PromptModule.plan(p, encoders)
                    : PrefixModule.plan((PrefixSpec) spec, encoders));
        }
        List<Target> targets = Targets.resolve(graph, spec);
        return new Where(Targets.paths(targets), components(targets), plan(spec, targets));
    }

    private static Map<String, long[]> shapesOf(PeftModule module) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        module.params().forEach((path, p) -> shapes.put(path, p.shape().getShape()));
        return shapes;
    }

    private static void checkTensors(String what, Map<String, TensorData> tensors, Map<String, long[]> shapes) {
        List<String> problems = new ArrayList<>();
        TreeSet<String> unexpected = new TreeSet<>(tensors.keySet());
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            unexpected.remove(e.getKey());
            TensorData t = tensors.get(e.getKey());
            if (t == null) {
                problems.add("tensor " + e.getKey() + " " + Arrays.toString(e.getValue()) + " is missing");
            } else if (t.dtype() != DType.F32) {
                problems.add("tensor " + e.getKey() + " is " + t.dtype() + " but the model expects F32");
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add("tensor " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + " in the file but the model expects " + Arrays.toString(e.getValue()));
            }
        }
        for (String name : unexpected) {
            problems.add("tensor " + name + " is in the file but not part of the module");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "cannot load " + what + ": " + String.join("; ", problems)
                            + "; nothing was loaded — the file does not fit this model: load it onto the model it"
                            + " was trained with");
        }
    }
}
