package dev.floe.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
import dev.floe.io.AtomicFiles;
import dev.floe.io.DType;
import dev.floe.io.Json;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.io.TensorData;
import dev.floe.nn.Layer;
import dev.floe.nn.Linear;
import dev.floe.nn.Param;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads and writes a LoRA module on a BERT-style {@link TransformerEncoder} (such as MiniLM) as a
 * Hugging Face PEFT adapter folder, so an adapter trained with PEFT in Python loads in Floe and one
 * trained in Floe loads with {@code PeftModel.from_pretrained}.
 *
 * <p>The folder holds two files. {@value #CONFIG_FILE}: {@code peft_type} {@code "LORA"}, {@code r},
 * {@code lora_alpha}, {@code lora_dropout}, {@code target_modules}, {@code base_model_name_or_path},
 * {@code bias}, {@code fan_in_fan_out}, {@code task_type}, {@code use_rslora}, {@code use_dora},
 * {@code rank_pattern}, {@code alpha_pattern} and PEFT's other keys, which the reader ignores.
 * {@value #WEIGHTS_FILE}: one pair of tensors per adapted layer, named as PEFT's
 * {@code get_peft_model_state_dict} names them once the adapter name is removed:
 * {@code base_model.model.<module>.lora_A.weight} of shape {@code [r, in]} and
 * {@code base_model.model.<module>.lora_B.weight} of shape {@code [out, r]}, where {@code <module>} is
 * the layer's name in the Hugging Face {@code BertModel}, e.g.
 * {@code encoder.layer.0.attention.self.query}. The update PEFT adds is
 * {@code (lora_alpha / r) · B A x} ({@code lora_alpha / sqrt(r)} with {@code use_rslora}), Floe's
 * {@link LoraSpec#scale()}.
 *
 * <p>Names map as {@link TransformerEncoder} names its children: module
 * {@code encoder.layer.N.<rest>} is Floe layer {@code <component>/layer.N/<rest with / for .>}, module
 * {@code embeddings.<rest>} is {@code <component>/embeddings/...}. The reader also accepts the names
 * of task models that wrap the encoder in {@code bert.} ({@code BertForSequenceClassification}).
 *
 * <p>Reading is all-or-nothing: the config, every key, every shape and the base model are checked
 * before the module is injected. Errors are one line naming the file, the key and the fix.
 */
public final class PeftFormat {

    /** The adapter config's file name. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** The adapter weights' file name. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** The Hugging Face id of all-MiniLM-L6-v2, the base Floe's {@code minilm} component loads. */
    public static final String MINILM_BASE = "sentence-transformers/all-MiniLM-L6-v2";
    /** Safetensors metadata key holding the Floe base hash of the encoder the adapter was trained on. */
    public static final String BASE_HASH_KEY = "floe.base_hash";

    /** Every key of a PEFT adapter for a BertModel starts with this. */
    static final String PREFIX = "base_model.model.";
    private static final String TASK_MODEL_PREFIX = "bert.";
    private static final String A_SUFFIX = ".lora_A.weight";
    private static final String B_SUFFIX = ".lora_B.weight";
    private static final String LAYER = "layer.";
    private static final String HF_LAYERS = "encoder.layer.";
    /** The Linear a Hugging Face {@code BertModel} has outside the encoder Floe maps: its pooler. */
    private static final String POOLER = "pooler.dense";
    private static final String POOLER_LAST_NAME = "dense";
    private static final Pattern LAYER_PATH = Pattern.compile("layer\\.\\d+(/.*)?");

    private PeftFormat() {}

    /**
     * What {@link #read} loaded.
     *
     * @param spec the injected module's spec (its glob selects exactly the adapted layers)
     * @param layers the Floe paths of the adapted layers, in graph order
     * @param baseModel the folder's {@code base_model_name_or_path}, empty when it gives none
     */
    public record Imported(LoraSpec spec, List<String> layers, java.util.Optional<String> baseModel) {}

    /**
     * As {@link #read(Path, ModelGraph, String, String, String)} without comparing the base model.
     *
     * @param folder the adapter folder ({@value #CONFIG_FILE} and {@value #WEIGHTS_FILE})
     * @param graph a built graph holding the encoder
     * @param component the name of the {@link TransformerEncoder} component, e.g. {@code encoder}
     * @param name the new module's name (letters, digits, '_', '-'), free in the graph
     * @return what was loaded
     * @throws IllegalArgumentException as the other {@code read}, except for the base model
     * @throws IOException if a file cannot be read
     */
    public static Imported read(Path folder, ModelGraph graph, String component, String name) throws IOException {
        return load(folder, graph, component, name, null);
    }

    /**
     * Loads a PEFT LoRA adapter folder onto the encoder {@code component} of {@code graph}: injects a
     * LoRA module named {@code name} on exactly the layers the weights file adapts (freezing the rest
     * of the encoder, as {@link Lora#inject(ModelGraph, LoraSpec)} does), active, with the file's
     * factors. With {@code use_rslora} the module's alpha is {@code lora_alpha · sqrt(r)}, so its
     * scale {@code alpha / r} equals PEFT's {@code lora_alpha / sqrt(r)}.
     *
     * @param folder the adapter folder ({@value #CONFIG_FILE} and {@value #WEIGHTS_FILE})
     * @param graph a built graph holding the encoder
     * @param component the name of the {@link TransformerEncoder} component, e.g. {@code encoder}
     * @param name the new module's name (letters, digits, '_', '-'), free in the graph
     * @param expectedBase the base model the encoder holds, e.g. {@value #MINILM_BASE}, compared with
     *     the folder's {@code base_model_name_or_path} by its last path segment, ignoring case (so a
     *     local copy {@code /models/all-MiniLM-L6-v2} matches)
     * @return what was loaded
     * @throws IllegalArgumentException (one line naming the file, the key and the fix) when a file is
     *     missing or malformed, {@code peft_type} is not {@code LORA}, an option Floe cannot honour is
     *     set ({@code use_dora}, {@code bias} other than {@code none}, {@code fan_in_fan_out},
     *     {@code rank_pattern}, {@code alpha_pattern}), the base model differs, a key is not a LoRA
     *     factor of a layer of the encoder, two keys give the same factor of a layer (e.g. with and
     *     without {@code bert.}), a factor lacks its partner, a shape or dtype does not fit,
     *     or the name is taken; the graph is unchanged then
     * @throws IOException if a file cannot be read
     */
    public static Imported read(Path folder, ModelGraph graph, String component, String name, String expectedBase)
            throws IOException {
        if (expectedBase == null || expectedBase.isBlank()) {
            throw new IllegalArgumentException("the expected base model is empty; give its Hugging Face id, e.g. "
                    + MINILM_BASE + ", or read without the check");
        }
        return load(folder, graph, component, name, expectedBase);
    }

    private static Imported load(Path folder, ModelGraph graph, String component, String name, String expectedBase)
            throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        Path weightsFile = folder.resolve(WEIGHTS_FILE);
        requireFiles(folder, configFile, weightsFile);
        JsonNode config = readConfig(configFile);
        String peftType = config.path("peft_type").asText("");
        if (!peftType.equalsIgnoreCase("LORA")) {
            throw new IllegalArgumentException(configFile + ": peft_type is '" + peftType + "' but Floe reads LORA"
                    + " adapters only; export a LoRA adapter (LoraConfig) from PEFT");
        }
        String baseModel = config.path("base_model_name_or_path").isTextual()
                ? config.get("base_model_name_or_path").asText() : null;
        checkBase(configFile, baseModel, expectedBase);
        refuse(configFile, config, "use_dora", true, "DoRA factors carry a magnitude vector plain LoRA lacks;"
                + " load it as DoRA or export it with use_dora=False");
        refuse(configFile, config, "fan_in_fan_out", true, "BERT's layers are nn.Linear, whose weights are"
                + " [out, in]; set fan_in_fan_out=False (PEFT does the same for Linear layers)");
        String bias = config.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new IllegalArgumentException(configFile + ": bias is '" + bias + "' but Floe loads LoRA factors"
                    + " only (bias 'none'); retrain with bias='none', or set the trained biases another way");
        }
        for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode p = config.path(pattern);
            if (p.isObject() && !p.isEmpty()) {
                throw new IllegalArgumentException(configFile + ": " + pattern + " " + p + " gives layers their own"
                        + " rank or alpha, but a Floe LoRA module has one rank and one alpha; export one adapter per"
                        + " rank, or empty " + pattern);
            }
        }
        int r = positiveInt(configFile, config, "r");
        double loraAlpha = number(configFile, config, "lora_alpha");
        double dropout = config.path("lora_dropout").isNumber() ? config.get("lora_dropout").asDouble() : 0.0;
        boolean rslora = config.path("use_rslora").asBoolean(false);
        double alpha = rslora ? loraAlpha * Math.sqrt(r) : loraAlpha;

        TransformerEncoder encoder = encoder(graph, component);
        Map<String, Linear> linears = linears(encoder);
        SafetensorsFile file = Safetensors.read(weightsFile);
        String savedHash = file.metadata().get(BASE_HASH_KEY);
        // layer path -> {A, B}
        Map<String, TensorData[]> factors = new TreeMap<>();
        Map<String, String> keyOf = new LinkedHashMap<>(); // layer path + A or B -> the key that gave it
        for (Map.Entry<String, TensorData> e : file.tensors().entrySet()) {
            String key = e.getKey();
            boolean isA = key.endsWith(A_SUFFIX);
            if (!key.startsWith(PREFIX) || !(isA || key.endsWith(B_SUFFIX))) {
                throw new IllegalArgumentException(weightsFile + ": key " + key + " is not a LoRA factor (expected "
                        + PREFIX + "<module>.lora_A.weight or .lora_B.weight, e.g. " + PREFIX
                        + "encoder.layer.0.attention.self.query.lora_A.weight); Floe reads the LoRA factors only —"
                        + " save the adapter without modules_to_save and with bias='none'");
            }
            String module = key.substring(PREFIX.length(), key.length() - A_SUFFIX.length());
            String path = floePath(component, module);
            if (path == null || !linears.containsKey(path)) {
                throw new IllegalArgumentException(weightsFile + ": key " + key + " names module " + module
                        + (path == null ? ", which is not part of a BERT encoder" : " (Floe layer " + path + ")")
                        + ", but encoder '" + component + "' has no such Linear layer; its Linear layers are like "
                        + PathGlob.nearest(path == null ? module : path, linears.keySet(), 3)
                        + "; load the adapter onto the model it was trained for");
            }
            String earlier = keyOf.putIfAbsent(path + (isA ? A_SUFFIX : B_SUFFIX), key);
            if (earlier != null) {
                throw new IllegalArgumentException(weightsFile + ": keys " + earlier + " and " + key + " both name layer "
                        + path + ", but a LoRA adapter holds one " + (isA ? "lora_A" : "lora_B") + " per layer; keep"
                        + " the keys of one model (" + PREFIX + "encoder... for a BertModel, " + PREFIX + TASK_MODEL_PREFIX
                        + "encoder... for a task model) and export the adapter again");
            }
            factors.computeIfAbsent(path, p -> new TensorData[2])[isA ? 0 : 1] = e.getValue();
        }
        if (factors.isEmpty()) {
            throw new IllegalArgumentException(weightsFile + " holds no LoRA factors (keys " + PREFIX
                    + "<module>.lora_A.weight); export the adapter again");
        }
        List<String> layers = new ArrayList<>();
        for (String path : linears.keySet()) { // graph order
            if (factors.containsKey(path)) {
                layers.add(path);
            }
        }
        for (String path : layers) {
            Linear lin = linears.get(path);
            TensorData[] ab = factors.get(path);
            String key = PREFIX + hfModule(component, path);
            if (ab[0] == null || ab[1] == null) {
                throw new IllegalArgumentException(weightsFile + ": key " + key + (ab[0] == null ? A_SUFFIX : B_SUFFIX)
                        + " is missing while its partner " + (ab[0] == null ? B_SUFFIX : A_SUFFIX).substring(1)
                        + " is there; the file is incomplete — export the adapter again");
            }
            checkShape(weightsFile, key + A_SUFFIX, ab[0], new long[] {r, lin.in()}, "[r, in]");
            checkShape(weightsFile, key + B_SUFFIX, ab[1], new long[] {lin.out(), r}, "[out, r]");
        }
        LoraSpec spec;
        try {
            spec = new LoraSpec(name, r, alpha, dropout, glob(component, layers, linears.keySet()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
        if (savedHash != null) {
            String found = PeftIo.hash(graph, List.of(component));
            if (!savedHash.equals(found)) {
                throw new IllegalArgumentException(weightsFile + ": metadata " + BASE_HASH_KEY + " says the adapter was"
                        + " trained on encoder weights " + savedHash + " but encoder '" + component + "' is " + found
                        + "; load it onto the encoder it was trained on (e.g. with the run's other trained weights)");
            }
        }
        Lora.inject(graph, spec);
        LoraModule module = Targets.find(graph, name, LoraModule.class);
        for (Target t : module.targets()) {
            TensorData[] ab = factors.get(t.path());
            factor(module, t, "A").load(floats(ab[0]), ab[0].shape());
            factor(module, t, "B").load(floats(ab[1]), ab[1].shape());
        }
        return new Imported(spec, List.copyOf(layers), java.util.Optional.ofNullable(baseModel));
    }

    /**
     * Writes the LoRA module {@code name} as a PEFT adapter folder: {@value #CONFIG_FILE} and
     * {@value #WEIGHTS_FILE} (each written atomically; existing ones are replaced, the folder is
     * created when missing). {@code target_modules} is the list of the layers' last names (e.g.
     * {@code ["query", "value"]}) when those names select exactly the module's layers in a
     * {@code BertModel} (whose {@code pooler.dense} a list holding {@code dense} would also select),
     * else a regular expression matching exactly their module names. {@code task_type} is
     * {@code FEATURE_EXTRACTION} (the keys are those of a plain {@code BertModel}). The weights file's
     * metadata holds {@code format: pt}, as PEFT writes it, and {@value #BASE_HASH_KEY}, the hash of the
     * encoder's own weights, which {@link #read} checks when present. A module merged into the encoder
     * (a run with {@code peft.merge}) is written with its factors and without the hash.
     *
     * @param graph the graph holding the module
     * @param name the LoRA module's name
     * @param folder the adapter folder to write
     * @param baseModel the value of {@code base_model_name_or_path}, e.g. {@value #MINILM_BASE}
     * @throws IllegalArgumentException if no LoRA module has that name, its layers are not all in one
     *     {@link TransformerEncoder}, or the base model is blank
     * @throws IllegalStateException if another LoRA module is merged into the encoder (unmerge it first)
     * @throws IOException if writing fails
     */
    public static void write(ModelGraph graph, String name, Path folder, String baseModel) throws IOException {
        if (baseModel == null || baseModel.isBlank()) {
            throw new IllegalArgumentException("the PEFT adapter needs base_model_name_or_path, the Hugging Face id"
                    + " of the base model, e.g. " + MINILM_BASE + "; pass it (floe peft export --base-model)");
        }
        LoraModule module = Targets.find(graph, name, LoraModule.class);
        Set<String> components = new LinkedHashSet<>();
        module.targets().forEach(t -> components.add(t.component()));
        if (components.size() != 1 || !(graph.component(components.iterator().next()) instanceof TransformerEncoder)) {
            throw new IllegalArgumentException("LoRA '" + name + "' sits on layers of " + components + "; the PEFT"
                    + " format covers a LoRA module on one BERT-style transformer encoder (type minilm or"
                    + " transformer); give the module a target that selects layers of one encoder");
        }
        String component = components.iterator().next();
        for (PeftModule m : Targets.modules(graph).values()) {
            if (m != module && m.merged() && m.targets().stream().anyMatch(t -> t.component().equals(component))) {
                throw new IllegalStateException("cannot export LoRA '" + name + "': LoRA '" + m.name() + "' is merged"
                        + " into encoder '" + component + "', so its weights are not the base the adapter applies to;"
                        + " unmerge it first");
            }
        }
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        List<String> modules = new ArrayList<>();
        for (Target t : module.targets()) {
            String hf = hfModule(component, t.path());
            modules.add(hf);
            tensors.put(PREFIX + hf + A_SUFFIX, tensor(factor(module, t, "A")));
            tensors.put(PREFIX + hf + B_SUFFIX, tensor(factor(module, t, "B")));
        }
        LoraSpec spec = module.spec();
        ObjectNode config = Json.mapper().createObjectNode();
        config.put("peft_type", "LORA");
        config.put("task_type", "FEATURE_EXTRACTION");
        config.put("base_model_name_or_path", baseModel);
        config.put("r", spec.rank());
        config.put("lora_alpha", spec.alpha());
        config.put("lora_dropout", spec.dropout());
        Map<String, Linear> linears = linears((TransformerEncoder) graph.component(component));
        targetModules(config, component, modules, linears);
        config.put("bias", "none");
        config.put("fan_in_fan_out", false);
        config.put("use_rslora", false);
        config.put("use_dora", false);
        config.put("init_lora_weights", true);
        config.put("inference_mode", true);
        config.putNull("modules_to_save");
        config.putNull("layers_to_transform");
        config.putNull("layers_pattern");
        config.putObject("rank_pattern");
        config.putObject("alpha_pattern");
        config.putNull("revision");
        Files.createDirectories(folder);
        Map<String, String> meta = new TreeMap<>();
        meta.put("format", "pt");
        if (!module.merged()) { // merged, the encoder's weights hold the update and are no longer the base
            meta.put(BASE_HASH_KEY, PeftIo.hash(graph, List.of(component)));
        }
        Safetensors.write(folder.resolve(WEIGHTS_FILE), tensors, meta);
        AtomicFiles.writeString(folder.resolve(CONFIG_FILE), Json.write(config));
    }

    /**
     * The Hugging Face module name of a Floe layer path: {@code encoder/layer.0/attention/self/query}
     * to {@code encoder.layer.0.attention.self.query}, {@code encoder/embeddings/x} to {@code embeddings.x}.
     *
     * @param component the encoder component's name
     * @param path a layer path under it
     * @return the module name in a {@code BertModel}
     */
    static String hfModule(String component, String path) {
        String rest = path.substring(component.length() + 1);
        String dotted = rest.replace('/', '.');
        return LAYER_PATH.matcher(rest).matches() ? "encoder." + dotted : dotted;
    }

    /**
     * The Floe layer path of a Hugging Face module name ({@link #hfModule}'s inverse; a leading
     * {@code bert.} is dropped), or null when the name is outside a BERT encoder's layers and
     * embeddings.
     */
    static String floePath(String component, String module) {
        String m = module.startsWith(TASK_MODEL_PREFIX) ? module.substring(TASK_MODEL_PREFIX.length()) : module;
        String rest;
        if (m.startsWith(HF_LAYERS)) {
            rest = m.substring("encoder.".length());
        } else if (m.startsWith("embeddings.")) {
            rest = m;
        } else {
            return null;
        }
        String[] parts = rest.split("\\.");
        StringBuilder sb = new StringBuilder(component);
        for (int i = 0; i < parts.length; i++) {
            sb.append('/').append(parts[i]);
            if (parts[i].equals("layer") && i + 1 < parts.length) {
                sb.append('.').append(parts[++i]);
            }
        }
        return sb.toString();
    }

    /** {@code target_modules}: last names when they select exactly these modules, else an exact regex. */
    private static void targetModules(ObjectNode config, String component, List<String> modules,
            Map<String, Linear> linears) {
        Set<String> lastNames = new LinkedHashSet<>();
        modules.forEach(m -> lastNames.add(m.substring(m.lastIndexOf('.') + 1)));
        Set<String> selected = new LinkedHashSet<>();
        for (String path : linears.keySet()) {
            if (lastNames.contains(path.substring(path.lastIndexOf('/') + 1))) {
                selected.add(hfModule(component, path));
            }
        }
        if (lastNames.contains(POOLER_LAST_NAME)) {
            selected.add(POOLER); // a BertModel has it, the Floe encoder does not; a list would adapt it too
        }
        if (selected.equals(new LinkedHashSet<>(modules))) {
            ArrayNode list = config.putArray("target_modules");
            lastNames.forEach(list::add);
        } else {
            List<String> quoted = modules.stream().map(m -> m.replace(".", "\\.")).toList();
            config.put("target_modules", "(?:" + String.join("|", quoted) + ")");
        }
    }

    /**
     * A glob selecting exactly {@code layers} among {@code all}: {@code C/**}{@code /{last names}} when
     * that is exact, else the layers' {@code layer.N} folders narrowed the same way, else the paths
     * themselves as alternatives.
     */
    static String glob(String component, List<String> layers, Set<String> all) {
        Set<String> last = new LinkedHashSet<>();
        Set<String> blocks = new LinkedHashSet<>();
        for (String p : layers) {
            last.add(p.substring(p.lastIndexOf('/') + 1));
            String rest = p.substring(component.length() + 1);
            blocks.add(rest.substring(0, rest.contains("/") ? rest.indexOf('/') : rest.length()));
        }
        String names = alternatives(last);
        List<String> candidates = List.of(
                component + "/**/" + names,
                component + "/" + alternatives(blocks) + "/**/" + names,
                alternatives(new LinkedHashSet<>(layers)));
        Set<String> wanted = new LinkedHashSet<>(layers);
        for (String candidate : candidates) {
            PathGlob g = PathGlob.compile(candidate);
            Set<String> hit = new LinkedHashSet<>();
            for (String p : all) {
                if (g.matches(p)) {
                    hit.add(p);
                }
            }
            if (hit.equals(wanted)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no glob selects exactly " + layers + "; this is a bug in Floe");
    }

    private static String alternatives(Set<String> names) {
        return names.size() == 1 ? names.iterator().next() : "{" + String.join(",", names) + "}";
    }

    private static void requireFiles(Path folder, Path configFile, Path weightsFile) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + " is not a folder; give the PEFT adapter folder that holds "
                    + CONFIG_FILE + " and " + WEIGHTS_FILE + " (what PeftModel.save_pretrained writes)");
        }
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(folder + " has no " + CONFIG_FILE + "; give the folder"
                    + " PeftModel.save_pretrained wrote");
        }
        if (!Files.isRegularFile(weightsFile)) {
            boolean pickle = Files.isRegularFile(folder.resolve("adapter_model.bin"));
            throw new IllegalArgumentException(folder + " has no " + WEIGHTS_FILE
                    + (pickle ? " (only adapter_model.bin, a PyTorch pickle Floe does not read); save it again with"
                            + " save_pretrained(..., safe_serialization=True)"
                            : "; give the folder PeftModel.save_pretrained wrote"));
        }
    }

    private static JsonNode readConfig(Path configFile) throws IOException {
        JsonNode config;
        try {
            config = Json.mapper().readTree(configFile.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(configFile + " is not valid JSON (" + e.getOriginalMessage()
                    + "); restore the file PEFT wrote", e);
        }
        if (config == null || !config.isObject()) {
            throw new IllegalArgumentException(configFile + " is not a JSON object; restore the file PEFT wrote");
        }
        return config;
    }

    private static void checkBase(Path configFile, String found, String expected) {
        if (expected == null) {
            return;
        }
        if (found == null) {
            throw new IllegalArgumentException(configFile + ": base_model_name_or_path is missing, so the adapter's"
                    + " base cannot be checked against " + expected + "; set it to " + expected + " if the adapter"
                    + " was trained on that model");
        }
        if (!lastSegment(found).equals(lastSegment(expected))) {
            throw new IllegalArgumentException(configFile + ": base_model_name_or_path is '" + found + "' but the"
                    + " model here is " + expected + "; an adapter only fits the model it was trained on — load it"
                    + " onto " + found + ", or pass that model as the expected base if it is a copy of it");
        }
    }

    private static String lastSegment(String id) {
        String s = id.replace('\\', '/');
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.substring(s.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }

    private static void refuse(Path configFile, JsonNode config, String key, boolean value, String why) {
        if (config.path(key).isBoolean() && config.get(key).asBoolean() == value) {
            throw new IllegalArgumentException(configFile + ": " + key + " is " + value + ", which Floe's LoRA"
                    + " cannot load: " + why);
        }
    }

    private static int positiveInt(Path configFile, JsonNode config, String key) {
        JsonNode n = config.path(key);
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
            throw new IllegalArgumentException(configFile + ": " + key + " must be a whole number >= 1 (the LoRA"
                    + " rank), found " + (n.isMissingNode() ? "nothing" : n.toString()) + "; restore the file PEFT wrote");
        }
        return n.asInt();
    }

    private static double number(Path configFile, JsonNode config, String key) {
        JsonNode n = config.path(key);
        if (!n.isNumber()) {
            throw new IllegalArgumentException(configFile + ": " + key + " must be a number, found "
                    + (n.isMissingNode() ? "nothing" : n.toString()) + "; restore the file PEFT wrote");
        }
        return n.asDouble();
    }

    private static TransformerEncoder encoder(ModelGraph graph, String component) {
        Component c;
        try {
            c = graph.component(component);
        } catch (RuntimeException e) {
            c = null;
        }
        if (!(c instanceof TransformerEncoder enc)) {
            throw new IllegalArgumentException("component '" + component + "' is " + (c == null ? "not in the graph"
                    : "a " + c.getClass().getSimpleName()) + "; PEFT LoRA adapters load onto a BERT-style"
                    + " transformer encoder (type minilm or transformer) — name that component");
        }
        return enc;
    }

    /** The encoder's Linear layers by path, in graph order. */
    private static Map<String, Linear> linears(TransformerEncoder encoder) {
        Map<String, Linear> out = new LinkedHashMap<>();
        for (Layer layer : encoder.layers().values()) {
            if (layer instanceof Linear lin) {
                out.put(lin.path(), lin);
            }
        }
        return out;
    }

    private static void checkShape(Path file, String key, TensorData t, long[] expected, String layout) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new IllegalArgumentException(file + ": key " + key + " is " + t.dtype() + " but LoRA factors are"
                    + " F32, F16 or BF16; export the adapter in one of those");
        }
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(file + ": key " + key + " has shape " + Arrays.toString(t.shape())
                    + " but the layer and r give " + layout + " = " + Arrays.toString(expected) + "; the adapter was"
                    + " made for another model or r in " + CONFIG_FILE + " is wrong");
        }
    }

    /** Factor {@code A} or {@code B} of the module on one layer: parameter {@code <layer>/lora/<name>/<which>}. */
    private static Param factor(LoraModule module, Target t, String which) {
        return module.params().get(t.path() + "/" + LoraModule.SEGMENT + "/" + module.name() + "/" + which);
    }

    private static TensorData tensor(Param p) {
        return TensorData.ofFloats(p.shape().getShape(), p.toFloatArray());
    }

    /** The tensor's values as floats; F16 and BF16 are widened exactly. */
    static float[] floats(TensorData t) {
        if (t.dtype() == DType.F32) {
            return t.toFloats();
        }
        ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(t.numElements())];
        for (int i = 0; i < out.length; i++) {
            int bits = b.getShort() & 0xFFFF;
            out[i] = t.dtype() == DType.BF16 ? Float.intBitsToFloat(bits << 16) : halfToFloat(bits);
        }
        return out;
    }

    /** IEEE binary16 bits to float, exactly (subnormals, infinities and NaN included). */
    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal: mant · 2^-24
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
