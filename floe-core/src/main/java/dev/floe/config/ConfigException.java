package dev.floe.config;

/**
 * An experiment config that cannot be read or used. The message says where (config file, 1-based
 * line and column, and the key path such as {@code training} or {@code model.components[1]}, each
 * when known), what was expected, what was found and how to fix it:
 *
 * <pre>
 * exp.yaml line 31, column 15: training: unknown key 'epoch'; valid keys are batch_size, epochs; fix the spelling or remove the key
 * </pre>
 *
 * <p>It is an {@link IllegalArgumentException}, so callers that report bad input already handle it.
 */
public final class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Line or column value meaning "not known". */
    public static final int UNKNOWN = 0;

    /** The config file as the user named it, or null. */
    private final String source;
    /** 1-based line, or {@link #UNKNOWN}. */
    private final int line;
    /** 1-based column, or {@link #UNKNOWN}. */
    private final int column;
    /** Key path of the problem; empty for the whole config. */
    private final String where;
    /** Expected, found and fix, without the location. */
    private final String detail;

    /**
     * @param source the config file as the user named it, or null when unknown
     * @param line 1-based line, or {@link #UNKNOWN}
     * @param column 1-based column, or {@link #UNKNOWN}
     * @param where key path ({@code training}, {@code model.components[1]}); empty for the whole config
     * @param detail expected, found and fix
     * @param cause the underlying failure, or null
     */
    public ConfigException(String source, int line, int column, String where, String detail, Throwable cause) {
        super(compose(source, line, column, where, detail), cause);
        this.source = source;
        this.line = line;
        this.column = column;
        this.where = where == null ? "" : where;
        this.detail = detail;
    }

    /**
     * An error at a key path, without file position (found after parsing, e.g. while building the
     * graph).
     *
     * @param where key path of the problem; empty for the whole config
     * @param detail expected, found and fix
     * @param cause the underlying failure, or null
     */
    public ConfigException(String where, String detail, Throwable cause) {
        this(null, UNKNOWN, UNKNOWN, where, detail, cause);
    }

    private static String compose(String source, int line, int column, String where, String detail) {
        StringBuilder sb = new StringBuilder();
        if (source != null) {
            sb.append(source);
        }
        if (line > 0) {
            sb.append(sb.length() > 0 ? " " : "").append("line ").append(line);
            if (column > 0) {
                sb.append(", column ").append(column);
            }
        }
        if (sb.length() > 0) {
            sb.append(": ");
        }
        if (where != null && !where.isEmpty()) {
            sb.append(where).append(": ");
        }
        return sb.append(detail).toString();
    }

    /**
     * The same error attributed to a config file, for errors found after parsing (building the
     * graph, resolving the policy, reading data), where the file is not known; unchanged when it
     * already names one.
     *
     * @param source the config file as the user named it
     * @return a new exception naming {@code source}, or this one when it already names a file
     */
    public ConfigException withSource(String source) {
        return this.source != null || source == null
                ? this
                : new ConfigException(source, line, column, where, detail, getCause());
    }

    /**
     * The config file as named by the user, or null.
     *
     * @return the file name, or null
     */
    public String source() {
        return source;
    }

    /**
     * 1-based line of the problem, or {@link #UNKNOWN}.
     *
     * @return the line, or {@link #UNKNOWN}
     */
    public int line() {
        return line;
    }

    /**
     * 1-based column of the problem, or {@link #UNKNOWN}.
     *
     * @return the column, or {@link #UNKNOWN}
     */
    public int column() {
        return column;
    }

    /**
     * Key path of the problem ({@code training}, {@code model.components[1]}); empty for the whole
     * config.
     *
     * @return the key path
     */
    public String where() {
        return where;
    }

    /**
     * The message without the location.
     *
     * @return the detail
     */
    public String detail() {
        return detail;
    }
}
