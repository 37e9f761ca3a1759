package dev.floe.data;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads a numeric CSV file into a {@link Dataset}: one example per line, every column a number
 * except one label column holding a non-negative integer class index. Each example has feature
 * shape {@code {columns - 1}}, the feature columns in file order.
 *
 * <p>The format: UTF-8, optionally gzipped (recognised by its content, so {@code data.csv.gz} just
 * works); one delimiter character; RFC 4180 quoting (a cell may be in double quotes); cells trimmed of
 * surrounding whitespace; blank lines skipped. Line numbers in errors are 1-based and count every
 * line of the file, header included.
 *
 * <p>The header, when there is one (the default), must name every column once: a name that repeats
 * is an error, since the label column is found by name. A header whose every cell is a number is an
 * error too: it is the first example of a file without a header, and reading it as names would drop
 * that example and look the label up among values. Read such a file with {@code optHeader(false)}
 * and {@code optLabelIndex}.
 *
 * <pre>{@code
 * Dataset iris = CsvReader.builder().setPath(Path.of("iris.csv")).optLabelColumn("species").build().read();
 * }</pre>
 */
public final class CsvReader {

    /** Label column used when a header is present and no other label column is chosen. */
    public static final String DEFAULT_LABEL_COLUMN = "label";

    private static final int UNSET = -1;
    /** A decimal number as written in CSV files: what makes a header cell look like data. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final int SHOWN_CELLS = 5;

    private final Path path;
    private final String labelColumn;
    private final int labelIndex;
    private final boolean header;
    private final char delimiter;
    private final int numClasses;
    private final String name;
    private final OptionNames names;
    private final boolean autoHeader;
    private final List<String> dropColumns;
    private final List<String> labelValues;

    private CsvReader(Builder b) {
        this.path = b.path;
        this.labelColumn = b.labelColumn == null ? DEFAULT_LABEL_COLUMN : b.labelColumn;
        this.labelIndex = b.labelIndex;
        this.header = b.header;
        this.delimiter = b.delimiter;
        this.numClasses = b.numClasses;
        this.name = b.name == null ? b.path.toString() : b.name;
        this.names = b.names;
        this.autoHeader = b.autoHeader;
        this.dropColumns = b.dropColumns;
        this.labelValues = b.labelValues;
    }

    /**
     * A builder; {@link Builder#setPath} is required, everything else has a default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a comma-separated file with a header and a {@value #DEFAULT_LABEL_COLUMN} column,
     * inferring the number of classes as the largest label + 1.
     *
     * @param path the CSV file, plain or gzipped
     * @return the data set, one float feature per non-label column
     * @throws DataFormatException as {@link #read()}
     */
    public static Dataset read(Path path) {
        return builder().setPath(path).build().read();
    }

    /**
     * Reads the file.
     *
     * @return the data set, one float feature per column that is neither the label nor dropped
     * @throws DataFormatException naming the line, column and bad value if a cell is not a number,
     *     a line has the wrong number of columns, the header names a column twice or holds only
     *     numbers (the file has no header), the label column is missing, a label is not a
     *     non-negative integer or not below {@code numClasses}, a quote is misplaced, the file is not
     *     UTF-8 or its gzip stream is damaged, or there are no data lines
     * @throws UncheckedIOException if the file cannot be read at all (missing, a folder, no permission)
     */
    public Dataset read() {
        return TextFiles.read(path, this::parse);
    }

    private Dataset parse(Reader text) throws IOException {
        CsvRecords csv = new CsvRecords(text, path, delimiter);
        List<String> columns = null; // header names, or null without a header
        int width = UNSET; // number of columns per line
        int labelAt = labelIndex;
        long widthLine = UNSET; // the line that fixed width
        float[] features = new float[1024];
        int[] labels = new int[64];
        int rows = 0;
        int maxLabel = UNSET;
        boolean named = header; // whether the first line holds names (decided on it with auto header)
        boolean[] dropped = null; // per column
        int kept = 0; // feature columns kept
        for (List<String> record = csv.next(); record != null; record = csv.next()) {
            long lineNo = csv.recordLine();
            String[] cells = record.stream().map(String::trim).toArray(String[]::new);
            if (cells.length == 1 && cells[0].isEmpty()) {
                continue; // a line of blanks
            }
            if (width == UNSET) {
                width = cells.length;
                widthLine = lineNo;
                if (width < 2) {
                    throw error(lineNo, "found 1 column \"" + cells[0] + "\"; expected a label column and at least"
                            + " one feature column; check the delimiter '" + delimiter + "'"
                            + (names.delimiter() == null ? "" : " (set it with " + names.delimiter() + ")"));
                }
                named = autoHeader ? !allNumbers(cells) : header;
                if (named) {
                    if (!autoHeader) {
                        requireNamesNotNumbers(cells, lineNo);
                    }
                    CsvRecords.requireUniqueNames(path, List.of(cells), lineNo);
                    columns = List.of(cells);
                }
                labelAt = locateLabel(cells, lineNo, named);
                dropped = droppedColumns(cells, lineNo, named, labelAt);
                for (int col = 0; col < width; col++) {
                    kept += col == labelAt || dropped[col] ? 0 : 1;
                }
                if (kept == 0) {
                    throw error(lineNo, "no feature column is left: the columns are " + Arrays.toString(cells)
                            + ", the label column is index " + labelAt + " and the others are dropped; drop fewer columns");
                }
                if (named) {
                    continue;
                }
            }
            if (cells.length != width) {
                throw error(lineNo, "found " + cells.length + " columns but expected " + width
                        + (columns != null ? " as in the header " + columns : " as on line " + widthLine)
                        + "; fill in missing values or check the delimiter '" + delimiter + "'");
            }
            if ((long) (rows + 1) * kept > features.length) {
                features = Arrays.copyOf(features, Math.max(features.length * 2, (rows + 1) * kept));
            }
            if (rows == labels.length) {
                labels = Arrays.copyOf(labels, labels.length * 2);
            }
            int f = rows * kept;
            for (int col = 0; col < width; col++) {
                if (col == labelAt) {
                    labels[rows] = parseLabel(cells[col], lineNo, col, columns);
                    maxLabel = Math.max(maxLabel, labels[rows]);
                } else if (!dropped[col]) {
                    features[f++] = parseFeature(cells[col], lineNo, col, columns);
                }
            }
            rows++;
        }
        if (rows == 0) {
            throw new DataFormatException(path, width == UNSET
                    ? "is empty; expected " + (header ? "a header line and " : "") + "one line per example"
                    : "no data lines" + (named ? " after the header" : "") + "; expected at least one example");
        }
        int classes = labelValues != null ? labelValues.size() : numClasses == UNSET ? maxLabel + 1 : numClasses;
        return Dataset.wrap(name, new long[] {kept}, Arrays.copyOf(features, rows * kept),
                Arrays.copyOf(labels, rows), classes);
    }

    /** Whether every cell is a number: a first line that is data, not a header. */
    static boolean allNumbers(String[] cells) {
        for (String cell : cells) {
            if (!NUMBER.matcher(cell).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Which columns {@code dropColumns} names, checked against the header. */
    private boolean[] droppedColumns(String[] firstCells, long lineNo, boolean named, int labelAt) {
        boolean[] dropped = new boolean[firstCells.length];
        if (dropColumns.isEmpty()) {
            return dropped;
        }
        if (!named) {
            throw error(lineNo, "columns to drop are found by their header names, but the file has no header (every"
                    + " cell of the first line is a number); add a header line or keep every column");
        }
        List<String> header = Arrays.asList(firstCells);
        for (String d : dropColumns) {
            int at = header.indexOf(d);
            if (at < 0) {
                throw error(lineNo, "cannot drop column \"" + d + "\": the header " + header + " has no such column; "
                        + (names.dropColumns() == null ? "fix the name" : "fix the name in " + names.dropColumns()));
            }
            if (at == labelAt) {
                throw error(lineNo, "cannot drop column \"" + d + "\": it is the label column; "
                        + (names.dropColumns() == null ? "remove it from the columns to drop"
                                : "remove it from " + names.dropColumns()));
            }
            dropped[at] = true;
        }
        return dropped;
    }

    /**
     * A header made only of numbers is the first example of a file without a header: taking it for
     * column names would lose that example and find columns by names that are values.
     */
    private void requireNamesNotNumbers(String[] cells, long lineNo) {
        for (String cell : cells) {
            if (!NUMBER.matcher(cell).matches()) {
                return;
            }
        }
        String shown = String.join(", ", Arrays.asList(cells).subList(0, Math.min(cells.length, SHOWN_CELLS)))
                + (cells.length > SHOWN_CELLS ? ", ..." : "");
        throw error(lineNo, "expected a header of column names but every cell is a number (" + shown + "): the file"
                + " looks like it has no header line; add a header line naming the columns"
                + (names.header() == null || names.labelIndex() == null ? ""
                        : ", or set " + names.header() + " to false and " + names.labelIndex()
                                + " to the label's 0-based column index"));
    }

    /** Index of the label column, given the first non-blank line (the header, if there is one). */
    private int locateLabel(String[] firstCells, long lineNo, boolean named) {
        if (labelIndex != UNSET) {
            if (labelIndex >= firstCells.length) {
                throw error(lineNo, "label index " + labelIndex + " is outside the " + firstCells.length
                        + " columns " + (named ? Arrays.toString(firstCells) : "of the first line")
                        + "; " + (names.labelIndex() == null ? "choose an index" : "set " + names.labelIndex())
                        + " below " + firstCells.length);
            }
            return labelIndex;
        }
        if (!named) {
            throw error(lineNo, "every cell of the first line is a number, so the file has no header and the label"
                    + " column \"" + labelColumn + "\" cannot be found by name; "
                    + (names.labelIndex() == null ? "add a header line" : "set " + names.labelIndex()
                            + " to the label's 0-based column index, or add a header line"));
        }
        int at = Arrays.asList(firstCells).indexOf(labelColumn);
        if (at < 0) {
            throw error(lineNo, "no label column \"" + labelColumn + "\" in the header " + Arrays.toString(firstCells)
                    + "; " + (names.labelColumn() == null ? "name the label column \"" + labelColumn + "\" in the header"
                            : "set " + names.labelColumn() + " to one of these columns"));
        }
        return at;
    }

    private float parseFeature(String cell, long lineNo, int col, List<String> columns) {
        float value;
        try {
            value = Float.parseFloat(cell);
        } catch (NumberFormatException e) {
            value = Float.NaN;
        }
        if (!Float.isFinite(value)) {
            throw error(lineNo, column(col, columns) + ": expected a finite number but found \"" + cell
                    + "\"; every column except the label must be numeric, fix or remove the value");
        }
        return value;
    }

    private int parseLabel(String cell, long lineNo, int col, List<String> columns) {
        if (labelValues != null) {
            int at = labelValues.indexOf(cell);
            if (at < 0) {
                throw error(lineNo, column(col, columns) + ": label \"" + cell + "\" is not one of the labels "
                        + labelValues + "; fix the label" + (names.labelValues() == null ? "" : " or add it to "
                                + names.labelValues()));
            }
            return at;
        }
        int label;
        try {
            label = Integer.parseInt(cell);
        } catch (NumberFormatException e) {
            throw error(lineNo, column(col, columns) + ": expected a non-negative integer label but found \""
                    + cell + "\"; labels are class indices 0, 1, 2, ...");
        }
        if (label < 0) {
            throw error(lineNo, column(col, columns) + ": expected a non-negative integer label but found "
                    + label + "; labels are class indices 0, 1, 2, ...");
        }
        if (numClasses != UNSET && label >= numClasses) {
            throw error(lineNo, column(col, columns) + ": label " + label + " is out of range [0, " + numClasses
                    + ") for " + numClasses + " classes; " + (names.numClasses() == null ? "" : "raise " + names.numClasses()
                    + " or ") + "fix the label");
        }
        return label;
    }

    private static String column(int col, List<String> columns) {
        return columns == null ? "column index " + col : "column \"" + columns.get(col) + "\" (index " + col + ")";
    }

    private DataFormatException error(long lineNo, String detail) {
        return new DataFormatException(path, "line " + lineNo + ", " + detail);
    }

    @Override
    public String toString() {
        return "CsvReader[" + path + ", label " + (labelIndex != UNSET ? "index " + labelIndex : "\"" + labelColumn + "\"")
                + ", header=" + header + ", delimiter='" + delimiter + "', numClasses="
                + (numClasses == UNSET ? "inferred" : numClasses) + "]";
    }

    /** Options of a {@link CsvReader}; {@code set*} is required, {@code opt*} optional. */
    public static final class Builder {
        private Path path;
        private String labelColumn;
        private int labelIndex = UNSET;
        private boolean header = true;
        private char delimiter = ',';
        private int numClasses = UNSET;
        private String name;
        private OptionNames names = OptionNames.BUILDER;
        private boolean autoHeader;
        private List<String> dropColumns = List.of();
        private List<String> labelValues;

        private Builder() {}

        /**
         * Decide from the first non-blank line whether the file has a header: it has none when every
         * cell of that line is a number. Without a header the label column needs
         * {@link #optLabelIndex}. Overrides {@link #optHeader}.
         *
         * @return this builder
         */
        public Builder optHeaderAuto() {
            this.autoHeader = true;
            this.header = true;
            return this;
        }

        /**
         * Columns to ignore, by header name; each must be in the header and not be the label
         * column.
         *
         * @param columns header names of the columns to ignore; copied
         * @return this builder
         */
        public Builder optDropColumns(List<String> columns) {
            this.dropColumns = List.copyOf(columns);
            return this;
        }

        /**
         * The label values in class order, e.g. {@code ["1", "2", "3"]}: a row labelled
         * {@code values.get(k)} gets class {@code k}, and a label not in the list is an error.
         * The number of classes is then {@code values.size()}.
         *
         * @param values the label values, distinct; copied
         * @return this builder
         */
        public Builder optLabelValues(List<String> values) {
            if (values.isEmpty()) {
                throw new IllegalArgumentException("label values are empty; list at least one");
            }
            this.labelValues = List.copyOf(values);
            return this;
        }

        /**
         * The file to read (required).
         *
         * @param path the CSV file, plain or gzipped ({@code .gz})
         * @return this builder
         */
        public Builder setPath(Path path) {
            this.path = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * Header name of the label column; default {@value CsvReader#DEFAULT_LABEL_COLUMN}. Needs a
         * header.
         *
         * @param labelColumn the label column's header name
         * @return this builder
         */
        public Builder optLabelColumn(String labelColumn) {
            this.labelColumn = Objects.requireNonNull(labelColumn, "labelColumn");
            return this;
        }

        /**
         * 0-based position of the label column; required without a header, instead of a name.
         *
         * @param labelIndex 0-based column position, at least 0
         * @return this builder
         */
        public Builder optLabelIndex(int labelIndex) {
            if (labelIndex < 0) {
                throw new IllegalArgumentException("labelIndex is " + labelIndex + "; expected a 0-based column index");
            }
            this.labelIndex = labelIndex;
            return this;
        }

        /**
         * Whether the first non-blank line holds column names; default true.
         *
         * @param header true when the first non-blank line names the columns
         * @return this builder
         */
        public Builder optHeader(boolean header) {
            this.header = header;
            this.autoHeader = false;
            return this;
        }

        /**
         * The character between cells; default ','. Cannot be part of a number, a quote or a line
         * break.
         *
         * @param delimiter the cell separator
         * @return this builder
         */
        public Builder optDelimiter(char delimiter) {
            if (Character.isLetterOrDigit(delimiter) || ".+-\"\r\n".indexOf(delimiter) >= 0) {
                throw new IllegalArgumentException("delimiter '" + delimiter
                        + "' can occur inside numbers, quotes cells or ends lines; use ',', ';', '\\t' or ' '");
            }
            this.delimiter = delimiter;
            return this;
        }

        /**
         * Number of classes, at least 1; default: the largest label in the file + 1.
         *
         * @param numClasses the number of classes, at least 1
         * @return this builder
         */
        public Builder optNumClasses(int numClasses) {
            if (numClasses < 1) {
                throw new IllegalArgumentException("numClasses is " + numClasses + "; expected at least 1");
            }
            this.numClasses = numClasses;
            return this;
        }

        /**
         * How error messages name the options that fix a file problem; default
         * {@link OptionNames#BUILDER}. A program reading these options from a config passes its keys.
         *
         * @param names the option names to use in messages
         * @return this builder
         */
        public Builder optOptionNames(OptionNames names) {
            this.names = Objects.requireNonNull(names, "names");
            return this;
        }

        /**
         * Source description of the data set; default the path.
         *
         * @param name a description such as {@code "iris train"}
         * @return this builder
         */
        public Builder optName(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Checks the options and makes the reader; nothing is read yet.
         *
         * @return a new reader
         * @throws IllegalStateException if no path is set, or the label column is given both by
         *     name and index, or there is no header and no label index
         */
        public CsvReader build() {
            if (path == null) {
                throw new IllegalStateException("no path set; call setPath(Path.of(\"data.csv\"))");
            }
            if (labelColumn != null && labelIndex != UNSET) {
                throw new IllegalStateException("label column given both by name \"" + labelColumn
                        + "\" and by index " + labelIndex + "; set only one of optLabelColumn and optLabelIndex");
            }
            if (!header && labelIndex == UNSET) {
                throw new IllegalStateException("without a header the label column cannot be found by name"
                        + (labelColumn == null ? "" : " \"" + labelColumn + "\"") + "; set optLabelIndex");
            }
            return new CsvReader(this);
        }
    }
}
