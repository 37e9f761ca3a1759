package dev.floe.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * YAML to {@link ExperimentConfig} and back to JSON, turning Jackson's exceptions into
 * {@link ConfigException}s that name the file, line, column and key path.
 */
final class ConfigReader {

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    /**
     * Largest config accepted, in bytes. Configs are a few KB; the limit stops a wrong or hostile
     * file before it is parsed.
     */
    static final int MAX_CONFIG_BYTES = 1 << 20;

    /** Deepest nesting of maps and lists accepted; configs need about six levels. */
    static final int MAX_NESTING = 64;

    private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                    .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL) // an empty "-" entry is null, as without a factory
                    .build())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** Path segments shown before a long path is cut, e.g. inside a value nested a thousand deep. */
    private static final int SHOWN_SEGMENTS = 6;

    private ConfigReader() {}

    /** The error for a config of {@code bytes} bytes, over {@link #MAX_CONFIG_BYTES}. */
    static ConfigException tooBig(String source, long bytes) {
        return new ConfigException(source, ConfigException.UNKNOWN, ConfigException.UNKNOWN, "", "the config is "
                + bytes + " bytes, more than the " + MAX_CONFIG_BYTES + " a config may have; a config is a few"
                + " KB of YAML: check that this is the config file", null);
    }

    static ExperimentConfig parse(byte[] yaml, String source) {
        return parseAs(yaml, source, ExperimentConfig.class, "the config is empty; expected the sections "
                + sorted(ExperimentConfig.SECTIONS) + " as in examples/fashion-finetune.yaml");
    }

    /**
     * Reads YAML into {@code type} with the limits and error messages of configs.
     *
     * @param whenEmpty the message for a file with no document
     */
    static <T> T parseAs(byte[] yaml, String source, Class<T> type, String whenEmpty) {
        if (yaml.length > MAX_CONFIG_BYTES) {
            throw tooBig(source, yaml.length);
        }
        rejectAliases(yaml, source);
        try (JsonParser p = YAML.createParser(yaml)) {
            if (p.nextToken() == null) {
                throw new ConfigException(source, ConfigException.UNKNOWN, ConfigException.UNKNOWN, "", whenEmpty, null);
            }
            return YAML.readValue(p, type);
        } catch (JsonProcessingException e) {
            throw translate(e, yaml, source);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse config " + source + ": " + e, e);
        }
    }

    /**
     * Jackson does not expand YAML aliases: {@code *name} would silently become the string
     * {@code "name"}. Refusing them also makes alias bombs harmless.
     */
    private static void rejectAliases(byte[] yaml, String source) {
        try (YAMLParser p = (YAMLParser) YAML.createParser(yaml)) {
            while (p.nextToken() != null) {
                if (p.isCurrentAlias()) {
                    JsonLocation loc = p.currentTokenLocation();
                    throw new ConfigException(source, line(loc), column(loc), "", "YAML alias *" + p.getText()
                            + " is not supported; write the value out in full where it is used", null);
                }
            }
        } catch (JsonProcessingException e) {
            throw translate(e, yaml, source);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse config " + source + ": " + e, e);
        }
    }

    /** The 1-based line of the key (or list entry) at {@code path}, or {@link ConfigException#UNKNOWN}. */
    static int lineOf(byte[] yaml, List<Object> path) {
        return line(locate(yaml, path).location());
    }

    /** YAML text of a tree, in the layout configs are read in. */
    static byte[] toYaml(com.fasterxml.jackson.databind.JsonNode tree) {
        try {
            return YAML.writeValueAsBytes(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write YAML: " + e.getOriginalMessage(), e);
        }
    }

    static String toJson(ExperimentConfig config) {
        try {
            return JSON.writeValueAsString(config) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write config as JSON: " + e.getOriginalMessage(), e);
        }
    }

    // ---- error translation --------------------------------------------------------------------

    private static ConfigException translate(JsonProcessingException e, byte[] yaml, String source) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof org.yaml.snakeyaml.error.MarkedYAMLException y) {
                return malformed(y, source, e);
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof StreamConstraintsException limit) {
                return tooLarge(limit, e, yaml, source);
            }
            if (c instanceof StreamReadException r && r.getProcessor() != null) {
                ConfigException read = unreadable(r, r.getProcessor(), e, yaml, source);
                if (read != null) {
                    return read;
                }
            }
        }
        if (e instanceof JsonMappingException m) {
            List<Object> path = path(m);
            if (m instanceof UnrecognizedPropertyException u) {
                List<String> known = new ArrayList<>();
                for (Object id : u.getKnownPropertyIds() == null ? List.of() : u.getKnownPropertyIds()) {
                    known.add(String.valueOf(id));
                }
                return unknownKey(u.getPropertyName(), u.getReferringClass(), known,
                        path.subList(0, Math.max(0, path.size() - 1)), yaml, source, u);
            }
            if (m instanceof InvalidTypeIdException t) {
                return unknownType(t, path, yaml, source);
            }
            if (m instanceof ValueInstantiationException v && v.getCause() instanceof IllegalArgumentException bad) {
                return invalidValue(v, bad, path, yaml, source);
            }
            if (m instanceof MismatchedInputException mi && mi.getTargetType() != null) {
                return wrongType(mi, path, yaml, source);
            }
            return at(source, yaml, path, render(path), m.getOriginalMessage(), e);
        }
        JsonLocation loc = e.getLocation();
        String detail = e.getOriginalMessage();
        if (e instanceof StreamConstraintsException) {
            detail = "the config nests maps and lists more than " + MAX_NESTING + " levels deep; a config needs a"
                    + " handful: check for unclosed brackets";
        } else if (e instanceof JsonParseException && detail.startsWith("Duplicate field")) {
            detail = "key " + detail.substring("Duplicate field ".length()) + " appears twice in one map;"
                    + " keep one of them";
        } else {
            detail = "malformed YAML: " + detail + "; fix the syntax";
        }
        return new ConfigException(source, line(loc), column(loc), "", detail, e);
    }

    /**
     * A value the YAML reader could not take, found while reading: a key written twice in one map,
     * a number too large for its key's type, or {@code .nan} / {@code .inf}; null for other problems.
     * Named by where the reader stood, which also covers the maps of schedules that have no record.
     */
    private static ConfigException unreadable(StreamReadException r, JsonParser p, JsonProcessingException e,
            byte[] yaml, String source) {
        String original = r.getOriginalMessage() == null ? "" : r.getOriginalMessage();
        List<Object> at = contextPath(p.getParsingContext());
        if (original.startsWith("Duplicate field")) {
            List<Object> map = at.isEmpty() ? at : at.subList(0, at.size() - 1);
            String key = at.isEmpty() ? quoted(original) : String.valueOf(at.get(at.size() - 1));
            JsonLocation loc = r.getLocation();
            return new ConfigException(source, line(loc), column(loc), render(map), "key '" + key + "' appears twice"
                    + (map.isEmpty() ? " at the top level" : "") + "; keep one of them", e);
        }
        if (r instanceof InputCoercionException coercion) {
            String value = between(original, "(", ")");
            boolean isLong = coercion.getTargetType() == Long.TYPE || coercion.getTargetType() == Long.class;
            boolean negative = value != null && value.startsWith("-");
            String bound = negative
                    ? "at least " + (isLong ? Long.MIN_VALUE : Integer.MIN_VALUE)
                    : "at most " + (isLong ? Long.MAX_VALUE : Integer.MAX_VALUE);
            return at(source, yaml, at, render(at), "expected an integer " + bound
                    + (value == null ? "" : ", found " + value) + "; fix the value", e);
        }
        if (original.startsWith("Malformed numeric value")) {
            String value = quoted(original);
            return at(source, yaml, at, render(at), "expected a finite number, found " + value
                    + "; NaN and infinities are not allowed", e);
        }
        return null;
    }

    /**
     * The file passes one of the reader's size limits (nesting depth, length of a number, text or
     * key). Named by where the reader stood, the path cut after a few segments.
     */
    private static ConfigException tooLarge(StreamConstraintsException limit, JsonProcessingException e, byte[] yaml,
            String source) {
        String original = limit.getOriginalMessage() == null ? "" : limit.getOriginalMessage();
        JsonLocation[] failedAt = new JsonLocation[1];
        String found = between(original, "(", ")");
        // a long number may have been read as text and failed only when converted: find it by its length
        Predicate<JsonParser> culprit = p -> {
            try {
                return found != null && p.currentToken().isScalarValue()
                        && Integer.toString(p.getText().length()).equals(found.trim());
            } catch (IOException unreadableText) {
                return false;
            }
        };
        List<Object> at = limit.getProcessor() instanceof JsonParser p ? contextPath(p.getParsingContext())
                : whereReadingFails(yaml, failedAt, culprit);
        if (at == null) {
            at = e instanceof JsonMappingException m ? path(m) : List.of();
        }
        String where = at.size() > SHOWN_SEGMENTS
                ? render(at.subList(0, SHOWN_SEGMENTS)) + "..."
                : render(at);
        String max = between(original.substring(Math.max(0, original.indexOf("maximum"))), "(", ",");
        String limitText = max == null ? "" : " (the limit is " + max.trim() + ")";
        String detail;
        if (original.contains("nesting depth")) {
            detail = "the YAML nests deeper than a config can" + limitText
                    + "; a config needs a few levels, so look for a value pasted by mistake or unbalanced brackets";
        } else if (original.startsWith("Number value length")) {
            detail = "a number written with " + found + " characters is longer than a config can hold" + limitText
                    + "; fix the value";
        } else if (original.startsWith("String value length")) {
            detail = "a text value of " + found + " characters is longer than a config can hold" + limitText
                    + "; fix the value";
        } else if (original.startsWith("Name length")) {
            detail = "a key of " + found + " characters is longer than a config can hold" + limitText + "; fix the key";
        } else {
            detail = "the file is larger than a config can be: " + original.replaceAll(",? ?from `[^`]*`", "")
                    + "; fix the file";
        }
        JsonLocation loc = limit.getLocation() != null ? limit.getLocation()
                : failedAt[0] != null ? failedAt[0] : e.getLocation();
        if (loc == null) {
            return at(source, yaml, at, where, detail, e);
        }
        return new ConfigException(source, line(loc), column(loc), where, detail, e);
    }

    /**
     * Reads the file token by token to where reading fails or to the first token that
     * {@code culprit} picks, for errors that the object mapper reports only at the record or map it
     * was filling: the path there (null when there is no such place), and its location in
     * {@code location[0]}.
     */
    private static List<Object> whereReadingFails(byte[] yaml, JsonLocation[] location,
            Predicate<JsonParser> culprit) {
        try (JsonParser p = YAML.createParser(yaml)) {
            try {
                for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                    if (culprit.test(p)) {
                        location[0] = p.currentTokenLocation();
                        return contextPath(p.getParsingContext());
                    }
                }
                return null;
            } catch (JsonProcessingException failed) {
                location[0] = failed.getLocation() != null ? failed.getLocation() : p.currentLocation();
                return contextPath(p.getParsingContext());
            }
        } catch (IOException | RuntimeException e) {
            return null; // locating is best effort
        }
    }

    /** The keys (String) and list indices (Integer) from the top of the file to where the reader stands. */
    private static List<Object> contextPath(JsonStreamContext context) {
        LinkedList<Object> out = new LinkedList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                out.addFirst(Math.max(0, c.getCurrentIndex()));
            } else if (c.getCurrentName() != null) {
                out.addFirst(c.getCurrentName());
            }
        }
        return new ArrayList<>(out);
    }

    /** The text between the first pair of single quotes, or the whole text. */
    private static String quoted(String text) {
        String q = between(text, "'", "'");
        return q == null ? text : q;
    }

    private static String between(String text, String open, String close) {
        int a = text.indexOf(open);
        int b = a < 0 ? -1 : text.indexOf(close, a + open.length());
        return b < 0 ? null : text.substring(a + open.length(), b);
    }

    /**
     * A record's constructor refused its values. Jackson builds a record before it reports the
     * unknown keys it buffered, so a misspelt required key shows up here as a missing one: report
     * the unknown key instead, which is the real mistake.
     */
    private static ConfigException invalidValue(ValueInstantiationException v, IllegalArgumentException bad,
            List<Object> path, byte[] yaml, String source) {
        Class<?> type = v.getType() == null ? null : v.getType().getRawClass();
        if (type != null && type.isRecord()) {
            List<String> valid = keys(type);
            for (String key : keysAt(yaml, path)) {
                if (!valid.contains(key)) {
                    return unknownKey(key, type, valid, path, yaml, source, v);
                }
            }
        }
        if (bad instanceof Fields.FieldException f) {
            List<Object> keyPath = new ArrayList<>(path);
            if (f.inside() != null) {
                keyPath.addAll(f.inside());
            } else {
                keyPath.add(f.key());
            }
            String where = render(f.inside() != null ? keyPath : path);
            Located at = locate(yaml, keyPath);
            if (at.location() == null && f.inside() != null) {
                List<Object> keyOnly = new ArrayList<>(path);
                keyOnly.add(f.key());
                at = locate(yaml, keyOnly);
            }
            if (at.location() != null) {
                return new ConfigException(source, line(at.location()), column(at.location()), where,
                        bad.getMessage(), v);
            }
            return at(source, yaml, path, where, bad.getMessage(), v);
        }
        return at(source, yaml, path, render(path), bad.getMessage(), v);
    }

    private static ConfigException unknownKey(String key, Class<?> owner, List<String> knownKeys,
            List<Object> parent, byte[] yaml, String source, Throwable cause) {
        TreeSet<String> known = new TreeSet<>(knownKeys);
        if (owner != null && isPolymorphic(owner)) {
            known.add("type");
        }
        String detail;
        if (owner == PolicyRule.class) {
            detail = "unknown action '" + key + "'; a policy entry takes exactly one of freeze or train (plus"
                    + " lr_scale on train rules), e.g. - freeze: \"encoder/**\"";
        } else {
            detail = "unknown key '" + key + "'" + (parent.isEmpty() ? " at the top level" : "")
                    + "; valid keys are " + String.join(", ", known) + "; fix the spelling or remove the key";
        }
        List<Object> keyPath = new ArrayList<>(parent);
        keyPath.add(key);
        return at(source, yaml, keyPath, render(parent), detail, cause);
    }

    private static ConfigException unknownType(InvalidTypeIdException t, List<Object> path, byte[] yaml,
            String source) {
        Class<?> base = t.getBaseType() == null ? null : t.getBaseType().getRawClass();
        String what = base == OptimizerConfig.class ? "optimizer type" : base == ComponentConfig.class
                ? "component type" : "type";
        String valid = base == null ? "" : "; valid types are " + String.join(", ", typeNames(base));
        String detail = t.getTypeId() == null
                ? "missing key 'type'" + valid
                : "unknown " + what + " '" + t.getTypeId() + "'" + valid;
        List<Object> typeKey = new ArrayList<>(path);
        typeKey.add("type");
        Located typeAt = locate(yaml, typeKey);
        return typeAt.location() != null
                ? new ConfigException(source, line(typeAt.location()), column(typeAt.location()), render(path), detail, t)
                : at(source, yaml, path, render(path), detail, t);
    }

    private static ConfigException wrongType(MismatchedInputException e, List<Object> path, byte[] yaml, String source) {
        Located found = locate(yaml, path);
        String value = e instanceof InvalidFormatException f && f.getValue() != null
                ? "'" + f.getValue() + "'"
                : found.value();
        String detail = "expected " + describe(e.getTargetType()) + (value == null ? "" : ", found " + value);
        return at(source, yaml, path, render(path), detail, e);
    }

    private static ConfigException malformed(org.yaml.snakeyaml.error.MarkedYAMLException y, String source,
            Exception e) {
        org.yaml.snakeyaml.error.Mark mark = y.getProblemMark() != null ? y.getProblemMark() : y.getContextMark();
        StringBuilder detail = new StringBuilder("malformed YAML: ").append(oneLine(y.getProblem()));
        if (y.getContext() != null && y.getContextMark() != null) {
            detail.append(" (").append(oneLine(y.getContext())).append(" that starts at line ")
                    .append(y.getContextMark().getLine() + 1).append(')');
        }
        detail.append("; check the indentation (spaces, not tabs), colons and closing brackets or quotes");
        return new ConfigException(source, mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1,
                "", detail.toString(), e);
    }

    /** An error at {@code path}, located at the key (or list entry) that path ends with. */
    private static ConfigException at(String source, byte[] yaml, List<Object> path, String where, String detail,
            Throwable cause) {
        JsonLocation loc = locate(yaml, path).location();
        if (loc == null && !path.isEmpty() && cause instanceof JsonProcessingException j) {
            loc = j.getLocation();
        }
        return new ConfigException(source, line(loc), column(loc), where, detail, cause);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Path segments: field names (String) and list indices (Integer). */
    private static List<Object> path(JsonMappingException e) {
        List<Object> out = new ArrayList<>();
        for (JsonMappingException.Reference r : e.getPath()) {
            out.add(r.getFieldName() != null ? r.getFieldName() : (Object) r.getIndex());
        }
        return out;
    }

    /** {@code model.components[1].widths}. */
    static String render(List<Object> path) {
        StringBuilder sb = new StringBuilder();
        for (Object seg : path) {
            if (seg instanceof Integer i) {
                sb.append('[').append(i).append(']');
            } else {
                sb.append(sb.length() > 0 ? "." : "").append(seg);
            }
        }
        return sb.toString();
    }

    private record Located(JsonLocation location, String value) {}

    /** What {@link #walk} does with the parser once it stands on the value at the path. */
    private interface AtValue<T> {
        T visit(JsonParser parser, JsonToken value, JsonLocation keyLocation) throws IOException;
    }

    /**
     * Walks the YAML to {@code path}: the location of its last key (or list entry) and a short
     * description of the value found there; nulls when the path is not in the file.
     */
    private static Located locate(byte[] yaml, List<Object> path) {
        Located none = new Located(null, null);
        return walk(yaml, path, none, (p, t, loc) -> new Located(loc, describe(t, p)));
    }

    /** The keys of the map at {@code path}, in file order; empty when it is not a map. */
    private static List<String> keysAt(byte[] yaml, List<Object> path) {
        return walk(yaml, path, List.of(), (p, t, loc) -> {
            List<String> keys = new ArrayList<>();
            if (t == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    keys.add(p.currentName());
                    p.nextToken();
                    p.skipChildren();
                }
            }
            return keys;
        });
    }

    private static <T> T walk(byte[] yaml, List<Object> path, T notFound, AtValue<T> visitor) {
        try (JsonParser p = YAML.createParser(yaml)) {
            JsonToken t = p.nextToken();
            JsonLocation loc = null;
            for (Object seg : path) {
                if (seg instanceof String key) {
                    if (t != JsonToken.START_OBJECT) {
                        return notFound;
                    }
                    boolean found = false;
                    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                        if (key.equals(p.currentName())) {
                            loc = p.currentTokenLocation();
                            t = p.nextToken();
                            found = true;
                            break;
                        }
                        p.nextToken();
                        p.skipChildren();
                    }
                    if (!found) {
                        return notFound;
                    }
                } else {
                    int index = (Integer) seg;
                    if (t != JsonToken.START_ARRAY) {
                        return notFound;
                    }
                    t = p.nextToken();
                    for (int i = 0; i < index && t != JsonToken.END_ARRAY && t != null; i++) {
                        p.skipChildren();
                        t = p.nextToken();
                    }
                    if (t == JsonToken.END_ARRAY || t == null) {
                        return notFound;
                    }
                    loc = p.currentTokenLocation();
                }
            }
            return visitor.visit(p, t, loc);
        } catch (IOException | RuntimeException e) {
            return notFound; // the file parsed once already; locating is best effort
        }
    }

    private static String describe(JsonToken t, JsonParser p) throws IOException {
        if (t == null) {
            return null;
        }
        return switch (t) {
            case START_OBJECT -> "a map";
            case START_ARRAY -> "a list";
            case VALUE_NULL -> "nothing (null)";
            case VALUE_STRING -> "'" + p.getText() + "'";
            default -> p.getText();
        };
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == Float.class || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a map";
        }
        if (type.isRecord()) {
            return "a map with keys " + String.join(", ", keys(type));
        }
        if (type.isInterface() && type.isAnnotationPresent(JsonSubTypes.class)) {
            return "a map with a type key (" + String.join(", ", typeNames(type)) + ")";
        }
        return "a " + type.getSimpleName();
    }

    /** The YAML keys of a config record, sorted. */
    private static List<String> keys(Class<?> record) {
        TreeSet<String> keys = new TreeSet<>();
        for (RecordComponent c : record.getRecordComponents()) {
            keys.add(SNAKE.translate(c.getName()));
        }
        if (isPolymorphic(record)) {
            keys.add("type");
        }
        return List.copyOf(keys);
    }

    private static boolean isPolymorphic(Class<?> type) {
        return Arrays.stream(type.getInterfaces()).anyMatch(i -> i.isAnnotationPresent(JsonTypeInfo.class));
    }

    private static List<String> typeNames(Class<?> base) {
        JsonSubTypes sub = base.getAnnotation(JsonSubTypes.class);
        if (sub == null) {
            return List.of();
        }
        return Arrays.stream(sub.value()).map(JsonSubTypes.Type::name).sorted().toList();
    }

    private static String sorted(Collection<String> names) {
        return names.stream().sorted().collect(Collectors.joining(", "));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    private static int line(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 1 ? ConfigException.UNKNOWN : loc.getLineNr();
    }

    private static int column(JsonLocation loc) {
        return loc == null || loc.getColumnNr() < 1 ? ConfigException.UNKNOWN : loc.getColumnNr();
    }
}
