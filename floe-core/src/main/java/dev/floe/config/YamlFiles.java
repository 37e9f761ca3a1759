package dev.floe.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * YAML files read the way experiment configs are (size and nesting limits, no aliases, no duplicate
 * keys, unknown keys refused), for other files that sit beside configs, such as sweep files. Errors
 * are {@link ConfigException}s naming the file, line and key path.
 */
public final class YamlFiles {

    private YamlFiles() {}

    /**
     * Reads {@code yaml} into a record type whose components are the snake_case keys.
     *
     * @param <T> the record type
     * @param yaml the file's bytes, UTF-8
     * @param type the record class
     * @return the parsed record
     * @param source the file as the user named it, for messages
     * @param whenEmpty the message for a file with no document: what was expected
     * @throws ConfigException naming the line and key of an unknown key, a wrong type or malformed YAML
     */
    public static <T> T parse(byte[] yaml, String source, Class<T> type, String whenEmpty) {
        return ConfigReader.parseAs(yaml, source, type, whenEmpty);
    }

    /**
     * The 1-based line where the key or list entry at {@code path} is written, or
     * {@link ConfigException#UNKNOWN} when the file does not have it.
     *
     * @param yaml the file's bytes, UTF-8
     * @return the line, or {@link ConfigException#UNKNOWN}
     * @param path keys (String) and list indices (Integer) from the top
     */
    public static int line(byte[] yaml, List<Object> path) {
        return ConfigReader.lineOf(yaml, path);
    }

    /**
     * A tree as YAML text, in the layout configs are read in.
     *
     * @param tree the tree
     * @return the YAML bytes, UTF-8
     */
    public static byte[] toYaml(JsonNode tree) {
        return ConfigReader.toYaml(tree);
    }
}
