package dev.floe.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The registry's JSON: snake_case keys, map keys sorted, nulls left out, unknown keys ignored on read. */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    private Json() {}

    /** Compact JSON text of a value. */
    static String write(Object value) {
        return text(MAPPER.writer(), value);
    }

    /** Indented JSON text of a value, ending with a newline. */
    static String pretty(Object value) {
        return text(MAPPER.writerWithDefaultPrettyPrinter(), value) + "\n";
    }

    private static String text(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** Reads JSON text stored by the registry; {@code where} names it in the error. */
    static <T> T read(String text, Class<T> type, String where) {
        try {
            return MAPPER.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new RegistryException(where + " is not valid JSON for " + type.getSimpleName() + ": "
                    + e.getOriginalMessage() + "; the registry database was edited by hand or damaged — restore it"
                    + " from a backup or an exported bundle", e);
        }
    }

    /** Reads a JSON tree stored by the registry. */
    static JsonNode tree(String text, String where) {
        return read(text, JsonNode.class, where);
    }
}
