package dev.floe.io;

import java.util.Map;

/**
 * The full content of a safetensors file, as returned by {@link Safetensors#read}.
 *
 * @param tensors tensors by name, in the order of their data offsets in the file; unmodifiable
 * @param metadata the {@code __metadata__} string map, empty if the file has none; unmodifiable
 */
public record SafetensorsFile(Map<String, TensorData> tensors, Map<String, String> metadata) {

    /**
     * Copies both maps, keeping the iteration order of {@code tensors}.
     *
     * @param tensors tensors by name, in the order of their data offsets in the file; unmodifiable
     * @param metadata the {@code __metadata__} string map, empty if the file has none; unmodifiable
     */
    public SafetensorsFile {
        tensors = OrderedMaps.copy(tensors, "tensors");
        metadata = OrderedMaps.copy(metadata, "metadata");
    }
}
