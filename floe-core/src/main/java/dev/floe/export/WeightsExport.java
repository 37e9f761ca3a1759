package dev.floe.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.io.Json;
import dev.floe.io.ModelWeights;
import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import dev.floe.nn.Param;
import dev.floe.peft.Dora;
import dev.floe.peft.Ia3;
import dev.floe.peft.Lora;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Exporting a graph's weights with LoRA merged, as a safetensors file a config's {@code model.init}
 * can load ({@code [{path: FILE, prefix: ""}]}), plus a JSON description of the graph that made them.
 */
public final class WeightsExport {

    /** The {@code format} of the JSON description. */
    public static final String DESCRIPTION_FORMAT = "floe-graph/1";

    private WeightsExport() {}

    /**
     * Merges every active, unmerged LoRA, DoRA and IA3 module into its layers' weights (in place;
     * outputs stay the same within float rounding), LoRA modules first.
     *
     * @param graph the graph whose LoRA modules are merged; changed in place
     * @return the names of all merged LoRA modules
     */
    public static Set<String> mergeLora(ModelGraph graph) {
        Set<String> merged = new TreeSet<>();
        try {
            for (String name : Lora.attached(graph).keySet()) {
                if (graph.activeAdapters().contains(name) && !Lora.isMerged(graph, name)) {
                    Lora.merge(graph, name);
                }
                if (Lora.isMerged(graph, name)) {
                    merged.add(name);
                }
            }
            for (String name : Dora.attached(graph).keySet()) {
                if (graph.activeAdapters().contains(name) && !Dora.isMerged(graph, name)) {
                    Dora.merge(graph, name);
                }
                if (Dora.isMerged(graph, name)) {
                    merged.add(name);
                }
            }
            for (String name : Ia3.attached(graph).keySet()) {
                if (graph.activeAdapters().contains(name) && !Ia3.isMerged(graph, name)) {
                    Ia3.merge(graph, name);
                }
                if (Ia3.isMerged(graph, name)) {
                    merged.add(name);
                }
            }
        } catch (IllegalStateException e) {
            throw new ExportException("cannot export with the modules merged: " + e.getMessage());
        }
        return merged;
    }

    /**
     * The tensors to write, by parameter path: every parameter (buffers included) with LoRA merged,
     * without the merged LoRA modules' own factors. Parameters of other adapters stay.
     *
     * @param graph the graph, with LoRA modules merged or not; not changed
     * @return a new map from parameter path to tensor
     */
    public static Map<String, TensorData> tensors(ModelGraph graph) {
        Set<String> merged = mergeLora(graph);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Param p : graph.parameters().values()) {
            if (p.adapter() == null || !merged.contains(p.adapter())) {
                tensors.put(p.path(), TensorData.ofFloats(p.shape().getShape(), p.toFloatArray()));
            }
        }
        return tensors;
    }

    /**
     * Writes {@link #tensors} to {@code file} with {@code metadata} plus Floe's weights format key;
     * the file is replaced atomically.
     *
     * @param graph the graph to write
     * @param file the safetensors file to write
     * @param metadata string metadata for the file's header
     * @throws IOException if the file cannot be written; an existing file is then unchanged
     */
    public static void write(ModelGraph graph, java.nio.file.Path file, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(ModelWeights.FORMAT_KEY, ModelWeights.FORMAT);
        Safetensors.write(file, tensors(graph), meta);
    }

    /**
     * The JSON description of the exported graph: {@code format}, {@code weights} (the file name),
     * {@code model} (the config's {@code model} section without {@code init}, i.e. inputs, components
     * with their types and settings, wires, outputs), {@code ports} (each component's input and output
     * ports with shapes), {@code merged_lora} (LoRA, DoRA and IA3 modules folded into the weights), {@code adapters}
     * (other adapters whose weights are in the file; a config loading it needs the same {@code peft}
     * entries) and {@code init} (the {@code model.init} entry that loads the file).
     *
     * @param graph the graph whose weights are written
     * @param weightsFileName the weights file's name, as the {@code init} entry names it
     * @return the JSON description
     * @param configText the run's config (YAML)
     * @throws IllegalArgumentException if the config text is not YAML with a {@code model} mapping
     */
    public static String describe(ModelGraph graph, String configText, String weightsFileName) {
        JsonNode config;
        try {
            config = new YAMLMapper().readTree(configText);
        } catch (IOException e) {
            throw new IllegalArgumentException("the run's config is not YAML: " + e.getMessage(), e);
        }
        if (config == null || !config.path("model").isObject()) {
            throw new IllegalArgumentException("the run's config has no model section");
        }
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("format", DESCRIPTION_FORMAT);
        root.put("weights", weightsFileName);
        ObjectNode model = ((ObjectNode) config.get("model")).deepCopy();
        model.remove("init");
        root.set("model", model);
        ObjectNode ports = root.putObject("ports");
        for (Component c : graph.components()) {
            ObjectNode node = ports.putObject(c.name());
            node.put("java_class", c.getClass().getName());
            ObjectNode in = node.putObject("inputs");
            for (PortSpec p : c.inputs()) {
                in.put(p.name(), p.spec().toString());
            }
            ObjectNode out = node.putObject("outputs");
            for (PortSpec p : c.outputs()) {
                out.put(p.name(), p.spec().toString());
            }
        }
        Set<String> merged = mergeLora(graph);
        ArrayNode lora = root.putArray("merged_lora");
        merged.forEach(lora::add);
        ArrayNode adapters = root.putArray("adapters");
        graph.activeAdapters().stream().filter(a -> !merged.contains(a)).sorted().forEach(adapters::add);
        ObjectNode init = root.putArray("init").addObject();
        init.put("path", weightsFileName);
        init.put("prefix", "");
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root) + System.lineSeparator();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the graph description: " + e.getMessage(), e);
        }
    }
}
