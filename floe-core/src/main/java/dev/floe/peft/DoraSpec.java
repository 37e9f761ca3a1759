package dev.floe.peft;

/**
 * A DoRA module (weight-decomposed low-rank adaptation, Liu et al. 2024): each targeted Linear
 * {@code y = x Wᵀ + b} becomes {@code y = x W'ᵀ + b} with
 * {@code W' = diag(m / ‖V‖) · V} and {@code V = W + (alpha / rank) · B A}, where {@code ‖V‖} holds
 * the Euclidean norm of each row of V (one per output unit, taken over the input dimension — the
 * paper's column norm, written for {@code (in, out)} weights) and the magnitude m {@code (out)}
 * trains with A {@code (rank, in)} and B {@code (out, rank)}. m starts at the row norms of W and
 * B at zero, so an injected module starts as the identity. Dropout, when set, applies to the
 * input of the low-rank branch only: {@code y = (m / ‖V‖) ⊙ (x Wᵀ + scale · dropout(x) Aᵀ Bᵀ) + b}.
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the module and the bad field.
 *
 * @param name module name, unique in the graph (letters, digits, '_', '-')
 * @param rank r, at least 1 and at most {@code min(in, out)} of every targeted layer (checked at injection)
 * @param alpha scaling numerator, finite and &gt; 0; the low-rank update is scaled by {@code alpha / rank}
 * @param dropout dropout on the low-rank branch's input while it trains, in [0, 1)
 * @param target glob over Linear module paths, e.g. {@code encoder/**}{@code /attention/self/{query,value}}
 */
public record DoraSpec(String name, int rank, double alpha, double dropout, String target) implements PeftSpec {

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
    public DoraSpec {
        Names.checkName("dora", name);
        if (rank < 1) {
            throw new IllegalArgumentException(
                    "dora '" + name + "': rank must be at least 1, found " + rank + "; typical ranks are 4 to 16");
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException(
                    "dora '" + name + "': alpha must be a finite number > 0, found " + alpha
                            + "; alpha = rank gives scale 1");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(
                    "dora '" + name + "': dropout must be in [0, 1), found " + dropout
                            + "; 0 turns it off, 0.05 to 0.1 is usual");
        }
        Names.checkTarget("dora", name, target);
    }

    /**
     * Rank {@code rank}, {@code alpha = rank} (scale 1) and no dropout.
     *
     * @param name module name, unique in the graph
     * @param rank r, at least 1
     * @param target glob over Linear module paths
     * @return the spec
     */
    public static DoraSpec of(String name, int rank, String target) {
        return new DoraSpec(name, rank, rank, 0.0, target);
    }

    /** {@return the factor on the low-rank update: {@code alpha / rank}} */
    public double scale() {
        return alpha / rank;
    }

    @Override
    public String kind() {
        return "dora";
    }

    @Override
    public DoraSpec withName(String name) {
        return new DoraSpec(name, rank, alpha, dropout, target);
    }
}
