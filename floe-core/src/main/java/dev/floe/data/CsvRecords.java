package dev.floe.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one CSV parser of this package, shared by {@link CsvReader} and {@link TextReader}: RFC 4180
 * records with a chosen delimiter. Fields may be in double quotes; a quote inside a quoted field is
 * written twice; quoted fields may hold delimiters and line breaks (kept as they are, CRLF
 * included). Lines end in LF, CRLF or CR. Empty lines are skipped. A byte-order mark at the very
 * start is dropped. Fields are returned as written, untrimmed; callers trim where they want.
 *
 * <p>Line numbers are 1-based physical lines; {@link #recordLine()} is the line a record starts on.
 */
final class CsvRecords {

    private static final int EOF = -1;
    private static final int NONE = Integer.MIN_VALUE;
    private static final char QUOTE = '"';
    private static final char BYTE_ORDER_MARK = '\uFEFF';
    private static final int BUFFER_CHARS = 1 << 14;

    private final Reader in;
    private final Path file;
    private final char delimiter;
    private final char[] buffer = new char[BUFFER_CHARS];
    private int position;
    private int limit;
    private int pushedBack = NONE;
    private boolean started;
    private long line = 1; // line of the next character
    private long recordLine;

    /**
     * @param in the text, positioned at its start
     * @param file the file, for messages
     * @param delimiter the character between fields; not a quote or a line break
     */
    CsvRecords(Reader in, Path file, char delimiter) {
        if (delimiter == QUOTE || delimiter == '\r' || delimiter == '\n') {
            throw new IllegalArgumentException("delimiter '" + delimiter + "' is a quote or line break; use ',', ';',"
                    + " '\\t' or ' '");
        }
        this.in = in;
        this.file = file;
        this.delimiter = delimiter;
    }

    /** The 1-based line the record last returned by {@link #next()} starts on. */
    long recordLine() {
        return recordLine;
    }

    /**
     * The next record's fields (at least one), or null at the end of the text.
     *
     * @throws DataFormatException naming the line when a quote is misplaced or never closed
     */
    List<String> next() throws IOException {
        if (!started) {
            started = true;
            int first = read();
            if (first != BYTE_ORDER_MARK) {
                pushedBack = first;
            }
        }
        while (true) {
            recordLine = line;
            int c = read();
            if (c == EOF) {
                return null;
            }
            if (c == '\r' || c == '\n') {
                lineBreak(c);
                continue; // an empty line
            }
            pushedBack = c;
            return record();
        }
    }

    private List<String> record() throws IOException {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        while (true) {
            int c = read();
            if (c == QUOTE && field.length() == 0) {
                quoted(field);
                c = read();
                if (c != delimiter && c != '\r' && c != '\n' && c != EOF) {
                    throw new DataFormatException(file, "line " + line + ": a quoted field ends at '\"' but is followed"
                            + " by '" + (char) c + "' instead of the delimiter '" + delimiter + "' or a line end;"
                            + " write a quote inside a quoted field as \"\"");
                }
            }
            if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\r' || c == '\n' || c == EOF) {
                fields.add(field.toString());
                if (c != EOF) {
                    lineBreak(c);
                }
                return fields;
            } else if (c == QUOTE) {
                throw new DataFormatException(file, "line " + line + ": a '\"' inside an unquoted field; quote the whole"
                        + " field and write the quote as \"\"");
            } else {
                field.append((char) c);
            }
        }
    }

    private void quoted(StringBuilder field) throws IOException {
        long start = line;
        while (true) {
            int c = read();
            if (c == EOF) {
                throw new DataFormatException(file, "line " + start + ": a quoted field starting here is never closed;"
                        + " add the closing '\"' (and write quotes inside it as \"\")");
            }
            if (c == QUOTE) {
                int next = read();
                if (next == QUOTE) {
                    field.append(QUOTE);
                    continue;
                }
                pushedBack = next;
                return;
            }
            field.append((char) c);
            if (c == '\r') {
                int next = read();
                if (next == '\n') {
                    field.append('\n');
                } else {
                    pushedBack = next;
                }
                line++;
            } else if (c == '\n') {
                line++;
            }
        }
    }

    /** Consumes a line break starting with {@code c} ('\r' or '\n'). */
    private void lineBreak(int c) throws IOException {
        if (c == '\r') {
            int next = read();
            if (next != '\n') {
                pushedBack = next;
            }
        }
        line++;
    }

    private int read() throws IOException {
        if (pushedBack != NONE) {
            int c = pushedBack;
            pushedBack = NONE;
            return c;
        }
        if (position == limit) {
            limit = in.read(buffer, 0, buffer.length);
            position = 0;
            if (limit <= 0) {
                limit = 0;
                return EOF;
            }
        }
        return buffer[position++];
    }

    /**
     * Fails when a header names a column twice, listing every repeated name with its 0-based column
     * indices: a reader that looks columns up by name would silently take the first.
     *
     * @param names the header's names, trimmed
     * @param lineNo the header's line
     * @throws DataFormatException naming the file, the repeated names and their positions
     */
    static void requireUniqueNames(Path file, List<String> names, long lineNo) {
        Map<String, List<Integer>> at = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            at.computeIfAbsent(names.get(i), k -> new ArrayList<>()).add(i);
        }
        List<String> repeats = new ArrayList<>();
        at.forEach((name, positions) -> {
            if (positions.size() > 1) {
                repeats.add("\"" + name + "\" at column indices " + positions);
            }
        });
        if (!repeats.isEmpty()) {
            throw new DataFormatException(file, "line " + lineNo + ": the header names " + (repeats.size() == 1
                    ? "a column" : repeats.size() + " columns") + " more than once: " + String.join(", ", repeats)
                    + " (0-based); columns are found by name, so give every column its own name");
        }
    }
}
