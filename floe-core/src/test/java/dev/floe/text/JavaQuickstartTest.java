package dev.floe.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.freeze.FreezePolicy;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.peft.PeftIo;
import dev.floe.train.TrainResult;
import dev.floe.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Use from Java" code, run as written (between the QUICKSTART markers). */
class JavaQuickstartTest {

    @Test
    void theReadmeShowsThisTestsQuickstartCode() throws Exception {
        Path readme = Path.of("..", "README.md");
        String source = Files.readString(Path.of("src/test/java/dev/floe/text/JavaQuickstartTest.java"));
        String code = source.substring(source.lastIndexOf("// QUICKSTART BEGIN"), source.lastIndexOf("// QUICKSTART END"));
        List<String> lines = code.lines().skip(1).map(String::strip).filter(l -> !l.isEmpty()).toList();
        String section = Files.readString(readme);
        section = section.substring(section.indexOf("## Use from Java"));
        List<String> shown = section.lines().map(String::strip).toList();
        int at = shown.indexOf(lines.get(0));
        assertTrue(at >= 0, "README's Use from Java section lacks: " + lines.get(0));
        assertEquals(lines, shown.subList(at, at + lines.size()), "README's Use from Java code differs from this test's");
        assertTrue(lines.size() + 1 <= 30, "the quickstart is at most 30 lines");
    }

    @Test
    void quickstartTrainsLoraOnMiniLmSavesTheAdapterAndPredicts(@TempDir Path dir) throws Exception {
        List<String> texts = List.of("WIN a FREE prize now, click here", "Cheap pills, limited offer, buy now",
                "You have been selected for a cash reward", "Lowest mortgage rates, act today",
                "Meeting moved to 3pm, see agenda attached", "Can you review my patch before Friday?",
                "Lunch tomorrow with the team?", "The build is green again after the fix");
        List<String> labels = List.of("spam", "spam", "spam", "spam", "ham", "ham", "ham", "ham");
        // QUICKSTART BEGIN
        try (TextClassifier model = MiniLm.classifier(List.of("ham", "spam"), 32)) {
            Lora.inject(model.graph(), LoraSpec.of("task", 8, "encoder/**/attention/self/{query,value}"));
            // LoRA froze the rest of the encoder; the new head and the LoRA factors train
            FreezePolicy policy = FreezePolicy.trainAll();
            try (Trainer trainer = Trainer.builder().plan(policy.resolve(model.graph()))
                    .optimizer(OptimizerSpec.adamW(5e-3)).batchSize(4).epochs(2).seed(1).build()) {
                TrainResult result = trainer.run(model.examples(texts, labels), null);
                System.out.println("loss per epoch: " + result.epochs().stream().map(e -> e.trainLoss()).toList());
            }
            PeftIo.save(model.graph(), "task", dir.resolve("task.safetensors"));
            List<String> predicted = model.predict(List.of("Claim your free prize", "Notes from today's meeting"));
            float[][] probabilities = model.probabilities(List.of("Claim your free prize"));
            // QUICKSTART END
            assertTrue(Files.size(dir.resolve("task.safetensors")) > 0);
            assertEquals(2, predicted.size());
            assertTrue(List.of("ham", "spam").containsAll(predicted));
            assertEquals(1.0, probabilities[0][0] + probabilities[0][1], 1e-5);
            // host freezing: the encoder's own weights are frozen, the head trains
            assertFalse(policy.resolve(model.graph()).entry("encoder/embeddings/word_embeddings/weight").trains());
            assertTrue(policy.resolve(model.graph()).entry("head/fc/weight").trains());
        }
    }
}
