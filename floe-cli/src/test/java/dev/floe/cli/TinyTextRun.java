package dev.floe.cli;

/**
 * The config sections of the tiny text run the CLI's text tests train: JSON Lines data
 * ({@code train.jsonl}, {@code test.jsonl}, 12 word pieces) and a {@code transformer} encoder of width
 * 8 with two heads under a two-class linear head. Tests add their own seed, {@code peft},
 * {@code policy}, optimizer and training sections.
 */
final class TinyTextRun {

    private TinyTextRun() {}

    /**
     * The {@code data} and {@code model} sections.
     *
     * @param layers the encoder's layer count
     * @return YAML text ending in a newline
     */
    static String dataAndModel(int layers) {
        return """
                data:
                  format: text
                  train: {path: train.jsonl}
                  test: {path: test.jsonl}
                  max_tokens: 12
                model:
                  inputs: {input_ids: "[batch, seq] int64", attention_mask: "[batch, seq] int64"}
                  components:
                    - {name: encoder, type: transformer, hidden: 8, layers: LAYERS, heads: 2, max_positions: 16}
                    - {name: head, type: linear_head, features: 8, classes: 2}
                  wires:
                    - {from: input_ids, to: encoder.input_ids}
                    - {from: attention_mask, to: encoder.attention_mask}
                    - {from: encoder.pooled, to: head.in}
                  outputs: {logits: head.logits}
                """.replace("LAYERS", Integer.toString(layers));
    }

    /**
     * Writes {@code train.jsonl} (four spam and four ham texts) and {@code test.jsonl} (one spam text)
     * into {@code dir}.
     *
     * @param dir the config's folder
     * @throws java.io.IOException if a file cannot be written
     */
    static void writeSpamData(java.nio.file.Path dir) throws java.io.IOException {
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            train.append("{\"text\": \"win money fast ").append(i).append("\", \"label\": \"spam\"}\n");
            train.append("{\"text\": \"meeting at noon ").append(i).append("\", \"label\": \"ham\"}\n");
        }
        java.nio.file.Files.writeString(dir.resolve("train.jsonl"), train.toString());
        java.nio.file.Files.writeString(dir.resolve("test.jsonl"), "{\"text\": \"win cheap\", \"label\": \"spam\"}\n");
    }
}
