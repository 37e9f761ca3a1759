package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny text run with DoRA and IA3 from YAML, merged at the end or not: {@code floe train} runs it
 * end to end, and {@code floe eval} rebuilds the model so that it gives the run's own final numbers.
 */
class PeftMethodsRunTest {

    private static final String PEFT = """
            peft:
              lora:
                - {name: dq, type: dora, target: "encoder/**/attention/self/query", rank: 2, alpha: 4}
              ia3:
                - {name: kv, target: "encoder/*/{attention/self/{key,value},output/dense}", feedforward: "encoder/*/output/dense"}
              merge: MERGE
            """;

    @TempDir
    Path dir;

    @Test
    void doraAndIa3RunsTrainAndEvaluateToTheirReportedNumbers() throws Exception {
        String base = PredictTextLoraTest.CONFIG;
        String config = base.substring(0, base.indexOf("peft:")) + PEFT + base.substring(base.indexOf("policy:"));
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
                """);
        for (boolean merge : new boolean[] {true, false}) {
            Path yaml = Files.writeString(dir.resolve("peft-" + merge + ".yaml"), config.replace("MERGE", "" + merge));
            Path run = dir.resolve("run-" + merge);
            Result r = floe("train", yaml.toString(), "--out", run.toString(), "--no-progress");
            assertEquals(0, r.code(), r.err());
            // DoRA on one query (2·8 + 8·2 + 8) + IA3 (key 8, value 8, FFN input 32) + the head (8·2 + 2)
            assertTrue(r.out().contains("106 trainable"), r.out());

            JsonNode fin = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile()).get("final_eval");
            Result eval = floe("eval", run.toString(), "--json");
            assertEquals(0, eval.code(), eval.err());
            JsonNode got = Json.mapper().readTree(eval.out());
            assertEquals(Double.doubleToLongBits(fin.get("loss").asDouble()),
                    Double.doubleToLongBits(got.get("loss").asDouble()), "merge " + merge + ": " + got + " vs " + fin);
        }
    }
}
