package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.data.Dataset;
import dev.floe.data.Examples;
import dev.floe.explain.Attributions;
import dev.floe.io.Json;
import dev.floe.run.Predictor;
import dev.floe.run.TrainedRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe predict --explain}: on a numeric run whose label is decided by one column alone, that
 * column is every example's top contributing input; contributions of all inputs add up to the
 * predicted logit's change from the baseline; text runs name tokens.
 */
class PredictExplainTest {

    static final String NUMERIC = """
            seed: 3
            data:
              format: csv
              train: {path: train.csv}
              label_column: y
              num_classes: 2
              normalize: standard
            model:
              inputs: {x: "[batch, 3]"}
              components:
                - {name: encoder, type: mlp, inputs: 3, hidden: [8], outputs: 4}
                - {name: head, type: linear_head, features: 4, classes: 2}
              wires: [{from: x, to: encoder.in}, {from: encoder.out, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: adamw, lr: 0.05}
            training: {epochs: 8, batch_size: 16}
            """;

    @TempDir
    static Path dir;

    static Path run;

    /** Columns noise_a, decides, y, noise_b: y is 1 exactly when decides is positive; the noise columns are wider. */
    static String csv(int n, long seed, boolean labels) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(labels ? "noise_a,decides,y,noise_b\n" : "noise_a,decides,noise_b\n");
        for (int i = 0; i < n; i++) {
            int y = i % 2;
            double decides = (y == 1 ? 1 : -1) * (1.0 + r.nextDouble());
            sb.append(String.format(Locale.ROOT, "%.4f,%.4f,", r.nextGaussian() * 2, decides));
            if (labels) {
                sb.append(y).append(',');
            }
            sb.append(String.format(Locale.ROOT, "%.4f%n", r.nextGaussian() * 2));
        }
        return sb.toString();
    }

    @BeforeAll
    static void trainOnce() throws Exception {
        Files.writeString(dir.resolve("train.csv"), csv(160, 1, true));
        Files.writeString(dir.resolve("new.csv"), csv(20, 2, false));
        Path config = Files.writeString(dir.resolve("numeric.yaml"), NUMERIC);
        run = dir.resolve("run");
        Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void theColumnThatDecidesTheLabelRanksFirstForEveryExample() throws Exception {
        Path out = dir.resolve("explained.jsonl");
        Result r = floe("predict", run.toString(), "--input", dir.resolve("new.csv").toString(), "--out",
                out.toString(), "--explain", "--top", "2");

        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(20, lines.size());
        for (String line : lines) {
            JsonNode n = Json.mapper().readTree(line);
            JsonNode top = n.get("explanation");
            assertEquals(2, top.size(), line);
            assertEquals("decides", top.get(0).get("input").asText(), line);
            assertEquals(1, top.get(0).get("position").asInt(), line);
            assertTrue(Math.abs(top.get(0).get("contribution").asDouble())
                    >= Math.abs(top.get(1).get("contribution").asDouble()), line);
            // the decisive column pushes towards the predicted class
            assertTrue(top.get(0).get("contribution").asDouble() > 0, line);
        }
    }

    @Test
    void csvOutputCarriesTheTopInputsNextToTheProbabilities() {
        Result r = floe("predict", run.toString(), "--input", dir.resolve("new.csv").toString(), "--explain",
                "--top", "1", "--steps", "8");

        assertEquals(0, r.code(), r.err());
        List<String> rows = r.out().lines().toList();
        assertEquals("index,predicted,p_0,p_1,input_1,contribution_1", rows.get(0));
        assertEquals(21, rows.size());
        for (String row : rows.subList(1, rows.size())) {
            assertEquals("decides", row.split(",")[4], row);
        }
    }

    @Test
    void theContributionsOfAllInputsAddUpToTheLogitChangeFromTheBaseline() {
        Path file = dir.resolve("new.csv");
        try (Predictor p = Predictor.open(run); TrainedRun t = TrainedRun.open(run)) {
            List<Predictor.Explanation> explained = p.explain(file, null, 3, 256);
            Dataset data = ((Examples.Numeric) t.read(file, null, false).examples()).data();
            float[][] rows = new float[data.size()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = data.features(i);
            }
            float[][] logits = Attributions.outputs(t.graph(), t.output(), rows);
            // the baseline: every normalised feature 0, i.e. every column at its training mean
            float[] atBaseline = Attributions.outputs(t.graph(), t.output(), new float[][] {new float[3]})[0];
            for (int i = 0; i < rows.length; i++) {
                Predictor.Explanation e = explained.get(i);
                assertEquals(List.of("decides", "noise_a", "noise_b"),
                        e.top().stream().map(Predictor.Contribution::input).sorted().toList());
                int c = e.prediction().predicted();
                double sum = e.top().stream().mapToDouble(Predictor.Contribution::value).sum();
                assertEquals(logits[i][c] - atBaseline[c], sum, 1e-2, "example " + i);
            }
        }
    }

    @Test
    void aTextRunNamesTheTokensOfEachText() throws Exception {
        Path textDir = dir.resolve("text");
        Files.createDirectories(textDir);
        String[] spam = {"cheap pills buy now", "win money fast", "free prize claim today", "click here to win"};
        String[] ham = {"meeting at noon", "review the report", "lunch on friday", "notes from the call"};
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            train.append("{\"text\": \"").append(spam[i]).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"").append(ham[i]).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(textDir.resolve("train.jsonl"), train.toString());
        Files.writeString(textDir.resolve("new.jsonl"), "{\"text\": \"win cheap pills\"}\n{\"text\": \"the report\"}\n");
        Path config = Files.writeString(textDir.resolve("text.yaml"), PredictTextLoraTest.CONFIG.replace("MERGE", "true")
                .replace("  test: {path: test.jsonl}\n", ""));
        Path textRun = textDir.resolve("run");
        Result trained = floe("train", config.toString(), "--out", textRun.toString(), "--no-progress");
        assertEquals(0, trained.code(), trained.err());

        Path out = textDir.resolve("explained.jsonl");
        Result r = floe("predict", textRun.toString(), "--input", textDir.resolve("new.jsonl").toString(), "--out",
                out.toString(), "--explain", "--top", "10", "--steps", "8");

        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        List<List<String>> tokens = List.of(List.of("[CLS]", "win", "cheap", "pills", "[SEP]"),
                List.of("[CLS]", "the", "report", "[SEP]"));
        for (int i = 0; i < 2; i++) {
            JsonNode top = Json.mapper().readTree(lines.get(i)).get("explanation");
            assertEquals(tokens.get(i).size(), top.size(), lines.get(i)); // fewer tokens than --top: all of them
            for (JsonNode c : top) {
                assertEquals(tokens.get(i).get(c.get("position").asInt()), c.get("input").asText(), lines.get(i));
            }
        }
    }

    @Test
    void topAndStepsWithoutExplainAreRefused() {
        Result r = floe("predict", run.toString(), "--input", dir.resolve("new.csv").toString(), "--top", "3");

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: --top") && r.err().contains("add --explain"), r.err());
    }
}
