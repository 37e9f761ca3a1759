package dev.floe.peft;

/**
 * A LoRA module: each targeted Linear {@code y = x Wᵀ + b} becomes
 * {@code y = x Wᵀ + b + (alpha / rank) · dropout(x) Aᵀ Bᵀ} with A {@code (rank, in)} and
 * B {@code (out, rank)}; B starts at zero, so an injected module starts as the identity.
 * Injecting it ({@link Lora#inject(dev.floe.graph.ModelGraph, LoraSpec)}) freezes the rest of the
 * component holding it unless asked not to ({@link Lora#inject(dev.floe.graph.ModelGraph, LoraSpec, boolean)}).
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the module and the bad field.
 *
 * @param name module name, unique in the graph (letters, digits, '_', '-')
 * @param rank r, at least 1 and at most {@code min(in, out)} of every targeted layer (checked at injection)
 * @param alpha scaling numerator, finite and &gt; 0; the update is scaled by {@code alpha / rank}
 * @param dropout dropout on the LoRA branch's input while it trains, in [0, 1)
 * @param target glob over Linear module paths, e.g. {@code encoder/**}{@code /attention/self/{query,value}}
 */
public record LoraSpec(String name, int rank, double alpha, double dropout, String target) implements PeftSpec {

    /**
     * Checks every field.
     *
     * @param name see the class comment
     * @param rank see the class comment
     * @param alpha see the class comment
     * @param dropout see the class comment
     * @param target see the class comment
     * @throws IllegalArgumentException naming the module and the bad field
     */
    public LoraSpec {
        Names.checkName("lora", name);
        if (rank < 1) {
            throw new IllegalArgumentException(
                    "lora '" + name + "': rank must be at least 1, found " + rank + "; typical ranks are 4 to 16");
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException(
                    "lora '" + name + "': alpha must be a finite number > 0, found " + alpha
                            + "; alpha = rank gives scale 1");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(
                    "lora '" + name + "': dropout must be in [0, 1), found " + dropout
                            + "; 0 turns it off, 0.05 to 0.1 is usual");
        }
        Names.checkTarget("lora", name, target);
    }

    /**
     * Rank {@code rank}, {@code alpha = rank} (scale 1) and no dropout.
     *
     * @param name module name, unique in the graph
     * @param rank r, at least 1
     * @param target glob over Linear module paths
     * @return the spec
     */
    public static LoraSpec of(String name, int rank, String target) {
        return new LoraSpec(name, rank, rank, 0.0, target);
    }

    /** {@return the factor on the low-rank update: {@code alpha / rank}} */
    public double scale() {
        return alpha / rank;
    }

    @Override
    public String kind() {
        return "lora";
    }

    @Override
    public LoraSpec withName(String name) {
        return new LoraSpec(name, rank, alpha, dropout, target);
    }
}
