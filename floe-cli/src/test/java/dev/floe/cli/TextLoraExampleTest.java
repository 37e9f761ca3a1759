package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/text-lora.yaml} as shipped, on a handful of short texts instead of the bundled
 * corpus: it plans and trains from the command line, with MiniLM's bundled weights, LoRA on query
 * and value, and the label names saved with the run. The only test that loads MiniLM through a config.
 */
class TextLoraExampleTest {

    private static final Path EXAMPLE = Path.of("../examples/text-lora.yaml");

    @TempDir
    Path dir;

    /** The example with its data replaced by {@code train.jsonl} in {@code dir} and one short epoch. */
    private Path smallExample() throws Exception {
        StringBuilder lines = new StringBuilder();
        String[] spam = {"cheap pills buy now", "win money fast", "free prize claim today", "click here to win"};
        String[] ham = {"meeting at noon", "review the report", "lunch on friday", "notes from the call"};
        for (int i = 0; i < 4; i++) {
            lines.append("{\"text\": \"").append(spam[i]).append("\", \"label\": \"spam\"}\n");
            lines.append("{\"text\": \"").append(ham[i]).append("\", \"label\": \"ham\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), lines.toString());
        String yaml = Files.readString(EXAMPLE);
        for (String[] r : List.of(
                new String[] {"spam-assassin/train.jsonl.gz", "train.jsonl"},
                new String[] {"max_tokens: 64", "max_tokens: 12"},
                new String[] {"per_class: 100", "per_class: 2"},
                new String[] {"epochs: 3, batch_size: 16", "epochs: 1, batch_size: 2"},
                new String[] {"eval_fraction: 0.1", "eval_fraction: 0.25"})) {
            assertTrue(yaml.contains(r[0]), "the example no longer contains " + r[0]);
            yaml = yaml.replace(r[0], r[1]);
        }
        return Files.writeString(dir.resolve("text-lora.yaml"), yaml);
    }

    @Test
    void theExamplePlansAndTrainsWithMiniLmAndLoraAndSavesTheLabels() throws Exception {
        Path config = smallExample();

        Result plan = floe("plan", config.toString());
        Path out = dir.resolve("run");
        Result train = floe("train", config.toString(), "--out", out.toString(), "--no-progress");

        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("peft: lora 'qv' (rank 8, alpha 16.0, dropout 0.0) on 12 layers"), plan.out());
        assertTrue(plan.out().contains("freeze_host adds rule #1 'freeze encoder/**'"), plan.out());
        assertTrue(plan.out().contains("of the trainable: lora 73,728 params"), plan.out());
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("train 4 examples, 2 classes [ham, spam]; eval 2 examples"), train.out());
        JsonNode labels = Json.mapper().readTree(out.resolve(TrainCommand.LABELS_FILE).toFile());
        assertEquals("[\"ham\",\"spam\"]", labels.get("labels").toString());
        JsonNode manifest = Json.mapper().readTree(out.resolve("manifest.json").toFile());
        assertEquals("[\"ham\",\"spam\"]", manifest.at("/recipe/data/0/labels").toString());
        assertTrue(Files.size(out.resolve(TrainCommand.WEIGHTS_FILE)) > 80_000_000L, "MiniLM weights are saved");
    }
}
