package dev.floe.data;

import static dev.floe.data.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TextReaderTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private Path writeGzip(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    @Test
    void jsonlWithStringLabelsGivesSortedClassNames() throws IOException {
        Path p = write("a.jsonl", """
                {"text": "buy now", "label": "spam", "id": 1}

                {"label": "ham", "text": "see you at 5"}
                {"text": "caf\\u00e9 \\"quoted\\"\\nnext line", "label": "ham"}
                """);
        TextDataset d = TextReader.read(p);
        assertEquals(List.of("ham", "spam"), d.classNames());
        assertEquals(List.of("buy now", "see you at 5", "café \"quoted\"\nnext line"), d.texts());
        assertArrayEquals(new int[] {1, 0, 0}, d.labels());
        assertEquals(p.toString(), d.name());
    }

    @Test
    void jsonlWithIntegerLabelsAndCustomFields() throws IOException {
        Path p = write("b.ndjson", "{\"body\": \"x\", \"y\": 2}\n{\"body\": \"z\", \"y\": 0}\n");
        TextDataset d = TextReader.builder().setPath(p).optTextField("body").optLabelField("y").build().read();
        assertEquals(List.of("0", "1", "2"), d.classNames());
        assertArrayEquals(new int[] {2, 0}, d.labels());
        TextDataset named = TextReader.builder().setPath(p).optTextField("body").optLabelField("y")
                .optClassNames(List.of("a", "b", "c")).build().read();
        assertEquals(List.of("a", "b", "c"), named.classNames());
        assertArrayEquals(new int[] {2, 0}, named.labels());
    }

    @Test
    void givenClassNamesFixTheOrderEvenWhenAClassIsAbsent() throws IOException {
        Path p = write("c.jsonl", "{\"text\": \"t\", \"label\": \"spam\"}\n");
        TextDataset d = TextReader.builder().setPath(p).optClassNames(List.of("ham", "spam")).build().read();
        assertArrayEquals(new int[] {1}, d.labels());
        assertArrayEquals(new int[] {0, 1}, d.classCounts());
    }

    @Test
    void gzippedJsonlIsReadAndTruncatedGzipNamesTheFile() throws IOException {
        String content = "{\"text\": \"hello\", \"label\": \"ham\"}\n".repeat(200);
        Path p = writeGzip("d.jsonl.gz", content);
        assertEquals(200, TextReader.read(p).size());
        byte[] bytes = Files.readAllBytes(p);
        Path cut = dir.resolve("cut.jsonl.gz");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        DataFormatException e = assertThrows(DataFormatException.class, () -> TextReader.read(cut));
        assertMentions(e, cut.toString(), "gzip");
    }

    @Test
    void jsonlErrorsNameFileLineAndField() throws IOException {
        Path missingText = write("e1.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"txt\": \"a\", \"label\": \"x\"}\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(missingText)),
                missingText.toString(), "line 2", "field 'text'", "missing", "txt");
        Path numberText = write("e2.jsonl", "{\"text\": 5, \"label\": \"x\"}\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(numberText)),
                "line 1", "field 'text'", "expected a string, found number");
        Path floatLabel = write("e3.jsonl", "{\"text\": \"a\", \"label\": 1.5}\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(floatLabel)),
                "line 1", "field 'label'", "1.5");
        Path badJson = write("e4.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"a\",\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(badJson)),
                badJson.toString(), "line 2", "not valid JSON");
        Path array = write("e5.jsonl", "[1, 2]\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(array)),
                "line 1", "expected a JSON object, found array");
        Path mixed = write("e6.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": 0}\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(mixed)),
                "line 2", "class index 0", "line 1", "class name 'x'");
        Path unknown = write("e7.jsonl", "{\"text\": \"a\", \"label\": \"eggs\"}\n");
        assertMentions(assertThrows(DataFormatException.class,
                        () -> TextReader.builder().setPath(unknown).optClassNames(List.of("ham", "spam")).build().read()),
                "line 1", "unknown class 'eggs'", "[ham, spam]");
        Path outOfRange = write("e8.jsonl", "{\"text\": \"a\", \"label\": 2}\n");
        assertMentions(assertThrows(DataFormatException.class,
                        () -> TextReader.builder().setPath(outOfRange).optClassNames(List.of("ham", "spam")).build().read()),
                "line 1", "class index 2", "[0, 2)");
        Path empty = write("e9.jsonl", "\n\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(empty)), "no examples");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n", "\r\n"})
    void csvHandlesQuotedCommasQuotesAndLineBreaks(String eol) throws IOException {
        String csv = String.join(eol,
                "id,text,label",
                "1,plain text,ham",
                "2,\"with, comma\",spam",
                "3,\"she said \"\"hi\"\"\",ham",
                "4,\"two" + eol + "lines, and more\",spam",
                "",
                "5,,ham",
                "6,\"\",ham") + eol;
        Path p = write("f.csv", csv);
        TextDataset d = TextReader.read(p);
        assertEquals(List.of("plain text", "with, comma", "she said \"hi\"", "two" + eol + "lines, and more", "", ""),
                d.texts());
        assertEquals(List.of("ham", "spam"), d.classNames());
        assertArrayEquals(new int[] {0, 1, 0, 1, 0, 0}, d.labels());
    }

    @Test
    void csvLabelsAsIndicesOrNames() throws IOException {
        Path p = write("g.csv", "text,label\na,1\nb,0\n");
        TextDataset d = TextReader.builder().setPath(p).optClassNames(List.of("ham", "spam")).build().read();
        assertArrayEquals(new int[] {1, 0}, d.labels());
        Path named = write("h.csv", "label,text\r\nspam,a\r\nham,\"b\"\r\n");
        TextDataset n = TextReader.read(named);
        assertEquals(List.of("ham", "spam"), n.classNames());
        assertArrayEquals(new int[] {1, 0}, n.labels());
        assertEquals(List.of("a", "b"), n.texts());
    }

    @Test
    void csvErrorsNameFileLineAndField() throws IOException {
        Path unterminated = write("i.csv", "text,label\na,ham\n\"never closed,ham\nmore\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(unterminated)),
                unterminated.toString(), "line 3", "never closed");
        Path wrongCount = write("j.csv", "text,label\n\"multi\nline\",ham\na,b,ham\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(wrongCount)),
                "line 4", "3 fields", "[text, label]");
        Path noColumn = write("k.csv", "body,label\na,ham\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(noColumn)),
                noColumn.toString(), "line 1", "no column 'text'", "[body, label]", "optTextField");
        Path junkAfterQuote = write("l.csv", "text,label\n\"a\"b,ham\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(junkAfterQuote)),
                "line 2", "followed by 'b'");
        Path strayQuote = write("m.csv", "text,label\na\"b,ham\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(strayQuote)),
                "line 2", "inside an unquoted field");
        Path emptyLabel = write("n.csv", "text,label\na,\n");
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(emptyLabel)),
                "line 2", "field 'label'", "empty");
    }

    @Test
    void csvHeaderThatRepeatsAColumnIsAnError() throws IOException {
        Path p = write("r.csv", "text,label,text\na,ham,b\n");

        DataFormatException e = assertThrows(DataFormatException.class, () -> TextReader.read(p));

        assertMentions(e, p.toString(), "line 1", "\"text\" at column indices [0, 2]");
    }

    @Test
    void upperCaseGzSuffixIsReadAndTellsTheFormat() throws IOException {
        Path p = writeGzip("S.CSV.GZ", "text,label\nhello,ham\n");

        assertEquals(List.of("hello"), TextReader.read(p).texts());
    }

    @Test
    void unknownExtensionAsksForAFormat() throws IOException {
        Path p = write("o.txt", "x");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> TextReader.read(p)), "optFormat");
        TextDataset d = TextReader.builder().setPath(write("p.txt", "{\"text\": \"a\", \"label\": \"b\"}\n"))
                .optFormat(TextReader.Format.JSONL).build().read();
        assertEquals(1, d.size());
    }

    @Test
    void invalidUtf8NamesTheFile() throws IOException {
        Path p = dir.resolve("q.jsonl");
        Files.write(p, new byte[] {'{', '"', 't', (byte) 0xC3, '"', '}', '\n'});
        assertMentions(assertThrows(DataFormatException.class, () -> TextReader.read(p)), p.toString(), "UTF-8");
    }
}
