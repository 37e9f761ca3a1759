package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe plan} on a config with DoRA and IA3 modules: what was injected, with parameter counts. */
class PeftMethodsPlanTest {

    private static final String CONFIG = """
            seed: 3
            data:
              format: text
              train: {path: train.jsonl}
              max_tokens: 12
            model:
              inputs: {input_ids: "[batch, seq] int64", attention_mask: "[batch, seq] int64"}
              components:
                - {name: encoder, type: transformer, hidden: 8, layers: 2, heads: 2, max_positions: 32}
                - {name: head, type: linear_head, features: 8, classes: 2}
              wires:
                - {from: input_ids, to: encoder.input_ids}
                - {from: attention_mask, to: encoder.attention_mask}
                - {from: encoder.pooled, to: head.in}
              outputs: {logits: head.logits}
            peft:
              lora: [{name: dq, type: dora, target: "encoder/*/attention/self/query", rank: 2}]
              ia3: [{name: kv, target: "encoder/*/{attention/self/{key,value},output/dense}", feedforward: "encoder/*/output/dense"}]
              RANK
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 1, batch_size: 2}
            """;

    private static Path write(Path dir, String peftExtra) throws Exception {
        Files.writeString(dir.resolve("train.jsonl"), "{\"text\": \"a b\", \"label\": \"x\"}\n{\"text\": \"c\", \"label\": \"y\"}\n");
        Path file = dir.resolve("peft.yaml");
        Files.writeString(file, CONFIG.replace("RANK", peftExtra));
        return file;
    }

    @Test
    void planPrintsEachModuleWithItsParameterCountAndTheTableCountsThem(@TempDir Path dir) throws Exception {
        PlanCommandTest.Result r = floe("plan", write(dir, "merge: true").toString());

        assertEquals(0, r.code(), r.err());
        // two layers; DoRA on query (8→8): 2·8 + 8·2 + 8 = 40 each; IA3: key 8 + value 8 + FFN input 32 = 48 each
        assertTrue(r.out().contains("peft: dora 'dq' (rank 2, alpha 2.0, dropout 0.0) on 2 layers matching"
                + " encoder/*/attention/self/query, 80 parameters (A, B and a magnitude per output unit), active"), r.out());
        assertTrue(r.out().contains("peft: ia3 'kv' on 6 layers matching encoder/*/{attention/self/{key,value},output/dense}"
                + " (2 scaling their input, feedforward encoder/*/output/dense), 96 parameters, active"), r.out());
        assertTrue(r.out().contains("the active LoRA, DoRA and IA3 modules are merged into the base weights"), r.out());
        String layer = r.out().lines().filter(l -> l.startsWith("encoder/layer.0 ")).findFirst()
                .orElseThrow(() -> new AssertionError(r.out()));
        assertTrue(layer.contains("frozen+lora+adapter") && layer.contains("(base under lora dq)"), layer);
        // the table's totals count each method's parameters under its own name
        assertTrue(r.out().contains(String.format("of the trainable: dora 80 params, ia3 96 params%n")), r.out());
        assertTrue(r.out().contains("trainable 194 params"), r.out()); // 80 + 96 + the head's 18
    }

    @Test
    void aRankOfZeroExitsWith2NamingTheKey(@TempDir Path dir) throws Exception {
        Path file = write(dir, "merge: false");
        Files.writeString(file, Files.readString(file).replace("rank: 2", "rank: 0"));
        PlanCommandTest.Result r = floe("plan", file.toString());

        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("floe: ") && r.err().contains("peft.lora[0].rank: ")
                && r.err().contains("rank must be a positive integer, found 0"),
                r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
