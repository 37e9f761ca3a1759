package dev.floe.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Defensive copies of maps for records. */
final class OrderedMaps {

    private OrderedMaps() {}

    /**
     * An unmodifiable copy of {@code map} with its iteration order.
     *
     * @throws NullPointerException naming {@code what} if the map, a key or a value is null
     */
    static <K, V> Map<K, V> copy(Map<K, V> map, String what) {
        if (map == null) {
            throw new NullPointerException(what);
        }
        Map<K, V> copy = new LinkedHashMap<>();
        map.forEach(
                (key, value) -> {
                    if (key == null || value == null) {
                        throw new NullPointerException(
                                what + " has a null key or value (key " + key + "); remove it");
                    }
                    copy.put(key, value);
                });
        return Collections.unmodifiableMap(copy);
    }
}
