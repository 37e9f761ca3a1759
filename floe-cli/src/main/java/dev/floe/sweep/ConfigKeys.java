package dev.floe.sweep;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.floe.config.ExperimentConfig;
import dev.floe.graph.PathGlob;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dotted config key paths ({@code optimizer.lr}, {@code model.components[0].widths}) checked against
 * the schema of experiment configs: the records of {@link ExperimentConfig}, read by reflection, so a
 * key added there is accepted here without a list to keep in step. Polymorphic sections
 * ({@code optimizer}, {@code model.components[i]}) are checked against the type the base config
 * gives them.
 */
final class ConfigKeys {

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
    private static final Pattern SEGMENT = Pattern.compile("([a-z][a-z0-9_]*)((?:\\[\\d+\\])*)");
    private static final Pattern INDEX = Pattern.compile("\\[(\\d+)\\]");
    private static final int HINTS = 3;

    private ConfigKeys() {}

    /**
     * A path as segments: keys (String) and list indices (Integer).
     *
     * @throws IllegalArgumentException when it is not {@code key(.key)*} with optional {@code [i]} after a key
     */
    static List<Object> segments(String path) {
        List<Object> out = new ArrayList<>();
        for (String part : path.split("\\.", -1)) {
            Matcher m = SEGMENT.matcher(part);
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + path + "' is not a config key path; write keys joined by dots,"
                        + " with [i] for a list entry, e.g. optimizer.lr or model.components[0].widths");
            }
            out.add(m.group(1));
            Matcher i = INDEX.matcher(m.group(2));
            while (i.find()) {
                out.add(Integer.parseInt(i.group(1)));
            }
        }
        return out;
    }

    /**
     * Checks that {@code path} names a key of the config schema.
     *
     * @param base the base config as a tree: picks the type of polymorphic sections and bounds list indices
     * @throws IllegalArgumentException naming the first key that does not exist there and the nearest
     *     valid keys, or an index past the end of a list of the base config
     */
    static void check(String path, JsonNode base) {
        List<Object> segs = segments(path);
        Type type = ExperimentConfig.class;
        JsonNode here = base;
        StringBuilder done = new StringBuilder();
        for (Object seg : segs) {
            Class<?> raw = raw(type);
            if (seg instanceof Integer i) {
                if (!List.class.isAssignableFrom(raw)) {
                    throw new IllegalArgumentException("'" + path + "': " + where(done) + " is not a list, so [" + i
                            + "] does not exist; remove the index");
                }
                if (!here.isMissingNode() && (!here.isArray() || i >= here.size())) {
                    throw new IllegalArgumentException("'" + path + "': " + where(done) + " has " + here.size()
                            + " entries in the base config, so [" + i + "] does not exist; use an index below " + here.size());
                }
                type = argument(type, 0);
                here = here.path(i);
                done.append('[').append(i).append(']');
                continue;
            }
            String key = (String) seg;
            if (JsonNode.class.isAssignableFrom(raw) || raw == Object.class) {
                return; // free-form below here
            }
            if (Map.class.isAssignableFrom(raw)) {
                type = argument(type, 1);
            } else if (raw.isRecord() || raw.isInterface() && raw.isAnnotationPresent(JsonTypeInfo.class)) {
                Class<?> record = raw.isRecord() ? raw : subtype(raw, here, key);
                Map<String, Type> keys = keys(record, raw);
                if (!keys.containsKey(key)) {
                    String prefix = done.length() == 0 ? "" : done + ".";
                    List<String> valid = keys.keySet().stream().map(k -> prefix + k).toList();
                    throw new IllegalArgumentException("'" + path + "' is not a config key: " + (done.length() == 0
                            ? "the top level" : done + describe(raw, here)) + " has no key '" + key
                            + "'; nearest valid keys: " + String.join(", ", PathGlob.nearest(prefix + key, valid, HINTS)));
                }
                type = keys.get(key);
            } else {
                throw new IllegalArgumentException("'" + path + "' is not a config key: " + where(done) + " is a single value ("
                        + kind(raw) + "), it has no key '" + key + "'; set " + where(done) + " itself");
            }
            here = here.path(key);
            done.append(done.length() == 0 ? "" : ".").append(key);
        }
    }

    private static String kind(Class<?> raw) {
        if (raw == Double.class || raw == Float.class || raw == double.class) {
            return "a number";
        }
        if (raw == Long.class || raw == Integer.class || raw == long.class || raw == int.class) {
            return "an integer";
        }
        if (raw == Boolean.class || raw == boolean.class) {
            return "true or false";
        }
        return raw == String.class ? "a string" : "a " + raw.getSimpleName();
    }

    private static String where(CharSequence done) {
        return done.length() == 0 ? "the top level" : done.toString();
    }

    private static String describe(Class<?> raw, JsonNode here) {
        String type = here.path("type").asText("");
        return raw.isInterface() && !type.isEmpty() ? " (type " + type + ")" : "";
    }

    /** The record a polymorphic section is: by the base config's {@code type}, else one that has {@code key}. */
    private static Class<?> subtype(Class<?> base, JsonNode here, String key) {
        JsonSubTypes sub = base.getAnnotation(JsonSubTypes.class);
        String type = here.path("type").asText("");
        Class<?> fallback = base.getAnnotation(JsonTypeInfo.class).defaultImpl();
        for (JsonSubTypes.Type t : sub.value()) {
            if (t.name().equals(type)) {
                return t.value();
            }
        }
        if (type.isEmpty() && !here.isMissingNode() && fallback != null && fallback != JsonTypeInfo.class) {
            return fallback; // e.g. a component given by from:
        }
        for (JsonSubTypes.Type t : sub.value()) {
            if (keys(t.value(), base).containsKey(key)) {
                return t.value();
            }
        }
        return sub.value()[0].value();
    }

    /** A record's YAML keys with their types ({@code type} too when it is a polymorphic section's). */
    private static Map<String, Type> keys(Class<?> record, Class<?> declared) {
        Map<String, Type> keys = new java.util.TreeMap<>();
        for (RecordComponent c : record.getRecordComponents()) {
            keys.put(SNAKE.translate(c.getName()), c.getGenericType());
        }
        if (declared.isInterface()) {
            keys.putIfAbsent("type", String.class);
        }
        return keys;
    }

    private static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class;
    }

    private static Type argument(Type t, int i) {
        return t instanceof ParameterizedType p && p.getActualTypeArguments().length > i
                ? p.getActualTypeArguments()[i]
                : Object.class;
    }
}
