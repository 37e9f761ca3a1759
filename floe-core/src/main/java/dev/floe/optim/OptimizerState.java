package dev.floe.optim;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A snapshot of a {@link GroupedOptimizer}'s state, for checkpoints.
 *
 * <p>Tensor keys are {@code <param path>#<state name>}: {@code #m} and {@code #v} for AdamW,
 * {@code #momentum} for SGD with momentum; values are row-major fp32, as long as the parameter.
 * Step keys are parameter paths. Both maps are sorted by key so that writing them is
 * deterministic. The float arrays are shared, not copied: do not modify them; {@code equals}
 * compares them by identity, as for any record holding arrays.
 *
 * @param optimizer the spec's {@link OptimizerSpec#name()} the state was made with
 * @param tensors state tensors by key
 * @param steps each tracked parameter's own step count (&ge; 0), by path
 */
public record OptimizerState(String optimizer, Map<String, float[]> tensors, Map<String, Integer> steps) {

    /** Separates the parameter path from the state name in tensor keys. */
    public static final char KEY_SEPARATOR = '#';

    /**
     * Checks the optimizer name and copies the tensors and steps, sorted by key.
     *
     * @param optimizer the spec's {@link OptimizerSpec#name()} the state was made with
     * @param tensors state tensors by key
     * @param steps each tracked parameter's own step count (&ge; 0), by path
     * @throws IllegalArgumentException if the optimizer name is blank
     */
    public OptimizerState {
        if (optimizer == null || optimizer.isBlank()) {
            throw new IllegalArgumentException("optimizer state needs the optimizer's name, e.g. adamw");
        }
        tensors = sortedCopy(tensors, "tensors");
        steps = sortedCopy(steps, "steps");
    }

    /**
     * The key of one state tensor, e.g. {@code head/fc/weight#m}.
     *
     * @param paramPath the parameter's path
     * @param stateName the state's name, e.g. {@code m}
     * @return the key
     */
    public static String key(String paramPath, String stateName) {
        return paramPath + KEY_SEPARATOR + stateName;
    }

    private static <V> SortedMap<String, V> sortedCopy(Map<String, V> map, String what) {
        if (map == null) {
            throw new IllegalArgumentException("optimizer state needs a " + what + " map (may be empty)");
        }
        TreeMap<String, V> copy = new TreeMap<>();
        for (Map.Entry<String, V> e : map.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException(
                        "optimizer state " + what + " has a null key or value at " + e.getKey());
            }
            copy.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableSortedMap(copy);
    }
}
