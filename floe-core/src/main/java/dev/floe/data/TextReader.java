package dev.floe.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads labelled texts into a {@link TextDataset} from JSON Lines or CSV, optionally gzipped
 * (recognised by the content; a {@code .gz} suffix, in any case, is skipped when the format is told
 * from the name).
 *
 * <ul>
 *   <li><b>JSONL</b> ({@code .jsonl}, {@code .ndjson}): one JSON object per line, blank lines
 *       skipped; the text field must be a string, the label field a string (class name) or an
 *       integer (class index). Other fields are ignored.
 *   <li><b>CSV</b> ({@code .csv}): RFC 4180 — comma-separated, a header row naming the columns,
 *       fields optionally in double quotes, a quote inside a quoted field written twice, quoted
 *       fields may hold commas and line breaks (kept as they are, CRLF included); lines may end in
 *       LF or CRLF; empty lines are skipped; the header names each column once. A label cell that is a non-negative integer and not one
 *       of the given class names is a class index, anything else a class name (trimmed).
 * </ul>
 *
 * <p>Classes: with {@link Builder#optClassNames} the label of each row must be one of those names
 * or an index into them. Without, string labels give the distinct names in sorted order (so train
 * and test files agree whatever their row order), integer labels give names {@code "0".."max"};
 * a file may not mix the two. Files are UTF-8. Line numbers in errors are 1-based physical lines
 * (for a CSV record, the line it starts on).
 *
 * <pre>{@code
 * TextDataset train = TextReader.builder().setPath(Path.of("datasets/spam-assassin/train.jsonl.gz"))
 *         .optClassNames(List.of("ham", "spam")).build().read();
 * }</pre>
 */
public final class TextReader {

    /** File formats. */
    public enum Format {
        /** JSON Lines: one object per line. */
        JSONL,
        /** RFC 4180 comma-separated values with a header row. */
        CSV;

        /**
         * The format a file name says: {@code .jsonl} or {@code .ndjson} is JSONL, {@code .csv} is CSV,
         * each optionally followed by {@code .gz}, in any case.
         *
         * @param path the file whose name is read; the file is not opened
         * @return the format, or null when the name ends in none of these
         */
        public static Format fromName(Path path) {
            String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
            n = n.endsWith(".gz") ? n.substring(0, n.length() - 3) : n;
            if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
                return JSONL;
            }
            return n.endsWith(".csv") ? CSV : null;
        }
    }

    /**
     * How error messages name the options that fix a problem: the builder methods by default
     * ({@link #BUILDER}), a config's keys when a config chose them.
     *
     * @param textField the option choosing the text field or column
     * @param labelField the option choosing the label field or column
     * @param classNames the option listing the class names
     */
    public record OptionKeys(String textField, String labelField, String classNames) {
        /**
         * Checks that no name is null.
         *
         * @param textField the option choosing the text field or column
         * @param labelField the option choosing the label field or column
         * @param classNames the option listing the class names
         */
        public OptionKeys {
            java.util.Objects.requireNonNull(textField, "textField");
            java.util.Objects.requireNonNull(labelField, "labelField");
            java.util.Objects.requireNonNull(classNames, "classNames");
        }
    }

    /** The builder methods. */
    public static final OptionKeys BUILDER = new OptionKeys("optTextField", "optLabelField", "optClassNames");

    /** Text field or column used unless another is chosen. */
    public static final String DEFAULT_TEXT_FIELD = "text";
    /** Label field or column used unless another is chosen. */
    public static final String DEFAULT_LABEL_FIELD = "label";

    private static final Pattern INDEX = Pattern.compile("\\d+");
    private static final char BYTE_ORDER_MARK = '\uFEFF';
    private static final int SHOWN_CHARS = 40;

    private final Path path;
    private final Format format;
    private final String textField;
    private final String labelField;
    private final List<String> classNames;
    private final String name;
    private final OptionKeys keys;

    private TextReader(Builder b) {
        this.path = b.path;
        this.format = b.format != null ? b.format : formatOf(b.path);
        this.textField = b.textField;
        this.labelField = b.labelField;
        this.classNames = b.classNames;
        this.name = b.name != null ? b.name : b.path.toString();
        this.keys = b.keys;
    }

    /**
     * A builder; {@link Builder#setPath} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a file with the default fields, inferring format and classes; see {@link #read()}.
     *
     * @param path a JSONL or CSV file, plain or gzipped
     * @return the data set
     */
    public static TextDataset read(Path path) {
        return builder().setPath(path).build().read();
    }

    private static Format formatOf(Path path) {
        Format format = Format.fromName(path);
        if (format != null) {
            return format;
        }
        throw new IllegalArgumentException("cannot tell the format of " + path + " from its name (expected .jsonl,"
                + " .ndjson or .csv, optionally .gz); call optFormat(TextReader.Format.JSONL) or CSV");
    }

    /** One example as read: its line, text and raw label (a String or an Integer). */
    private record Row(long line, String text, Object label) {}

    /**
     * Reads the file.
     *
     * @return the data set
     * @throws DataFormatException naming the file, line and field when a line is not a JSON object,
     *     a field or column is missing or of the wrong type, a label is unknown or out of range, a
     *     file mixes string and integer labels, a CSV quote is unterminated or a record has the wrong
     *     number of fields, the content is not UTF-8 or not valid gzip, or there is no example
     * @throws UncheckedIOException if the file cannot be read at all
     */
    public TextDataset read() {
        List<Row> rows = TextFiles.read(path, text -> format == Format.JSONL ? readJsonl(text) : readCsv(text));
        if (rows.isEmpty()) {
            throw new DataFormatException(path, "holds no examples; expected at least one "
                    + (format == Format.JSONL ? "JSON object line" : "CSV record after the header"));
        }
        return toDataset(rows);
    }

    private List<Row> readJsonl(BufferedReader lines) throws IOException {
        ObjectMapper json = Json.mapper();
        List<Row> rows = new ArrayList<>();
        long lineNo = 0;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            lineNo++;
            if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == BYTE_ORDER_MARK) {
                line = line.substring(1);
            }
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (JsonProcessingException e) {
                throw new DataFormatException(path, "line " + lineNo + ": not valid JSON ("
                        + e.getOriginalMessage() + "); write one JSON object per line");
            }
            if (node == null || !node.isObject()) {
                throw new DataFormatException(path, "line " + lineNo + ": expected a JSON object, found "
                        + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT))
                        + "; write one object per line, e.g. {\"" + textField + "\": \"...\", \"" + labelField + "\": \"spam\"}");
            }
            JsonNode text = node.get(textField);
            if (text == null || !text.isTextual()) {
                throw new DataFormatException(path, "line " + lineNo + ", field '" + textField + "': "
                        + (text == null ? "missing (fields are " + fieldNames(node) + ")" : "expected a string, found " + kind(text))
                        + "; choose the text field with " + keys.textField());
            }
            JsonNode label = node.get(labelField);
            Object value;
            if (label != null && label.isTextual()) {
                value = label.textValue();
            } else if (label != null && label.isIntegralNumber() && label.canConvertToInt()) {
                value = label.intValue();
            } else {
                throw new DataFormatException(path, "line " + lineNo + ", field '" + labelField + "': "
                        + (label == null ? "missing (fields are " + fieldNames(node) + ")" : "expected a class name"
                                + " (string) or class index (integer), found " + kind(label) + " " + label)
                        + "; choose the label field with " + keys.labelField());
            }
            rows.add(new Row(lineNo, text.textValue(), value));
        }
        return rows;
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private List<Row> readCsv(BufferedReader text) throws IOException {
        CsvRecords csv = new CsvRecords(text, path, ',');
        List<String> header = csv.next();
        if (header == null) {
            return List.of();
        }
        List<String> columns = header.stream().map(String::trim).toList();
        CsvRecords.requireUniqueNames(path, columns, csv.recordLine());
        int textCol = column(columns, textField, keys.textField());
        int labelCol = column(columns, labelField, keys.labelField());
        List<Row> rows = new ArrayList<>();
        for (List<String> record = csv.next(); record != null; record = csv.next()) {
            if (record.size() != columns.size()) {
                throw new DataFormatException(path, "line " + csv.recordLine() + ": " + record.size() + " fields where the"
                        + " header " + columns + " has " + columns.size() + "; quote fields that contain commas");
            }
            String label = record.get(labelCol).trim();
            Object value = INDEX.matcher(label).matches() && (classNames == null || !classNames.contains(label))
                    ? parseIndex(label, csv.recordLine())
                    : label;
            if (label.isEmpty()) {
                throw new DataFormatException(path, "line " + csv.recordLine() + ", field '" + labelField
                        + "': empty; every row needs a class name or index");
            }
            rows.add(new Row(csv.recordLine(), record.get(textCol), value));
        }
        return rows;
    }

    private Object parseIndex(String label, long line) {
        try {
            return Integer.parseInt(label);
        } catch (NumberFormatException e) {
            throw new DataFormatException(path, "line " + line + ", field '" + labelField + "': class index "
                    + label + " is too large; expected a small non-negative integer or a class name");
        }
    }

    private int column(List<String> columns, String wanted, String option) {
        int i = columns.indexOf(wanted);
        if (i < 0) {
            throw new DataFormatException(path, "line 1: the header " + columns + " has no column '" + wanted
                    + "'; name it in the header or choose the column with " + option);
        }
        return i;
    }

    private TextDataset toDataset(List<Row> rows) {
        List<String> names = classNames;
        if (names == null) {
            boolean strings = rows.get(0).label instanceof String;
            TreeSet<String> distinct = new TreeSet<>();
            int max = -1;
            for (Row r : rows) {
                if ((r.label instanceof String) != strings) {
                    throw new DataFormatException(path, "line " + r.line + ", field '" + labelField + "': "
                            + describe(r.label) + " but line " + rows.get(0).line + " has " + describe(rows.get(0).label)
                            + "; use class names or class indices throughout, or give the names with " + keys.classNames());
                }
                if (strings) {
                    distinct.add((String) r.label);
                } else {
                    max = Math.max(max, (Integer) r.label);
                }
            }
            if (strings) {
                names = List.copyOf(distinct);
            } else {
                List<String> numbered = new ArrayList<>();
                for (int c = 0; c <= max; c++) {
                    numbered.add(Integer.toString(c));
                }
                names = numbered;
            }
        }
        List<String> texts = new ArrayList<>(rows.size());
        int[] labels = new int[rows.size()];
        for (int i = 0; i < labels.length; i++) {
            Row r = rows.get(i);
            texts.add(r.text);
            labels[i] = labelIndex(r, names);
        }
        return TextDataset.of(name, texts, labels, names);
    }

    private int labelIndex(Row r, List<String> names) {
        if (r.label instanceof Integer index) {
            if (index < 0 || index >= names.size()) {
                throw new DataFormatException(path, "line " + r.line + ", field '" + labelField + "': class index "
                        + index + " is outside [0, " + names.size() + ") for classes " + names
                        + "; fix the label or give more class names in " + keys.classNames());
            }
            return index;
        }
        int index = names.indexOf((String) r.label);
        if (index < 0) {
            throw new DataFormatException(path, "line " + r.line + ", field '" + labelField + "': unknown class '"
                    + shorten((String) r.label) + "'; the classes are " + names + " — fix the label or add the class to "
                    + keys.classNames());
        }
        return index;
    }

    private static String describe(Object label) {
        return label instanceof String s ? "class name '" + shorten(s) + "'" : "class index " + label;
    }

    private static String shorten(String s) {
        return s.length() <= SHOWN_CHARS ? s : s.substring(0, SHOWN_CHARS) + "...";
    }

    /** Options of a {@link TextReader}. */
    public static final class Builder {
        private Path path;
        private Format format;
        private String textField = DEFAULT_TEXT_FIELD;
        private String labelField = DEFAULT_LABEL_FIELD;
        private List<String> classNames;
        private String name;
        private OptionKeys keys = BUILDER;

        private Builder() {}

        /**
         * How messages name the options that fix a problem (default {@link TextReader#BUILDER}).
         *
         * @param keys the option names to use in messages
         * @return this builder
         */
        public Builder optOptionKeys(OptionKeys keys) {
            this.keys = java.util.Objects.requireNonNull(keys, "keys");
            return this;
        }

        /**
         * The file to read (required).
         *
         * @param path the JSONL or CSV file, plain or gzipped
         * @return this builder
         */
        public Builder setPath(Path path) {
            this.path = path;
            return this;
        }

        /**
         * The format; default from the file name ({@code .jsonl}, {@code .ndjson}, {@code .csv},
         * each optionally {@code .gz}).
         *
         * @param format the format
         * @return this builder
         */
        public Builder optFormat(Format format) {
            this.format = format;
            return this;
        }

        /**
         * The JSON field or CSV column holding the text (default
         * {@value TextReader#DEFAULT_TEXT_FIELD}).
         *
         * @param field the field or column name
         * @return this builder
         */
        public Builder optTextField(String field) {
            this.textField = requireName(field, "text field");
            return this;
        }

        /**
         * The JSON field or CSV column holding the label (default
         * {@value TextReader#DEFAULT_LABEL_FIELD}).
         *
         * @param field the field or column name
         * @return this builder
         */
        public Builder optLabelField(String field) {
            this.labelField = requireName(field, "label field");
            return this;
        }

        /**
         * Fixes the classes and their order (label {@code k} is {@code names.get(k)}); rows must use
         * these names or indices into them. Use the same names for train and test files.
         *
         * @param names distinct class names; copied
         * @return this builder
         */
        public Builder optClassNames(List<String> names) {
            if (names == null || names.isEmpty()) {
                throw new IllegalArgumentException("class names are empty; give at least one, e.g. List.of(\"ham\", \"spam\")");
            }
            this.classNames = List.copyOf(names);
            return this;
        }

        /**
         * The data set's name (default: the path).
         *
         * @param name a description such as {@code "reviews train"}
         * @return this builder
         */
        public Builder optName(String name) {
            this.name = name;
            return this;
        }

        private static String requireName(String s, String what) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException(what + " is empty; give the field or column name");
            }
            return s;
        }

        /**
         * Checks the options and makes the reader; nothing is read yet.
         *
         * @return a new reader
         * @throws IllegalArgumentException if no path was set or the format cannot be told from its name
         */
        public TextReader build() {
            if (path == null) {
                throw new IllegalArgumentException("TextReader needs a file; call setPath(path)");
            }
            return new TextReader(this);
        }
    }
}
