package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of damaged and hostile files, each read through the command line with a small config
 * that points at it. Every one must end in exactly one line {@code floe: ...} on stderr that names
 * the file and the problem, exit code 2, no stack trace, and no run folder.
 */
class BadFilesTest {

    /** A fresh folder per case: the config, its files and the --out target live here. */
    @TempDir
    Path dir;

    // ---- configs --------------------------------------------------------------------------------

    /** IDX data: 4x4 images, 3 classes, an encoder of one convolution. */
    static final String IDX_CONFIG = """
            data:
              format: idx
              train: {images: images.idx, labels: labels.idx}
              num_classes: 3
            model:
              inputs: {image: "[batch, 1, 4, 4]"}
              components:
                - {name: encoder, type: conv_encoder, input: [1, 4, 4], widths: [2]}
                - {name: head, type: linear_head, features: 2, classes: 3}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 1, batch_size: 2}
            """;

    /** CSV data with two features and 3 classes; INIT is replaced by an init entry or nothing. */
    static final String CSV_CONFIG = """
            data:
              format: csv
              train: {path: train.csv}
              num_classes: 3
            model:
              inputs: {x: "[batch, 2]"}
              components:
                - {name: head, type: linear_head, features: 2, classes: 3}
              wires: [{from: x, to: head.in}]
              outputs: {logits: head.logits}
            INIT
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 1, batch_size: 2}
            """;

    static final String GOOD_CSV = "a,b,label\n0.5,1,0\n0.25,2,1\n0.75,3,2\n0.1,4,0\n";

    /** Text data (JSON Lines or CSV, named FILE) and a tiny BERT-style encoder; EXTRA adds data keys. */
    static final String TEXT_CONFIG = """
            data:
              format: text
              train: {path: FILE}
              max_tokens: 8
            EXTRA
            model:
              inputs: {input_ids: "[batch, seq] int64", attention_mask: "[batch, seq] int64"}
              components:
                - {name: encoder, type: transformer, hidden: 4, layers: 1, heads: 1, max_positions: 8}
                - {name: head, type: linear_head, features: 4, classes: 2}
              wires:
                - {from: input_ids, to: encoder.input_ids}
                - {from: attention_mask, to: encoder.attention_mask}
                - {from: encoder.pooled, to: head.in}
              outputs: {logits: head.logits}
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 1, batch_size: 2}
            """;

    static final String GOOD_JSONL = "{\"text\": \"buy now\", \"label\": \"spam\"}\n"
            + "{\"text\": \"see you at noon\", \"label\": \"ham\"}\n";

    static String textConfig(String file, String extra) {
        return TEXT_CONFIG.replace("FILE", file).replace("EXTRA\n", extra.isEmpty() ? "" : "  " + extra + "\n");
    }

    /** A text-format case: {@code content} written as {@code file}. */
    static Case text(String name, String file, String content, String extra, String... expected) {
        return Case.of(name, textConfig(file, extra), file, bytes(content), expected);
    }

    static String csvConfig() {
        return CSV_CONFIG.replace("INIT\n", "");
    }

    static String initConfig() {
        return CSV_CONFIG.replace("INIT", "  init: [{path: w.safetensors}]");
    }

    // ---- the checks -----------------------------------------------------------------------------

    /** Writes the case's files and config, runs {@code floe args... config}, checks the error. */
    private void assertRefused(Case c, String command) throws IOException {
        Path config = c.write(dir);
        Path out = dir.resolve("run");
        Result r = command.equals("train")
                ? floe("train", config.toString(), "--out", out.toString(), "--no-progress")
                : floe("plan", config.toString());

        assertEquals(2, r.code(), () -> c + " gave exit " + r.code() + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), () -> c + ": expected one line on stderr, got:\n" + r.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("floe: "), line);
        assertFalse(line.contains("Exception") || line.contains("\tat "), () -> "Java internals in: " + line);
        for (String part : c.expected()) {
            assertTrue(line.contains(part), () -> c + ": message lacks \"" + part + "\": " + line);
        }
        assertFalse(Files.exists(out), () -> c + ": the run folder was created");
    }

    @ParameterizedTest
    @MethodSource("dataFiles")
    void damagedDataFileIsOneLineExit2AndNoRun(Case c) throws IOException {
        assertRefused(c, "train");
    }

    @ParameterizedTest
    @MethodSource("weightFiles")
    void damagedInitWeightsAreRefusedByTrain(Case c) throws IOException {
        assertRefused(c, "train");
    }

    @ParameterizedTest
    @MethodSource("weightFiles")
    void damagedInitWeightsAreRefusedByPlan(Case c) throws IOException {
        assertRefused(c, "plan");
    }

    @ParameterizedTest
    @MethodSource("configFiles")
    void hostileConfigIsRefusedByTrain(Case c) throws IOException {
        assertRefused(c, "train");
    }

    @ParameterizedTest
    @MethodSource("configFiles")
    void hostileConfigIsRefusedByPlan(Case c) throws IOException {
        assertRefused(c, "plan");
    }

    @ParameterizedTest
    @MethodSource("dataPaths")
    void dataPathProblemIsFoundByTrain(Case c) throws IOException {
        assertRefused(c, "train");
    }

    @ParameterizedTest
    @MethodSource("dataPaths")
    void dataPathProblemIsFoundByPlan(Case c) throws IOException {
        assertRefused(c, "plan");
    }

    /** The configs are sound: with good files, each trains, so the cases fail on their bad file alone. */
    @ParameterizedTest
    @MethodSource("goodFiles")
    void theSameConfigsTrainOnGoodFiles(Case c) throws IOException {
        Path config = c.write(dir);
        Path out = dir.resolve("run");

        Result r = floe("train", config.toString(), "--out", out.toString(), "--no-progress");

        assertEquals(0, r.code(), () -> c + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        assertTrue(Files.isRegularFile(out.resolve(TrainCommand.METRICS_FILE)), r.out());
        for (String part : c.expected()) {
            assertTrue(r.out().contains(part), () -> c + ": output lacks \"" + part + "\": " + r.out());
        }
    }

    @Test
    void headerlessCsvNoLongerTrainsOnAConstantColumn() throws IOException {
        // the first data row used to become the header: "0" named two columns, the label came from
        // the first (always 0) and the run reported accuracy 1.000 with exit 0
        Case c = csv("headerless", "0,0.5,0\n0,0.7,1\n0,0.1,2\n0,0.3,1\n", "train.csv", "line 1", "every cell is a number",
                "add a header line").withConfig(csvConfig().replace("num_classes: 3", "num_classes: 3\n  label_column: \"0\""));

        assertRefused(c, "train");
    }

    // ---- the corpus -----------------------------------------------------------------------------

    static Stream<Arguments> goodFiles() {
        byte[] pixels = new byte[6 * 16];
        Arrays.fill(pixels, (byte) 100);
        return Stream.of(
                idx("good IDX", images(6, 4, 4, pixels), labels(0, 1, 2, 0, 1, 2), "train 6 examples"),
                idx("good gzipped IDX", gzip(images(6, 4, 4, pixels)), gzip(labels(0, 1, 2, 0, 1, 2)), "train 6 examples"),
                csv("good CSV", GOOD_CSV, "train 4 examples"),
                Case.of("gzipped CSV, upper-case suffix", csvConfig().replace("train.csv", "TRAIN.CSV.GZ"),
                        "TRAIN.CSV.GZ", gzip(GOOD_CSV.getBytes(StandardCharsets.UTF_8)), "train 4 examples"),
                weights("good init weights", goodWeights(), "train 4 examples"),
                Case.of("good CSV with semicolons, header auto, one-based labels", csvConfig().replace("num_classes: 3",
                        "labels: [1, 2, 3]\n  header: auto\n  delimiter: \";\"\n  label_index: 2\n  normalize: minmax").replace(
                        "label_column: label\n", ""), "train.csv", bytes("0.5;1;1\n0.25;2;3\n"), "train 2 examples"),
                text("good JSON Lines text", "train.jsonl", GOOD_JSONL, "", "train 2 examples, 2 classes [ham, spam]"),
                Case.of("good gzipped CSV text", textConfig("train.csv.gz", "labels: [spam, ham]"), "train.csv.gz",
                        gzip(bytes("text,label\n\"buy, now\",spam\nhello,ham\n")), "classes [spam, ham]"))
                .map(Case::arguments);
    }

    static Stream<Arguments> dataFiles() {
        byte[] pixels = new byte[3 * 16];
        byte[] fullImages = images(3, 4, 4, pixels);
        byte[] goodLabels = labels(0, 1, 2);
        byte[] gzImages = gzip(images(300, 4, 4, new byte[300 * 16]));
        byte[] varied = new byte[3 * 16];
        for (int i = 0; i < varied.length; i++) {
            varied[i] = (byte) (i * 37);
        }
        byte[] corrupted = gzip(images(3, 4, 4, varied));
        corrupted[corrupted.length - 8 - 4] ^= 0x55; // in the deflate data, before the CRC-32 and length
        return Stream.of(
                idx("IDX images: magic number cut short", Arrays.copyOf(fullImages, 3), goodLabels,
                        "images.idx", "truncated", "the magic number"),
                idx("IDX images: image count cut short", Arrays.copyOf(fullImages, 6), goodLabels,
                        "images.idx", "truncated", "size of dimension 0"),
                idx("IDX images: dimension sizes cut short", Arrays.copyOf(fullImages, 10), goodLabels,
                        "images.idx", "truncated", "size of dimension 1"),
                idx("IDX images: pixel data cut short", Arrays.copyOf(fullImages, 16 + 20), goodLabels,
                        "images.idx", "truncated", "pixel data of 3 images"),
                idx("IDX labels: data cut short", fullImages, Arrays.copyOf(goodLabels, 9),
                        "labels.idx", "truncated", "3 labels"),
                idx("IDX images: empty file", new byte[0], goodLabels, "images.idx", "is empty"),
                idx("IDX images: wrong magic", bytes("PK\u0003\u0004 not an idx file at all"), goodLabels,
                        "images.idx", "expected magic number 0x00000803", "not an IDX file"),
                idx("IDX images: two dimensions instead of three", idxBytes(0x0802, new int[] {3, 16}, pixels),
                        goodLabels, "images.idx", "(2 dimensions)", "swapped"),
                idx("IDX: images and labels swapped", goodLabels, fullImages, "images.idx", "swapped"),
                idx("IDX images: float type byte", idxBytes(0x0D03, new int[] {3, 4, 4}, pixels), goodLabels,
                        "images.idx", "unsupported IDX type byte 0x0D", "convert the data to unsigned bytes"),
                idx("IDX images: negative dimension", idxBytes(0x0803, new int[] {3, -4, 4}, pixels), goodLabels,
                        "images.idx", "size of dimension 1", "is -4"),
                idx("IDX: label count differs from image count", fullImages, labels(0, 1),
                        "labels.idx", "label count", "is 2", "holds 3 images"),
                idx("IDX labels: label outside num_classes", fullImages, labels(0, 7, 1),
                        "labels.idx", "example 1", "is 7", "raise data.num_classes"),
                idx("IDX images: gzip cut short", Arrays.copyOf(gzImages, gzImages.length / 2), goodLabels,
                        "images.idx", "truncated", "gzip stream is cut short"),
                idx("IDX images: gzip header only", new byte[] {0x1f, (byte) 0x8b, 8}, goodLabels,
                        "images.idx", "gzip header is corrupt (the file ends too early)"),
                idx("IDX images: gzip data corrupted", corrupted, goodLabels, "images.idx", "gzip check", "damaged"),
                idx("IDX images: gzipped twice", gzip(gzip(fullImages)), goodLabels, "images.idx", "doubly gzipped"),
                csv("CSV: row with too few fields", "a,b,label\n1,2,0\n3,1\n", "train.csv", "line 3",
                        "found 2 columns but expected 3"),
                csv("CSV: row with too many fields", "a,b,label\n1,2,0\n3,1,0,9\n", "train.csv", "line 3",
                        "found 4 columns but expected 3"),
                csv("CSV: non-numeric cell", "a,b,label\n1,2,0\n3,abc,1\n", "train.csv", "line 3",
                        "column \"b\"", "\"abc\""),
                csv("CSV: empty cell", "a,b,label\n1,,0\n", "train.csv", "line 2", "column \"b\"", "found \"\""),
                csv("CSV: NaN feature", "a,b,label\n1,NaN,0\n", "train.csv", "line 2", "finite number", "\"NaN\""),
                csv("CSV: infinite feature", "a,b,label\n1,2,0\n-Infinity,2,1\n", "train.csv", "line 3",
                        "finite number", "\"-Infinity\""),
                csv("CSV: inf feature", "a,b,label\ninf,2,1\n", "train.csv", "line 2", "\"inf\""),
                csv("CSV: empty file", "", "train.csv", "is empty"),
                csv("CSV: blank lines only", "\n\n  \n", "train.csv", "is empty"),
                csv("CSV: header only", "a,b,label\n", "train.csv", "no data lines after the header"),
                csv("CSV: label outside num_classes", "a,b,label\n1,2,0\n3,4,3\n", "train.csv", "line 3", "label 3",
                        "[0, 3)", "raise data.num_classes"),
                csv("CSV: negative label", "a,b,label\n1,2,-1\n", "train.csv", "line 2", "non-negative integer", "-1"),
                csv("CSV: fractional label", "a,b,label\n1,2,1.5\n", "train.csv", "line 2", "\"1.5\""),
                csv("CSV: no label column", "a,b,class\n1,2,0\n", "train.csv", "no label column \"label\"",
                        "set data.label_column"),
                csv("CSV: header of numbers", "0.5,1,0\n0.25,2,1\n", "train.csv", "line 1", "every cell is a number",
                        "add a header line naming the columns"),
                csv("CSV: column named twice", "a,a,label\n1,2,0\n", "train.csv", "line 1",
                        "\"a\" at column indices [0, 1]"),
                csv("CSV: one column (wrong delimiter)", "a;b;label\n1;2;0\n", "train.csv", "found 1 column",
                        "delimiter ','"),
                csv("CSV: quote never closed", "a,b,label\n1,\"2,0\n3,4,1\n", "train.csv", "line 2", "never closed"),
                Case.of("CSV: not UTF-8", csvConfig(), "train.csv",
                        new byte[] {'a', (byte) 0xE9, ',', 'b', ',', 'l', 'a', 'b', 'e', 'l', '\n', '1', ',', '2', ',', '0', '\n'},
                        "train.csv", "not UTF-8"),
                Case.of("CSV: gzip cut short", csvConfig().replace("train.csv", "train.csv.gz"), "train.csv.gz",
                        cut(gzip(("a,b,label\n" + "1,2,0\n".repeat(5000)).getBytes(StandardCharsets.UTF_8))),
                        "train.csv.gz", "gzip", "cut short"),
                Case.of("CSV: label outside data.labels", csvConfig().replace("num_classes: 3", "labels: [1, 2, 3]"),
                        "train.csv", bytes("a,b,label\n1,2,1\n3,4,0\n"), "train.csv", "line 3", "label \"0\"",
                        "[1, 2, 3]", "data.labels"),
                Case.of("CSV: dropped column not in the header", csvConfig().replace("num_classes: 3",
                        "num_classes: 3\n  drop_columns: [c]"), "train.csv", bytes(GOOD_CSV), "train.csv",
                        "cannot drop column \"c\"", "[a, b, label]", "data.drop_columns"),
                Case.of("CSV: header auto, no header, label found by name", csvConfig().replace("num_classes: 3",
                        "num_classes: 3\n  header: auto"), "train.csv", bytes("0.5,1,0\n0.25,2,1\n"), "train.csv",
                        "no header", "data.label_index"),
                text("text: label outside labels", "train.jsonl", GOOD_JSONL + "{\"text\": \"x\", \"label\": \"phish\"}\n",
                        "labels: [ham, spam]", "train.jsonl", "line 3", "'phish'", "[ham, spam]", "data.labels"),
                text("text: no text field", "train.jsonl", "{\"body\": \"x\", \"label\": \"a\"}\n", "",
                        "train.jsonl", "line 1", "field 'text'", "[body, label]", "data.text_column"),
                text("text: CSV without the text column", "train.csv", "message,label\nhello,ham\n", "",
                        "train.csv", "[message, label]", "no column 'text'", "data.text_column"),
                text("text: not JSON", "train.jsonl", GOOD_JSONL + "{\"text\": \"x\", \"label\": \n", "",
                        "train.jsonl", "line 3", "not valid JSON"),
                text("text: a JSON array line", "train.jsonl", "[1, 2]\n", "", "train.jsonl", "line 1",
                        "expected a JSON object, found array"),
                text("text: label is a list", "train.jsonl", "{\"text\": \"x\", \"label\": [1]}\n", "",
                        "train.jsonl", "line 1", "field 'label'", "found array"),
                text("text: names and indices mixed", "train.jsonl",
                        GOOD_JSONL + "{\"text\": \"x\", \"label\": 1}\n", "", "train.jsonl", "line 3",
                        "class index 1", "data.labels"),
                text("text: empty file", "train.jsonl", "", "", "train.jsonl", "no examples"),
                Case.of("text: not UTF-8", textConfig("train.jsonl", ""), "train.jsonl",
                        new byte[] {'{', '"', 't', (byte) 0xE9, '"', '}', '\n'}, "train.jsonl", "not UTF-8"),
                Case.of("text: gzip cut short", textConfig("train.jsonl.gz", ""), "train.jsonl.gz",
                        cut(gzip(bytes(GOOD_JSONL.repeat(3000)))), "train.jsonl.gz", "gzip", "cut short"),
                text("text: more classes than the head has", "train.jsonl",
                        GOOD_JSONL + "{\"text\": \"x\", \"label\": \"other\"}\n", "", "gives 2 classes",
                        "the data has 3", "labels [ham, other, spam]"))
                .map(Case::arguments);
    }

    static Stream<Arguments> weightFiles() {
        String bias = "\"head/fc/bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}";
        String weight = "\"head/fc/weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[12,36]}";
        byte[] data = new byte[36];
        return Stream.of(
                weights("safetensors: shorter than the length prefix", new byte[] {1, 2, 3},
                        "w.safetensors", "shorter than the 8-byte header length prefix"),
                weights("safetensors: header length larger than the file", safetensors(5000, "{" + bias + "}", data),
                        "w.safetensors", "says 5000 header bytes but only"),
                weights("safetensors: header length zero", safetensors(0, "", data), "w.safetensors", "the header is empty"),
                weights("safetensors: header length absurdly huge", safetensors(Long.MAX_VALUE, "{}", data),
                        "w.safetensors", "header length prefix is 9223372036854775807 bytes", "over the limit"),
                weights("safetensors: header length negative as signed", safetensors(-8, "{}", data),
                        "w.safetensors", "header length prefix is 18446744073709551608 bytes"),
                weights("safetensors: header not JSON", safetensors("this is not json", data),
                        "w.safetensors", "not valid JSON"),
                weights("safetensors: header not UTF-8", safetensorsBytes(new byte[] {'{', '"', (byte) 0xFF, '"', '}'}, data),
                        "w.safetensors", "not valid UTF-8"),
                weights("safetensors: header is a JSON array", safetensors("[1, 2, 3]", data),
                        "w.safetensors", "the header is a JSON array"),
                weights("safetensors: tensor entry is a string", safetensors("{\"head/fc/bias\":\"F32\"}", data),
                        "w.safetensors", "tensor 'head/fc/bias' is a JSON string"),
                weights("safetensors: tensor name twice", safetensors("{" + bias + "," + bias + "}", data),
                        "w.safetensors", "not valid JSON", "Duplicate field"),
                weights("safetensors: dtype unknown", safetensors("{" + bias.replace("F32", "F8_E4M3") + "," + weight + "}", data),
                        "w.safetensors", "dtype \"F8_E4M3\"", "F32, F64"),
                weights("safetensors: dtype not a string", safetensors("{" + bias.replace("\"F32\"", "32") + "," + weight + "}", data),
                        "w.safetensors", "a JSON number as dtype"),
                weights("safetensors: shape negative", safetensors("{" + bias.replace("[3]", "[-3]") + "," + weight + "}", data),
                        "w.safetensors", "\"shape\": [-3]", "non-negative integers"),
                weights("safetensors: shape not integers", safetensors("{" + bias.replace("[3]", "[1.5]") + "," + weight + "}", data),
                        "w.safetensors", "\"shape\": [1.5]", "non-negative integers"),
                weights("safetensors: shape a string", safetensors("{" + bias.replace("[3]", "\"3\"") + "," + weight + "}", data),
                        "w.safetensors", "\"shape\": \"3\""),
                weights("safetensors: shape overflows", safetensors("{" + bias.replace("[3]", "[4611686018427387904,4]") + "," + weight + "}", data),
                        "w.safetensors", "overflows"),
                weights("safetensors: data_offsets missing", safetensors("{" + bias.replace(",\"data_offsets\":[0,12]", "") + "," + weight + "}", data),
                        "w.safetensors", "has no \"data_offsets\""),
                weights("safetensors: data_offsets of one number", safetensors("{" + bias.replace("[0,12]", "[0]") + "," + weight + "}", data),
                        "w.safetensors", "\"data_offsets\": [0]"),
                weights("safetensors: data_offsets reversed", safetensors("{" + bias.replace("[0,12]", "[12,0]") + "," + weight + "}", data),
                        "w.safetensors", "end before they begin"),
                weights("safetensors: data_offsets beyond the file", safetensors("{" + bias + "," + weight + "}", new byte[20]),
                        "w.safetensors", "ends at data offset 36 but the data section has only 20 bytes"),
                weights("safetensors: data_offsets overlapping",
                        safetensors("{" + bias + "," + weight.replace("[12,36]", "[8,32]") + "}", new byte[32]),
                        "w.safetensors", "overlaps tensor 'head/fc/bias'"),
                weights("safetensors: data_offsets leave a gap",
                        safetensors("{" + bias + "," + weight.replace("[12,36]", "[16,40]") + "}", new byte[40]),
                        "w.safetensors", "gap of 4 unused bytes"),
                weights("safetensors: trailing bytes", safetensors("{" + bias + "," + weight + "}", new byte[40]),
                        "w.safetensors", "4 trailing bytes"),
                weights("safetensors: data_offsets do not match shape x dtype",
                        safetensors("{" + bias.replace("[0,12]", "[0,8]") + "," + weight.replace("[12,36]", "[8,32]") + "}",
                                new byte[32]),
                        "w.safetensors", "spanning 8 bytes", "3 elements x 4 bytes = 12 bytes"),
                weights("safetensors: metadata not strings",
                        safetensors("{\"__metadata__\":{\"epoch\":3}," + bias + "," + weight + "}", data),
                        "w.safetensors", "metadata key 'epoch'"),
                weights("safetensors: a tensor the graph needs is missing", safetensors("{" + bias + "}", new byte[12]),
                        "w.safetensors", "model.init[0]", "tensor head/fc/weight [3, 2] is missing"),
                weights("safetensors: a tensor the graph lacks",
                        safetensors("{" + bias + "," + weight + ",\"head/extra\":{\"dtype\":\"F32\",\"shape\":[1],"
                                + "\"data_offsets\":[36,40]}}", new byte[40]),
                        "w.safetensors", "tensor head/extra is in the file but not in the model"),
                weights("safetensors: wrong shape for the graph",
                        safetensors("{" + bias + "," + weight.replace("[3,2]", "[2,3]") + "}", data),
                        "w.safetensors", "head/fc/weight has shape [2, 3] in the file but the model expects [3, 2]"),
                weights("safetensors: wrong dtype for the graph",
                        safetensors("{" + bias.replace("F32", "I32") + "," + weight + "}", data),
                        "w.safetensors", "head/fc/bias is I32 but the model expects F32"),
                weights("safetensors: not a safetensors file at all", bytes("PK\u0003\u0004 a zip, maybe a .pt file"),
                        "w.safetensors", "over the limit", "not a safetensors file"))
                .map(Case::arguments);
    }

    static Stream<Arguments> configFiles() {
        StringBuilder laughs = new StringBuilder("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int level = 1; level < 12; level++) {
            laughs.append("lol").append(level).append(": &lol").append(level).append(" [")
                    .append(String.join(", ", Collections.nCopies(10, "*lol" + (level - 1)))).append("]\n");
        }
        int depth = 50_000;
        return Stream.of(
                Case.yaml("YAML: billion laughs", laughs + csvConfig(), "bad.yaml line 2", "YAML alias *lol0",
                        "not supported"),
                Case.yaml("YAML: alias for a data path",
                        csvConfig().replace("{path: train.csv}", "{path: &p train.csv}\n  test: {path: *p}"),
                        "bad.yaml line 4", "YAML alias *p"),
                Case.yaml("YAML: very deep nesting", csvConfig() + "extra: " + "[".repeat(depth) + "]".repeat(depth) + "\n",
                        "bad.yaml", "nests deeper than a config can (the limit is 64)"),
                Case.yaml("YAML: very deep block nesting", csvConfig() + deepBlocks(200), "bad.yaml", "nests deeper than a config can"),
                Case.yaml("YAML: huge file", csvConfig() + "# padding to make a file too large\n".repeat(40_000),
                        "bad.yaml", "bytes, more than the 1048576 a config may have"))
                .map(Case::arguments);
    }

    static Stream<Arguments> dataPaths() {
        return Stream.of(
                new Case("data file missing", csvConfig(), List.of(), List.of("bad.yaml", "data.train.path",
                        "'train.csv' not found")),
                new Case("data file is a folder", csvConfig(), List.of(new FileContent("train.csv/", new byte[0])),
                        List.of("bad.yaml", "data.train.path", "'train.csv' is a folder", "expected CSV file")),
                new Case("IDX labels file is a folder", IDX_CONFIG,
                        List.of(new FileContent("images.idx", images(1, 4, 4, new byte[16])),
                                new FileContent("labels.idx/", new byte[0])),
                        List.of("bad.yaml", "data.train.labels", "'labels.idx' is a folder")),
                new Case("text file named neither .jsonl nor .csv", textConfig("train.txt", ""),
                        List.of(new FileContent("train.txt", bytes(GOOD_JSONL))),
                        List.of("bad.yaml", "data.train.path", "'train.txt'", "rename the file")),
                new Case("text file is a folder", textConfig("train.jsonl", ""),
                        List.of(new FileContent("train.jsonl/", new byte[0])),
                        List.of("bad.yaml", "data.train.path", "'train.jsonl' is a folder")))
                .map(Case::arguments);
    }

    // ---- building cases and files ---------------------------------------------------------------

    /** A file to write; a name ending in '/' is a folder. */
    record FileContent(String name, byte[] bytes) {}

    /**
     * One corpus entry: a config written as {@code bad.yaml} next to its files, and the parts the
     * one-line error (or, for good files, the output) must contain.
     */
    record Case(String name, String config, List<FileContent> files, List<String> expected) {

        static Case of(String name, String config, String file, byte[] bytes, String... expected) {
            return new Case(name, config, List.of(new FileContent(file, bytes)), List.of(expected));
        }

        static Case yaml(String name, String config, String... expected) {
            return new Case(name, config, List.of(new FileContent("train.csv", bytes(GOOD_CSV))), List.of(expected));
        }

        Case withConfig(String other) {
            return new Case(name, other, files, expected);
        }

        Arguments arguments() {
            return Arguments.of(Named.of(name, this));
        }

        Path write(Path folder) throws IOException {
            for (FileContent f : files) {
                if (f.name().endsWith("/")) {
                    Files.createDirectories(folder.resolve(f.name()));
                } else {
                    Files.write(folder.resolve(f.name()), f.bytes());
                }
            }
            return Files.writeString(folder.resolve("bad.yaml"), config);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Case idx(String name, byte[] images, byte[] labels, String... expected) {
        return new Case(name, IDX_CONFIG, List.of(new FileContent("images.idx", images),
                new FileContent("labels.idx", labels)), List.of(expected));
    }

    static Case csv(String name, String content, String... expected) {
        return new Case(name, csvConfig(), List.of(new FileContent("train.csv", bytes(content))), List.of(expected));
    }

    static Case weights(String name, byte[] file, String... expected) {
        return new Case(name, initConfig(), List.of(new FileContent("train.csv", bytes(GOOD_CSV)),
                new FileContent("w.safetensors", file)), List.of(expected));
    }

    static byte[] goodWeights() {
        String header = "{\"head/fc/bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"head/fc/weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[12,36]}}";
        ByteBuffer data = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 9; i++) {
            data.putFloat(0.1f * i);
        }
        return safetensors(header, data.array());
    }

    /** A safetensors file whose length prefix is the header's true length. */
    static byte[] safetensors(String header, byte[] data) {
        return safetensorsBytes(bytes(header), data);
    }

    static byte[] safetensorsBytes(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
    }

    /** A safetensors file whose length prefix says {@code declared}, whatever follows. */
    static byte[] safetensors(long declared, String header, byte[] data) {
        byte[] h = bytes(header);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(declared).put(h).put(data).array();
    }

    static byte[] idxBytes(int magic, int[] dims, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + body.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(body).array();
    }

    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        return idxBytes(0x0803, new int[] {count, rows, cols}, pixels);
    }

    static byte[] labels(int... values) {
        byte[] body = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            body[i] = (byte) values[i];
        }
        return idxBytes(0x0801, new int[] {values.length}, body);
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] cut(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length / 2);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code depth} nested block maps, each indented one more step. */
    static String deepBlocks(int depth) {
        StringBuilder sb = new StringBuilder("extra:\n");
        for (int i = 1; i <= depth; i++) {
            sb.append(" ".repeat(i)).append("k").append(i).append(":\n");
        }
        return sb.append(" ".repeat(depth + 1)).append("end: 1\n").toString();
    }
}
