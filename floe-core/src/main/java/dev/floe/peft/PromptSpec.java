package dev.floe.peft;

/**
 * Prompt tuning (Lester et al.): {@code virtualTokens} trained embeddings put before the word
 * embeddings of every input of each targeted transformer encoder. They take positions
 * {@code 0..N-1} and token type 0, the real tokens move to positions {@code N..}, every real token
 * attends to them, and the encoder's outputs cover the real tokens only (mean pooling averages real
 * tokens; CLS pooling takes the real {@code [CLS]}). The embeddings start as copies of N word
 * embeddings drawn from the vocabulary (seeded by the graph's seed and the module name).
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the module and the bad field.
 *
 * @param name module name, unique in the graph (letters, digits, '_', '-')
 * @param virtualTokens N, at least 1; N plus the longest input must fit the encoder's positions
 * @param target glob over component names choosing the transformer encoders, e.g. {@code encoder} or {@code *}
 */
public record PromptSpec(String name, int virtualTokens, String target) implements PeftSpec {

    /**
     * Checks every field.
     *
     * @param name see the class comment
     * @param virtualTokens see the class comment
     * @param target see the class comment
     * @throws IllegalArgumentException naming the module and the bad field
     */
    public PromptSpec {
        Names.checkName("prompt", name);
        if (virtualTokens < 1) {
            throw new IllegalArgumentException(
                    "prompt '" + name + "': virtual_tokens must be at least 1, found " + virtualTokens
                            + "; typical counts are 8 to 32");
        }
        Names.checkTarget("prompt", name, target);
    }

    @Override
    public String kind() {
        return "prompt";
    }

    @Override
    public PromptSpec withName(String name) {
        return new PromptSpec(name, virtualTokens, target);
    }
}
