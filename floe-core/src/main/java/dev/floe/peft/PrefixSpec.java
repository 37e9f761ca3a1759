package dev.floe.peft;

/**
 * Prefix tuning (Li and Liang): in every layer of each targeted transformer encoder, {@code length}
 * trained key and value vectors (each {@code (length, hidden)}, in the space after the key and value
 * projections) are put before the layer's own keys and values. Every real token attends to them and
 * the attention mask is extended to cover them; they are not outputs, so the encoder's outputs,
 * positions and pooling are those of the real tokens. The prefixes start as normal noise with
 * standard deviation {@value #INIT_STD} (BERT's initializer range).
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the module and the bad field.
 *
 * @param name module name, unique in the graph (letters, digits, '_', '-')
 * @param length P, the prefix positions per layer, at least 1
 * @param target glob over component names choosing the transformer encoders, e.g. {@code encoder} or {@code *}
 */
public record PrefixSpec(String name, int length, String target) implements PeftSpec {

    /** Standard deviation of the initial prefixes. */
    public static final double INIT_STD = 0.02;

    /**
     * Checks every field.
     *
     * @param name see the class comment
     * @param length see the class comment
     * @param target see the class comment
     * @throws IllegalArgumentException naming the module and the bad field
     */
    public PrefixSpec {
        Names.checkName("prefix", name);
        if (length < 1) {
            throw new IllegalArgumentException(
                    "prefix '" + name + "': virtual_tokens (the prefix length) must be at least 1, found " + length
                            + "; typical lengths are 10 to 30");
        }
        Names.checkTarget("prefix", name, target);
    }

    @Override
    public String kind() {
        return "prefix";
    }

    @Override
    public PrefixSpec withName(String name) {
        return new PrefixSpec(name, length, target);
    }
}
