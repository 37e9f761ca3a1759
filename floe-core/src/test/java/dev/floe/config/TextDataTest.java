package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.data.DataFormatException;
import dev.floe.text.TokenizedExamples;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code format: text}: JSONL and CSV files, label names mapped to ids, tokenized by the model's encoder. */
class TextDataTest {

    @TempDir
    Path base;

    /** A tiny BERT-style text classifier; DATA is the data section's extra lines. */
    static final String TEXT = """
            seed: 3
            data:
              format: text
              train: {path: TRAIN}
            DATA
            model:
              inputs: {input_ids: "[batch, seq] int64", attention_mask: "[batch, seq] int64"}
              components:
                - {name: encoder, type: transformer, hidden: 8, layers: 1, heads: 2, max_positions: 32}
                - {name: head, type: linear_head, features: 8, classes: 2}
              wires:
                - {from: input_ids, to: encoder.input_ids}
                - {from: attention_mask, to: encoder.attention_mask}
                - {from: encoder.pooled, to: head.in}
              outputs: {logits: head.logits}
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 1, batch_size: 2}
            """;

    static final String JSONL = """
            {"text": "cheap pills buy now", "label": "spam", "id": 1}
            {"text": "meeting at noon tomorrow", "label": "ham", "id": 2}
            {"text": "win money fast click here", "label": "spam", "id": 3}
            {"text": "please review the attached report", "label": "ham", "id": 4}
            """;

    static ExperimentConfig config(String train, String dataLines) {
        return parse(TEXT.replace("TRAIN", train).replace("DATA", dataLines.isEmpty() ? "" : "  " + dataLines));
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(base.resolve(name), content);
    }

    @Test
    void stringLabelsMapToIdsInSortedOrder() throws Exception {
        write("train.jsonl", JSONL);

        ExperimentData data = ExperimentData.load(config("train.jsonl", ""), base);

        assertEquals(List.of("ham", "spam"), data.labels());
        assertEquals(4, data.train().size());
        assertEquals(1, data.train().label(0)); // spam
        assertEquals(0, data.train().label(1)); // ham
        assertTrue(data.train() instanceof TokenizedExamples);
    }

    @Test
    void anExplicitLabelsListFixesTheOrderAndTheTestFileUsesIt() throws Exception {
        write("train.jsonl", JSONL);
        write("test.jsonl", "{\"text\": \"free money\", \"label\": \"spam\"}\n");

        ExperimentData data = ExperimentData.load(
                config("train.jsonl", "labels: [spam, ham]\n  test: {path: test.jsonl}"), base);

        assertEquals(List.of("spam", "ham"), data.labels());
        assertEquals(0, data.train().label(0));
        assertEquals(1, data.train().label(1));
        assertEquals(0, data.eval().label(0));
    }

    @Test
    void aLabelOutsideTheListNamesTheValueAndTheLine() throws Exception {
        write("train.jsonl", JSONL.replace("\"label\": \"ham\", \"id\": 4", "\"label\": \"phishing\", \"id\": 4"));

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(config("train.jsonl", "labels: [ham, spam]"), base));

        assertMentions(e, "train.jsonl", "line 4", "'phishing'", "[ham, spam]", "data.labels");
    }

    @Test
    void aTestLabelTheTrainingFileLacksIsAnError() throws Exception {
        write("train.jsonl", JSONL);
        write("test.jsonl", "{\"text\": \"x\", \"label\": \"ham\"}\n{\"text\": \"y\", \"label\": \"other\"}\n");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(config("train.jsonl", "test: {path: test.jsonl}"), base));

        assertMentions(e, "test.jsonl", "line 2", "'other'", "data.labels");
    }

    @Test
    void aMissingTextFieldListsTheFieldsThereAre() throws Exception {
        write("train.jsonl", JSONL);
        write("train.csv", "body,label\nhello,ham\n");

        DataFormatException json = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(config("train.jsonl", "text_column: body"), base));
        DataFormatException csv = assertThrows(DataFormatException.class,
                () -> ExperimentData.load(config("train.csv", ""), base));

        assertMentions(json, "line 1", "'body'", "[text, label, id]", "data.text_column");
        assertMentions(csv, "line 1", "[body, label]", "'text'", "data.text_column");
    }

    @Test
    void gzippedCsvWithChosenColumnsIsRead() throws Exception {
        byte[] csv = "id,message,kind\n1,\"hello, world\",a\n2,good bye,b\n3,see you,a\n"
                .getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(base.resolve("train.csv.gz")))) {
            out.write(csv);
        }

        ExperimentData data = ExperimentData.load(
                config("train.csv.gz", "text_column: message\n  label_column: kind"), base);

        assertEquals(List.of("a", "b"), data.labels());
        assertArrayEquals(new int[] {2, 1}, data.train().classCounts());
    }

    @Test
    void maxTokensCutsLongTexts() throws Exception {
        write("train.jsonl", "{\"text\": \"" + "word ".repeat(50) + "\", \"label\": \"a\"}\n"
                + "{\"text\": \"short\", \"label\": \"b\"}\n");

        TokenizedExamples t = (TokenizedExamples) ExperimentData.load(config("train.jsonl", "max_tokens: 6"), base)
                .train();

        assertEquals(6, t.tokens(0));
        assertEquals(3, t.tokens(1)); // [CLS] short [SEP]
    }

    @Test
    void maxTokensBeyondTheEncodersPositionsNamesBothKeys() throws Exception {
        write("train.jsonl", JSONL);

        ConfigException e = assertThrows(ConfigException.class,
                () -> ExperimentData.load(config("train.jsonl", "max_tokens: 64"), base));

        assertEquals("data.max_tokens", e.where());
        assertMentions(e, "64", "at most 32", "model.components[0]");
    }

    @Test
    void limitEvalFractionAndPerClassSelectTexts() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            lines.append("{\"text\": \"text number ").append(i).append("\", \"label\": \"")
                    .append(i % 2 == 0 ? "even" : "odd").append("\"}\n");
        }
        write("train.jsonl", lines.toString());

        ExperimentData data = ExperimentData.load(
                config("train.jsonl", "limit: 16\n  eval_fraction: 0.25\n  per_class: 3"), base);

        assertEquals(4, data.eval().size());
        assertArrayEquals(new int[] {3, 3}, data.train().classCounts());
        ConfigException tooMany = assertThrows(ConfigException.class, () -> ExperimentData.load(
                config("train.jsonl", "limit: 4\n  per_class: 3"), base));
        assertEquals("data.per_class", tooMany.where());
        assertMentions(tooMany, "'even' has only 2");
    }

    @Test
    void aFileNameThatIsNeitherJsonlNorCsvIsRefusedAtItsKey() throws Exception {
        write("train.txt", JSONL);

        ConfigException e = assertThrows(ConfigException.class,
                () -> ExperimentData.locate(config("train.txt", ""), base));

        assertEquals("data.train.path", e.where());
        assertMentions(e, "'train.txt'", ".jsonl", ".csv", "rename");
    }

    @Test
    void textKeysOnNumericDataAreRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(ExperimentDataTest.CSV
                .replace("FILE", "x.csv").replace("CLASSES", "2").replace("num_classes: 2", "num_classes: 2\n  max_tokens: 8")));

        assertMentions(e, "max_tokens is for format text", "format is csv");
    }

    @Test
    void numClassesDisagreeingWithTheLabelsIsRefused() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> config("train.jsonl", "labels: [a, b]\n  num_classes: 3"));

        assertMentions(e, "num_classes is 3", "labels lists 2");
    }

    @Test
    void theSameFileGivesTheSameFingerprintAndAnotherMaxTokensAnother() throws Exception {
        write("train.jsonl", JSONL);

        String a = ExperimentData.load(config("train.jsonl", "max_tokens: 8"), base).train().fingerprint();
        String b = ExperimentData.load(config("train.jsonl", "max_tokens: 8"), base).train().fingerprint();
        String c = ExperimentData.load(config("train.jsonl", "max_tokens: 4"), base).train().fingerprint();

        assertEquals(a, b);
        assertNotEquals(a, c);
    }
}
