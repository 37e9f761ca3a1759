package dev.floe.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.Json;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Files to predict on that have no labels, made readable by the labelled readers ({@link CsvReader},
 * {@link TextReader}, {@link IdxReader}) so predictions read their examples exactly as training
 * read its own: a copy of the file with a placeholder label on every example. The placeholder
 * means nothing; callers that copy must not report accuracy on such a file.
 */
public final class Unlabeled {

    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;

    private Unlabeled() {}

    /**
     * The first non-blank record of a CSV file (plain or gzipped), its cells trimmed as
     * {@link CsvReader} trims them: the header when the file has one.
     *
     * @param file the CSV file
     * @param delimiter the cell delimiter the file is read with ({@code data.delimiter})
     * @return the cells, or an empty list when the file has no record
     * @throws DataFormatException when the file is not UTF-8 or its quoting is broken, naming the line
     */
    public static List<String> csvFirstRecord(Path file, char delimiter) {
        return TextFiles.read(file, text -> {
            CsvRecords records = new CsvRecords(text, file, delimiter);
            for (List<String> r = records.next(); r != null; r = records.next()) {
                List<String> cells = r.stream().map(String::trim).toList();
                if (!(cells.size() == 1 && cells.get(0).isEmpty())) {
                    return cells;
                }
            }
            return List.<String>of();
        });
    }

    /**
     * Whether a CSV record is data rather than a header, decided as {@link CsvReader} decides it for
     * {@code header: auto}: every cell is a decimal number (optional sign, optional fraction and
     * exponent, such as {@code -1}, {@code .5} or {@code 2e-3}).
     *
     * @param cells the record's cells, trimmed (as {@link #csvFirstRecord} returns them)
     * @return true when every cell is a number (also for no cells), false when any cell is not
     */
    public static boolean looksLikeData(List<String> cells) {
        return CsvReader.allNumbers(cells.toArray(String[]::new));
    }

    /**
     * Writes {@code out}: the CSV file {@code in} (plain or gzipped) with a label cell added to
     * every record, in the same delimiter, quoted as RFC 4180 wants: at index {@code labelIndex}
     * (the cells from there on move one to the right), or last when {@code labelIndex} is negative.
     * The header record, when there is one, gets {@code column} there, every other record
     * {@code value}.
     *
     * @param in the CSV file to copy
     * @param out where the copy goes
     * @param delimiter the cell delimiter of {@code in}, kept in {@code out}
     * @param header whether the first non-blank record is a header
     * @param labelIndex where the label cell goes (0-based), or -1 for last
     * @param column the label column's name in the header
     * @param value the placeholder label of every example
     */
    public static void csvWithLabel(Path in, Path out, char delimiter, boolean header, int labelIndex, String column,
            String value) {
        TextFiles.read(in, text -> {
            CsvRecords records = new CsvRecords(text, in, delimiter);
            try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                boolean first = true;
                for (List<String> r = records.next(); r != null; r = records.next()) {
                    if (r.size() == 1 && r.get(0).isBlank()) {
                        continue;
                    }
                    List<String> cells = new java.util.ArrayList<>(r);
                    String label = first && header ? column : value;
                    cells.add(labelIndex < 0 ? cells.size() : Math.min(labelIndex, cells.size()), label);
                    for (int i = 0; i < cells.size(); i++) {
                        if (i > 0) {
                            w.write(delimiter);
                        }
                        w.write(quoted(cells.get(i), delimiter));
                    }
                    w.write('\n');
                    first = false;
                }
            }
            return null;
        });
    }

    private static String quoted(String cell, char delimiter) {
        if (cell.indexOf(delimiter) < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) {
            return cell;
        }
        return '"' + cell.replace("\"", "\"\"") + '"';
    }

    /**
     * Checks a text file given to a finished run, as {@link TextReader} reads it but on the file's own
     * records, before any label is added to an unlabelled copy: so that the errors show the file's own
     * header, fields and field counts. Problems the reader reports the same way either way (broken
     * JSON, a text of the wrong type, unterminated quotes) are left to it.
     *
     * @param file the text file, plain or gzipped
     * @param format how it is read
     * @param textField the CSV column or JSON field holding the text
     * @param fix what the user should do when the column or field is missing, appended to that error
     * @throws DataFormatException naming the file and line: a CSV header without {@code textField}, a
     *     CSV record whose field count differs from its header's, a JSON object without {@code textField}
     */
    public static void checkTextFile(Path file, TextReader.Format format, String textField, String fix) {
        if (format == TextReader.Format.CSV) {
            TextFiles.read(file, text -> {
                CsvRecords records = new CsvRecords(text, file, ',');
                List<String> header = records.next();
                if (header == null) {
                    return null;
                }
                List<String> columns = header.stream().map(String::trim).toList();
                if (!columns.contains(textField)) {
                    throw new DataFormatException(file, "line " + records.recordLine() + ": the header " + columns
                            + " has no column '" + textField + "'" + fix);
                }
                for (List<String> r = records.next(); r != null; r = records.next()) {
                    if (r.size() != columns.size()) {
                        throw new DataFormatException(file, "line " + records.recordLine() + ": " + r.size()
                                + " fields where the header " + columns + " has " + columns.size()
                                + "; quote fields that contain commas");
                    }
                }
                return null;
            });
            return;
        }
        ObjectMapper json = Json.mapper();
        TextFiles.read(file, text -> {
            long lineNo = 0;
            for (String line = text.readLine(); line != null; line = text.readLine()) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = json.readTree(line.strip().replace("\uFEFF", ""));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return null; // the reader reports it with its line
                }
                if (node != null && node.isObject() && !node.has(textField)) {
                    List<String> names = new java.util.ArrayList<>();
                    node.fieldNames().forEachRemaining(names::add);
                    throw new DataFormatException(file, "line " + lineNo + ", field '" + textField + "': missing (fields are "
                            + names + ")" + fix);
                }
            }
            return null;
        });
    }

    /**
     * Whether the first JSON object of the JSON Lines file has field {@code field}.
     *
     * @param file the JSON Lines file, plain or gzipped
     * @param field the field name
     * @return true when the first object has the field
     */
    public static boolean jsonlHasField(Path file, String field) {
        ObjectMapper json = Json.mapper();
        return TextFiles.read(file, text -> {
            for (String line = text.readLine(); line != null; line = text.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode node = json.readTree(line.strip().replace("\uFEFF", ""));
                    return node != null && node.isObject() && node.has(field);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return true; // not JSON: let the reader report it with its line
                }
            }
            return true;
        });
    }

    /**
     * Writes {@code out}: the JSON Lines file {@code in} with {@code field: value} added to every
     * object that lacks it (lines that are not objects are copied for the reader to report).
     *
     * @param in the JSON Lines file, plain or gzipped
     * @param out the file to write, plain JSON Lines
     * @param field the field to add
     * @param value the label added to every object
     */
    public static void jsonlWithLabel(Path in, Path out, String field, String value) {
        ObjectMapper json = Json.mapper();
        TextFiles.read(in, text -> {
            try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                for (String line = text.readLine(); line != null; line = text.readLine()) {
                    String copy = line;
                    if (!line.isBlank()) {
                        try {
                            JsonNode node = json.readTree(line.replace("\uFEFF", ""));
                            if (node instanceof ObjectNode o && !o.has(field)) {
                                o.put(field, value);
                                copy = json.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                                        .writeValueAsString(o);
                            }
                        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                            // copied as it is: the reader names the line
                        }
                    }
                    w.write(copy);
                    w.write('\n');
                }
            }
            return null;
        });
    }

    /**
     * Writes {@code out}: an IDX labels file of label {@code label} for every image of the IDX
     * images file {@code images} (plain or gzipped).
     *
     * @param images the IDX images file
     * @param out the IDX labels file to write
     * @param label a class index in [0, 255]
     * @throws DataFormatException if {@code images} does not start as an IDX images file
     */
    public static void idxLabels(Path images, Path out, int label) {
        int count;
        try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(images))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == GZIP_MAGIC_0 && b1 == GZIP_MAGIC_1 ? new GZIPInputStream(raw) : raw;
            DataInputStream data = new DataInputStream(in);
            int magic = data.readInt();
            if (magic != IdxReader.IMAGES_MAGIC) {
                throw new DataFormatException(images, String.format(java.util.Locale.ROOT,
                        "starts with 0x%08x, not the IDX images magic 0x%08x; give an IDX images file", magic,
                        IdxReader.IMAGES_MAGIC));
            }
            count = data.readInt();
        } catch (java.io.EOFException e) {
            throw new DataFormatException(images, "is shorter than an IDX images header; give an IDX images file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + images + ": " + e.getMessage(), e);
        }
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(out)))) {
            o.writeInt(IdxReader.LABELS_MAGIC);
            o.writeInt(count);
            for (int i = 0; i < count; i++) {
                o.writeByte(label);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }
}
