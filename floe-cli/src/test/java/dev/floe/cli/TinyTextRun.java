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
}
