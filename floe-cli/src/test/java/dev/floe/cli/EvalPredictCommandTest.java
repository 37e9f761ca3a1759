package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.engine.FloeEngine;
import dev.floe.io.Json;
import dev.floe.run.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe eval} and {@code floe predict} on a tiny numeric run trained once (three classes of
 * four features, one rare), and the {@link Predictor} API on it.
 */
class EvalPredictCommandTest {

    static final String NUMERIC = """
            seed: 5
            data:
              format: csv
              train: {path: train.csv}
              num_classes: 3
              eval_fraction: 0.25
            model:
              inputs: {x: "[batch, 4]"}
              components:
                - {name: encoder, type: mlp, inputs: 4, hidden: [8], outputs: 8}
                - {name: head, type: linear_head, features: 8, classes: 3}
              wires: [{from: x, to: encoder.in}, {from: encoder.out, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: adamw, lr: 0.02}
            training: {epochs: 3, batch_size: 8, class_weights: balanced}
            """;

    @TempDir
    static Path dir;

    static Path run;
    static Result trained;

    /** {@code n} rows {@code f0..f3,label}: class 2 is one row in six; with {@code labels} false no label column. */
    static String csv(int n, long seed, boolean labels) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(labels ? "f0,f1,f2,f3,label\n" : "f0,f1,f2,f3\n");
        for (int i = 0; i < n; i++) {
            int y = i % 6 == 5 ? 2 : i % 2;
            for (int j = 0; j < 4; j++) {
                sb.append(String.format(java.util.Locale.ROOT, "%.4f", r.nextGaussian() * 0.6 + (j == y ? 1.5 : 0)));
                sb.append(j < 3 || labels ? "," : "");
            }
            sb.append(labels ? Integer.toString(y) : "").append('\n');
        }
        return sb.toString();
    }

    @BeforeAll
    static void trainOnce() throws Exception {
        Files.writeString(dir.resolve("train.csv"), csv(96, 1, true));
        Files.writeString(dir.resolve("other.csv"), csv(30, 2, true));
        Files.writeString(dir.resolve("unlabelled.csv"), csv(30, 2, false));
        Path config = Files.writeString(dir.resolve("numeric.yaml"), NUMERIC);
        run = dir.resolve("run");
        trained = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
    }

    @Test
    void trainPrintsMacroF1AndTheConfusionMatrixAndRecordsThem() throws Exception {
        assertEquals(0, trained.code(), trained.err());
        assertTrue(trained.out().contains("macro-F1 "), trained.out());
        assertTrue(trained.out().contains("confusion (rows: true class, columns: predicted)"), trained.out());
        JsonNode fin = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile()).get("final_eval");
        assertEquals(24, fin.get("examples").asInt());
        long counted = 0;
        long right = 0;
        for (int t = 0; t < 3; t++) {
            for (int p = 0; p < 3; p++) {
                counted += fin.get("confusion").get(t).get(p).asLong();
                right += t == p ? fin.get("confusion").get(t).get(p).asLong() : 0;
            }
        }
        assertEquals(24, counted);
        assertEquals(fin.get("accuracy").asDouble(), right / 24.0, 0.0);
        assertEquals(3, fin.get("per_class").size());
        JsonNode manifest = Json.mapper().readTree(run.resolve("manifest.json").toFile()).at("/outcome/final_eval");
        assertEquals(fin.get("f1_macro").asDouble(), manifest.get("f1_macro").asDouble(), 0.0);
        assertEquals(fin.get("confusion"), manifest.get("confusion"));
    }

    @Test
    void evalOfTheSavedWeightsOnTheRunsOwnDataEqualsTheReportedFinalEvaluation() throws Exception {
        Result eval = floe("eval", run.toString(), "--json");

        assertEquals(0, eval.code(), eval.err());
        JsonNode got = Json.mapper().readTree(eval.out());
        JsonNode fin = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile()).get("final_eval");
        assertEquals(Double.doubleToLongBits(fin.get("loss").asDouble()), Double.doubleToLongBits(got.get("loss").asDouble()));
        assertEquals(Double.doubleToLongBits(fin.get("accuracy").asDouble()),
                Double.doubleToLongBits(got.get("accuracy").asDouble()));
        assertEquals(fin.get("confusion"), got.get("confusion"));
        assertEquals(fin.get("per_class"), got.get("per_class"));

        Result text = floe("eval", run.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains(String.format(java.util.Locale.ROOT, "accuracy  %.4f",
                fin.get("accuracy").asDouble())), text.out());
        assertTrue(text.out().contains("precision"), text.out());
    }

    @Test
    void evalOnAnotherFileScoresItsExamples() throws Exception {
        Result eval = floe("eval", run.toString(), "--data", dir.resolve("other.csv").toString(), "--json");

        assertEquals(0, eval.code(), eval.err());
        JsonNode got = Json.mapper().readTree(eval.out());
        assertEquals(30, got.get("examples").asInt());
        try (Predictor p = Predictor.open(run)) {
            assertEquals(got.get("accuracy").asDouble(), p.evaluate(dir.resolve("other.csv")).accuracy(), 0.0);
        }
    }

    @Test
    void evalRefusesAFileWithoutLabels() {
        Result eval = floe("eval", run.toString(), "--data", dir.resolve("unlabelled.csv").toString());

        assertEquals(2, eval.code());
        assertTrue(eval.err().startsWith("floe: ") && eval.err().contains("has no labels")
                && eval.err().contains("floe predict"), eval.err());
        assertEquals(1, eval.err().lines().count(), eval.err());
    }

    @Test
    void predictWritesOneRowPerExampleWithProbabilitiesAndAgreesWithEval() throws Exception {
        Path out = dir.resolve("predictions.csv");
        Result predict = floe("predict", run.toString(), "--input", dir.resolve("unlabelled.csv").toString(), "--out",
                out.toString());

        assertEquals(0, predict.code(), predict.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("index,predicted,p_0,p_1,p_2", lines.get(0));
        assertEquals(31, lines.size());
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            double sum = Double.parseDouble(cells[2]) + Double.parseDouble(cells[3]) + Double.parseDouble(cells[4]);
            assertEquals(1.0, sum, 1e-4, line);
        }
        // the same examples with labels: the predictions are the ones eval counts as right
        JsonNode eval = Json.mapper().readTree(
                floe("eval", run.toString(), "--data", dir.resolve("other.csv").toString(), "--json").out());
        List<String> labels = Files.readAllLines(dir.resolve("other.csv")).subList(1, 31).stream()
                .map(l -> l.substring(l.lastIndexOf(',') + 1)).toList();
        int right = 0;
        for (int i = 0; i < 30; i++) {
            right += lines.get(i + 1).split(",")[1].equals(labels.get(i)) ? 1 : 0;
        }
        assertEquals(eval.get("accuracy").asDouble(), right / 30.0, 1e-12);
    }

    @Test
    void predictWritesJsonLinesAndNeverOverwritesWithoutForce() throws Exception {
        Path out = dir.resolve("p.jsonl");
        Result first = floe("predict", run.toString(), "--input", dir.resolve("other.csv").toString(), "--out",
                out.toString());
        assertEquals(0, first.code(), first.err());
        JsonNode row = Json.mapper().readTree(Files.readAllLines(out).get(0));
        assertEquals(0, row.get("index").asInt());
        assertTrue(row.has("label") && row.get("probabilities").has("2"), row.toString());

        Files.writeString(out, "keep me");
        Result again = floe("predict", run.toString(), "--input", dir.resolve("other.csv").toString(), "--out",
                out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());
        assertEquals("keep me", Files.readString(out));

        Result forced = floe("predict", run.toString(), "--input", dir.resolve("other.csv").toString(), "--out",
                out.toString(), "--force");
        assertEquals(0, forced.code(), forced.err());
        assertEquals(30, Files.readAllLines(out).size());
    }

    @Test
    void predictorGivesPlainValuesAndLeavesNoNativeArrayBehind() throws Exception {
        int before = FloeEngine.liveArraysEverywhere();
        try (Predictor p = Predictor.open(run)) {
            assertEquals(List.of("0", "1", "2"), p.classNames());
            assertFalse(p.namedClasses());
            List<Predictor.Prediction> fromFile = p.predict(dir.resolve("unlabelled.csv"));
            double[][] probs = p.probabilities(dir.resolve("unlabelled.csv"));
            assertEquals(30, fromFile.size());
            assertEquals(-1, fromFile.get(0).trueLabel());
            List<String> rows = Files.readAllLines(dir.resolve("unlabelled.csv")).subList(1, 31);
            float[][] features = new float[30][4];
            for (int i = 0; i < 30; i++) {
                String[] cells = rows.get(i).split(",");
                for (int j = 0; j < 4; j++) {
                    features[i][j] = Float.parseFloat(cells[j]);
                }
            }
            List<Predictor.Prediction> fromRows = p.predictFeatures(features);
            for (int i = 0; i < 30; i++) {
                assertEquals(fromFile.get(i).predicted(), fromRows.get(i).predicted());
                assertEquals(fromFile.get(i).probabilities().get(0), probs[i][0], 0.0);
            }
            assertThrows(IllegalArgumentException.class, () -> p.predictFeatures(new float[][] {{1, 2, 3}}));
        }
        assertEquals(before, FloeEngine.liveArraysEverywhere(), "closing the predictor frees its native memory");
    }

    @Test
    void aRunWithoutWeightsOrOfAnotherFormatIsRefusedInOneLine() throws Exception {
        Path copy = dir.resolve("copy");
        dev.floe.io.AtomicFiles.copyTree(run, copy);
        Files.delete(copy.resolve(TrainCommand.WEIGHTS_FILE));
        Result noWeights = floe("eval", copy.toString());
        assertEquals(2, noWeights.code());
        assertTrue(noWeights.err().startsWith("floe: ") && noWeights.err().contains("has no weights.safetensors"),
                noWeights.err());
        assertEquals(1, noWeights.err().lines().count());

        Path other = dir.resolve("other-format");
        dev.floe.io.AtomicFiles.copyTree(run, other);
        Path manifest = other.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("floe-run-manifest/1", "floe-run-manifest/9"));
        Result predict = floe("predict", other.toString(), "--input", dir.resolve("other.csv").toString());
        assertEquals(2, predict.code());
        assertTrue(predict.err().contains("floe-run-manifest/9") && predict.err().contains("another Floe version"),
                predict.err());
        assertEquals(1, predict.err().lines().count());
    }

    @Test
    void classWeightsOfTheWrongLengthAreRefusedNamingTheKey() throws Exception {
        Path config = Files.writeString(dir.resolve("bad-weights.yaml"),
                NUMERIC.replace("class_weights: balanced", "class_weights: [1, 2]"));
        Result r = floe("train", config.toString(), "--out", dir.resolve("bad").toString(), "--no-progress");

        assertEquals(2, r.code());
        assertTrue(r.err().contains("training.class_weights") && r.err().contains("3 classes"), r.err());
        assertFalse(Files.exists(dir.resolve("bad")));

        Path negative = Files.writeString(dir.resolve("negative-weights.yaml"),
                NUMERIC.replace("class_weights: balanced", "class_weights: [1, -2, 1]"));
        Result n = floe("train", negative.toString(), "--out", dir.resolve("bad").toString(), "--no-progress");
        assertEquals(2, n.code());
        assertTrue(n.err().contains("class_weights[1] is -2"), n.err());
        assertNotEquals("", n.err());
    }
}
