package dev.floe.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One point of a sweep: a name, the value it takes on each axis, and the config keys it sets.
 *
 * @param name folder-safe name, unique in the sweep ({@code frozen_encoder-lr0.001})
 * @param axes axis (or set key, for an explicit list) to the name of the value taken, in file order
 * @param sets dotted config key to the value set, in file order
 * @param lines dotted config key to the sweep file line its value is written on (0 when unknown)
 */
public record Variant(String name, Map<String, String> axes, Map<String, JsonNode> sets, Map<String, Integer> lines) {

    /**
     * Copies the maps.
     *
     * @param name folder-safe name, unique in the sweep ({@code frozen_encoder-lr0.001})
     * @param axes axis (or set key, for an explicit list) to the name of the value taken, in file
     *     order
     * @param sets dotted config key to the value set, in file order
     * @param lines dotted config key to the sweep file line its value is written on (0 when
     *     unknown)
     */
    public Variant {
        axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
        sets = Collections.unmodifiableMap(new LinkedHashMap<>(sets));
        lines = Collections.unmodifiableMap(new LinkedHashMap<>(lines));
    }

    /** {@code optimizer.lr: 0.003, policy: [...]}, as the variant reads in messages. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        sets.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(": ").append(v));
        return sb.toString();
    }
}
