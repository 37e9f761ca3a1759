package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import dev.floe.run.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny text run with LoRA merged at the end ({@code peft.merge}): its saved weights are the merged
 * ones, and eval and predict rebuild the model so that they give what the run gave.
 */
class PredictTextLoraTest {

    static final String CONFIG = "seed: 4\n" + TinyTextRun.dataAndModel(1) + """
            peft:
              lora:
                - {name: qv, target: "encoder/**/attention/self/{query,value}", rank: 2, alpha: 4}
              merge: MERGE
            policy:
              - {train: "head/**"}
            optimizer: {type: adamw, lr: 0.05}
            training: {epochs: 2, batch_size: 4}
            """;

    @TempDir
    Path dir;

    private Path trainRun(boolean merge) throws Exception {
        String[] spam = {"cheap pills buy now", "win money fast", "free prize claim today", "click here to win"};
        String[] ham = {"meeting at noon", "review the report", "lunch on friday", "notes from the call"};
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            train.append("{\"text\": \"").append(spam[i]).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"").append(ham[i]).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train.toString());
        Files.writeString(dir.resolve("test.jsonl"), """
                {"text": "win cheap pills", "label": "spam"}
                {"text": "the report at noon", "label": "ham"}
                {"text": "claim your prize now", "label": "spam"}
                """);
        Path config = Files.writeString(dir.resolve("lora-" + merge + ".yaml"), CONFIG.replace("MERGE", Boolean.toString(merge)));
        Path run = dir.resolve("run-" + merge);
        Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    @Test
    void mergedAndUnmergedLoraRunsEvaluateToTheirReportedNumbersAndPredictByName() throws Exception {
        for (boolean merge : new boolean[] {true, false}) {
            Path run = trainRun(merge);
            JsonNode fin = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile()).get("final_eval");
            assertEquals("[\"ham\",\"spam\"]", fin.get("labels").toString());

            Result eval = floe("eval", run.toString(), "--json");
            assertEquals(0, eval.code(), eval.err());
            JsonNode got = Json.mapper().readTree(eval.out());
            assertEquals(Double.doubleToLongBits(fin.get("loss").asDouble()),
                    Double.doubleToLongBits(got.get("loss").asDouble()), "merge " + merge + ": " + got + " vs " + fin);
            assertEquals(fin.get("accuracy").asDouble(), got.get("accuracy").asDouble(), 0.0);
            assertEquals("ham", got.get("per_class").get(0).get("class").asText());

            Files.writeString(dir.resolve("new.jsonl"), "{\"text\": \"win cheap pills\"}\n{\"text\": \"lunch at noon\"}\n");
            Result predict = floe("predict", run.toString(), "--input", dir.resolve("new.jsonl").toString());
            assertEquals(0, predict.code(), predict.err());
            List<String> lines = predict.out().lines().toList();
            assertEquals("index,predicted,p_ham,p_spam", lines.get(0));
            assertEquals(3, lines.size(), predict.out());
            try (Predictor p = Predictor.open(run)) {
                List<Predictor.Prediction> texts = p.predictTexts(List.of("win cheap pills", "lunch at noon"));
                assertTrue(p.namedClasses());
                for (int i = 0; i < 2; i++) {
                    assertTrue(lines.get(i + 1).startsWith(i + "," + texts.get(i).label() + ","), lines.get(i + 1));
                }
                // the first test text, scored alone, has the probabilities it has inside the file
                double[][] probs = p.probabilities(dir.resolve("test.jsonl"));
                assertEquals(probs[0][1], p.predictTexts(List.of("win cheap pills")).get(0).probabilities().get(1), 1e-6);
            }
        }
    }
}
