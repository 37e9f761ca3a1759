package dev.floe.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One immutable version of a named component: how to build it, what it looks like, which weights it
 * has and its ledger.
 *
 * @param name the registry name, e.g. {@code fmnist-encoder}
 * @param version assigned by the registry: 1, 2, ... per name
 * @param type the component's config type ({@code conv_encoder}, {@code linear_head}, ...)
 * @param config its constructor config as in {@code model.components}, including its name in the
 *     graph (the first segment of its parameter paths)
 * @param inputs input port name to tensor spec
 * @param outputs output port name to tensor spec
 * @param layerOrder declared layer order, bottom first; empty when it declares none
 * @param params parameter path to shape, in path order
 * @param blobSha256 hex SHA-256 of the weights blob (a safetensors file)
 * @param weightsHash {@code sha256:<hex>} content hash of the parameters, as run manifests record it
 * @param ledger where it came from
 */
public record ComponentVersion(
        String name,
        int version,
        String type,
        JsonNode config,
        Map<String, String> inputs,
        Map<String, String> outputs,
        List<String> layerOrder,
        Map<String, List<Long>> params,
        String blobSha256,
        String weightsHash,
        Ledger ledger) {

    /**
     * Copies the port, layer and parameter maps and lists; parameters are kept sorted by path.
     *
     * @param name the registry name, e.g. {@code fmnist-encoder}
     * @param version assigned by the registry: 1, 2, ... per name
     * @param type the component's config type ({@code conv_encoder}, {@code linear_head}, ...)
     * @param config its constructor config as in {@code model.components}, including its name in
     *     the graph (the first segment of its parameter paths)
     * @param inputs input port name to tensor spec
     * @param outputs output port name to tensor spec
     * @param layerOrder declared layer order, bottom first; empty when it declares none
     * @param params parameter path to shape, in path order
     * @param blobSha256 hex SHA-256 of the weights blob (a safetensors file)
     * @param weightsHash {@code sha256:<hex>} content hash of the parameters, as run manifests
     *     record it
     * @param ledger where it came from
     */
    public ComponentVersion {
        inputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputs));
        outputs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
        layerOrder = List.copyOf(layerOrder);
        params = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(params));
    }

    /**
     * This version with its ledger as indented JSON (snake_case keys), ending with a newline.
     *
     * @return the JSON text
     */
    public String toJson() {
        return Json.pretty(this);
    }

    /**
     * {@code name@version}.
     *
     * @return the reference to this version
     */
    public VersionRef ref() {
        return VersionRef.of(name, version);
    }

    /**
     * The component's name inside a graph, the first segment of its parameter paths.
     *
     * @return the component name
     */
    public String component() {
        JsonNode n = config.get("name");
        return n == null ? name : n.asText();
    }

    /**
     * Scalar parameters, buffers included.
     *
     * @return the number of scalars
     */
    public long parameterCount() {
        long total = 0;
        for (List<Long> shape : params.values()) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            total += n;
        }
        return total;
    }
}
