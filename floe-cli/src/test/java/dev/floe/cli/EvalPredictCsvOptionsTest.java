package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code floe eval} and {@code floe predict} read CSV files with every {@code data} option training
 * read them with ({@code delimiter}, {@code header}, {@code label_column} / {@code label_index},
 * {@code drop_columns}, {@code normalize}): the run's own test file scores exactly its final
 * evaluation, and the same file without its label column predicts the same classes.
 */
class EvalPredictCsvOptionsTest {

    /** CSV layouts a config can ask for. */
    enum Layout {
        /** {@code ;}-delimited with a header, the label named and in the middle, an id column dropped, normalised. */
        SEMICOLON_NAMED_LABEL_DROPPED_ID("""
                  delimiter: ";"
                  label_column: y
                  drop_columns: [id]
                  normalize: standard
                """),
        /** {@code ;}-delimited without a header, the label the first column. */
        SEMICOLON_NO_HEADER_LABEL_FIRST("""
                  delimiter: ";"
                  header: false
                  label_index: 0
                """),
        /** Tab-delimited, header found by {@code header: auto}, label by name as the last column. */
        TAB_AUTO_HEADER("""
                  delimiter: "\\t"
                  header: auto
                  label_column: y
                  normalize: minmax
                """);

        final String options;

        Layout(String options) {
            this.options = options;
        }

        char delimiter() {
            return this == TAB_AUTO_HEADER ? '\t' : ';';
        }

        /** {@code n} rows of this layout; without {@code labels} the label column is left out. */
        String rows(int n, long seed, boolean labels) {
            SplittableRandom r = new SplittableRandom(seed);
            String d = Character.toString(delimiter());
            StringBuilder sb = new StringBuilder();
            switch (this) {
                case SEMICOLON_NAMED_LABEL_DROPPED_ID -> sb.append(labels ? "id;a;y;b;c\n" : "id;a;b;c\n");
                case SEMICOLON_NO_HEADER_LABEL_FIRST -> { }
                case TAB_AUTO_HEADER -> sb.append(labels ? "a\tb\tc\ty\n" : "a\tb\tc\n");
            }
            for (int i = 0; i < n; i++) {
                int y = i % 3;
                String[] f = new String[3];
                for (int j = 0; j < 3; j++) {
                    f[j] = String.format(Locale.ROOT, "%.4f", r.nextGaussian() * 0.7 + (j == y ? 2.0 : 0) + 10);
                }
                List<String> cells = switch (this) {
                    case SEMICOLON_NAMED_LABEL_DROPPED_ID -> labels
                            ? List.of(Integer.toString(1000 + i), f[0], Integer.toString(y), f[1], f[2])
                            : List.of(Integer.toString(1000 + i), f[0], f[1], f[2]);
                    case SEMICOLON_NO_HEADER_LABEL_FIRST -> labels ? List.of(Integer.toString(y), f[0], f[1], f[2])
                            : List.of(f[0], f[1], f[2]);
                    case TAB_AUTO_HEADER -> labels ? List.of(f[0], f[1], f[2], Integer.toString(y))
                            : List.of(f[0], f[1], f[2]);
                };
                sb.append(String.join(d, cells)).append('\n');
            }
            return sb.toString();
        }
    }

    static final String CONFIG = """
            seed: 9
            data:
              format: csv
              train: {path: train.csv}
              test: {path: test.csv}
              num_classes: 3
            OPTIONS\
            model:
              inputs: {x: "[batch, 3]"}
              components:
                - {name: encoder, type: mlp, inputs: 3, hidden: [8], outputs: 8}
                - {name: head, type: linear_head, features: 8, classes: 3}
              wires: [{from: x, to: encoder.in}, {from: encoder.out, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: adamw, lr: 0.02}
            training: {epochs: 2, batch_size: 8}
            """;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Layout.class)
    void evalAndPredictReadTheFileAsTrainingDid(Layout layout) throws Exception {
        Files.writeString(dir.resolve("train.csv"), layout.rows(60, 1, true));
        Files.writeString(dir.resolve("test.csv"), layout.rows(21, 2, true));
        Files.writeString(dir.resolve("new.csv"), layout.rows(21, 2, false));
        Path config = Files.writeString(dir.resolve("run.yaml"), CONFIG.replace("OPTIONS", layout.options));
        Path run = dir.resolve("run");
        Result trained = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, trained.code(), trained.err());

        Result eval = floe("eval", run.toString(), "--data", dir.resolve("test.csv").toString(), "--json");

        assertEquals(0, eval.code(), eval.err());
        JsonNode got = Json.mapper().readTree(eval.out());
        JsonNode fin = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile()).get("final_eval");
        assertEquals(21, got.get("examples").asInt());
        assertEquals(fin.get("loss").asDouble(), got.get("loss").asDouble(), 0.0);
        assertEquals(fin.get("confusion"), got.get("confusion"));

        Result labelled = floe("predict", run.toString(), "--input", dir.resolve("test.csv").toString());
        Result unlabelled = floe("predict", run.toString(), "--input", dir.resolve("new.csv").toString());

        assertEquals(0, labelled.code(), labelled.err());
        assertEquals(0, unlabelled.code(), unlabelled.err());
        List<String> a = labelled.out().lines().toList();
        List<String> b = unlabelled.out().lines().toList();
        assertEquals(22, b.size(), unlabelled.out());
        assertEquals("index,predicted,p_0,p_1,p_2", b.get(0));
        for (int i = 1; i < a.size(); i++) {
            // labelled rows carry the label after the prediction; the rest is the same
            String[] withLabel = a.get(i).split(",");
            String[] without = b.get(i).split(",");
            assertEquals(withLabel[1], without[1], "row " + i);
            assertEquals(List.of(withLabel).subList(3, withLabel.length), List.of(without).subList(2, without.length));
        }
    }

    @org.junit.jupiter.api.Test
    void predictReadsAFileWithoutTheLabelColumnOfARunWithNamedLabels() throws Exception {
        String header = "id;a;b;c;risk\n";
        StringBuilder train = new StringBuilder(header);
        StringBuilder fresh = new StringBuilder("id;a;b;c\n");
        SplittableRandom r = new SplittableRandom(4);
        List<String> names = List.of("low", "mid", "high");
        for (int i = 0; i < 60; i++) {
            int y = i % 3;
            String[] f = new String[3];
            for (int j = 0; j < 3; j++) {
                f[j] = String.format(Locale.ROOT, "%.4f", r.nextGaussian() * 0.5 + (j == y ? 2.0 : 0));
            }
            train.append(i).append(';').append(String.join(";", f)).append(';').append(names.get(y)).append('\n');
            if (i < 9) {
                fresh.append(i).append(';').append(String.join(";", f)).append('\n');
            }
        }
        Files.writeString(dir.resolve("train.csv"), train);
        Files.writeString(dir.resolve("new.csv"), fresh);
        Path config = Files.writeString(dir.resolve("run.yaml"), CONFIG
                .replace("  test: {path: test.csv}\n  num_classes: 3\n", "  eval_fraction: 0.2\n")
                .replace("OPTIONS", """
                          delimiter: ";"
                          label_column: risk
                          labels: [low, mid, high]
                          drop_columns: [id]
                        """));
        Path run = dir.resolve("run");
        Result trained = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, trained.code(), trained.err());

        Result predicted = floe("predict", run.toString(), "--input", dir.resolve("new.csv").toString());

        assertEquals(0, predicted.code(), predicted.err());
        List<String> lines = predicted.out().lines().toList();
        assertEquals(10, lines.size(), predicted.out());
        assertEquals("index,predicted,p_low,p_mid,p_high", lines.get(0));

        Path bad = Files.writeString(dir.resolve("bad.csv"), "id;a;b;c\n1;0.5;1.5;2\n2;0.5;abc;2\n");
        Result refused = floe("predict", run.toString(), "--input", bad.toString());
        assertEquals(2, refused.code(), refused.err());
        assertEquals("floe: " + bad + ": line 3, column \"b\" (index 2): expected a finite number but found \"abc\";"
                + " every column except the label must be numeric, fix or remove the value", refused.err().strip());
    }
}
