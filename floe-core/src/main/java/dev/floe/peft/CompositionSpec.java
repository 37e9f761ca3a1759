package dev.floe.peft;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A composition of LoRA modules and adapters that sit on the same Linear layers, applied by
 * {@link Composition} on each of those layers instead of the members one by one. With y the layer's
 * output so far and {@code d_k(y)} member k's term (LoRA: {@code s·x Aᵀ Bᵀ}; adapter:
 * {@code up(act(down(y)))}):
 * <ul>
 *   <li>{@link Kind#STACK}: {@code y_0 = y, y_k = y_{k-1} + d_k(y_{k-1})} in the listed order; the
 *       layer outputs {@code y_K}.</li>
 *   <li>{@link Kind#PARALLEL}: every member sees the same y; the layer outputs
 *       {@code y + Σ_k d_k(y)} (the members' terms summed). For one output per task head, route
 *       rows instead ({@link Routing}) or run one forward pass per member.</li>
 *   <li>{@link Kind#FUSION} (AdapterFusion): per position, with {@code o_k = y + d_k(y)},
 *       {@code q = y W_qᵀ}, {@code k_k = o_k W_kᵀ}, {@code a = softmax_k(q · k_k)}; the layer outputs
 *       {@code y + Σ_k a_k · d_k(y) W_vᵀ}. {@code W_q}, {@code W_k}, {@code W_v} are
 *       {@code (out, out)} per layer, trained; {@code W_q} starts at zero and {@code W_v} at the
 *       identity, so a fresh fusion outputs {@code y} plus the mean of the members' terms.</li>
 * </ul>
 *
 * <p>The constructor throws {@code IllegalArgumentException} naming the composition and the bad field.
 *
 * @param name the composition's name, unique in the graph across all PEFT modules (letters, digits, '_', '-')
 * @param kind how the members combine
 * @param members the names of at least two distinct LoRA modules or adapters, in order
 */
public record CompositionSpec(String name, Kind kind, List<String> members) {

    /** How members combine. */
    public enum Kind {
        /** In sequence: each member sees the output of the one before. */
        STACK,
        /** Side by side: every member sees the layer's output; their terms are summed. */
        PARALLEL,
        /** A trained attention over the members' outputs per position (AdapterFusion). */
        FUSION;

        /**
         * Parses {@code stack}, {@code parallel} or {@code fusion} (any case), or fails listing them.
         *
         * @param text the kind as written
         * @return the kind
         * @throws IllegalArgumentException naming the text and the choices when it is none of them
         */
        public static Kind parse(String text) {
            for (Kind k : values()) {
                if (k.name().equalsIgnoreCase(text.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown composition type '" + text + "'; expected stack, parallel or fusion");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks every field.
     *
     * @param name see the class comment
     * @param kind see the class comment
     * @param members see the class comment
     * @throws IllegalArgumentException naming the composition and the bad field
     */
    public CompositionSpec {
        Names.checkName("composition", name);
        if (kind == null) {
            throw new IllegalArgumentException("composition '" + name + "': type is required (stack, parallel or fusion)");
        }
        members = List.copyOf(members);
        if (members.size() < 2) {
            throw new IllegalArgumentException(
                    "composition '" + name + "': members lists " + members.size() + " module(s); compose at least two");
        }
        Set<String> seen = new HashSet<>();
        for (String m : members) {
            if (!seen.add(m)) {
                throw new IllegalArgumentException(
                        "composition '" + name + "': members lists '" + m + "' twice; list each module once");
            }
        }
    }
}
