package dev.floe.peft;

import dev.floe.nn.Param;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What LoRA, DoRA and IA3 modules share: a spec, the graph's set of active module names, their
 * parameters by path, and whether (and when) they are folded into the base weights.
 *
 * @param <S> the module's spec type
 */
abstract sealed class WeightModule<S extends PeftSpec> implements PeftModule permits LoraModule, DoraModule, Ia3Module {

    final S spec;
    /** The graph's active module names (shared, live): a merged module takes itself out. */
    final Set<String> active;
    final Map<String, Param> params = new LinkedHashMap<>();
    private boolean merged;
    private long mergeOrder;

    WeightModule(S spec, Set<String> active) {
        this.spec = spec;
        this.active = active;
    }

    @Override
    public S spec() {
        return spec;
    }

    @Override
    public Map<String, Param> params() {
        return Collections.unmodifiableMap(params);
    }

    @Override
    public boolean merged() {
        return merged;
    }

    @Override
    public long mergeOrder() {
        return mergeOrder;
    }

    /** Whether its deltas take part in forward passes: active and not merged. */
    boolean active() {
        return !merged && active.contains(spec.name());
    }

    /** Records a merge just done: merged, numbered by {@link Merges#next()}, its deltas off. */
    void markMerged() {
        merged = true;
        mergeOrder = Merges.next();
        active.remove(spec.name());
    }

    /** Records an unmerge just done: not merged, its deltas on again. */
    void markUnmerged() {
        merged = false;
        mergeOrder = 0;
        active.add(spec.name());
    }
}
