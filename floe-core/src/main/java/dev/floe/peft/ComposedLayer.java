package dev.floe.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.LinearDelta;
import dev.floe.nn.Param;
import dev.floe.nn.RowMask;
import java.util.List;
import java.util.Set;

/**
 * A composition on one Linear layer: holds the members' deltas (taken off the layer) and applies
 * them as {@link CompositionSpec} defines while the composition is active; while it is not, applies
 * its active members one after the other as if they were not composed.
 */
final class ComposedLayer implements LinearDelta {

    private final CompositionSpec spec;
    private final Set<String> active;
    private final String layer;
    private final List<PeftModule.Delta> members;
    /** The members in the order they were attached to the layer, which is how they apply uncomposed. */
    private final List<PeftModule.Delta> attached;
    /** Fusion only: {@code (out, out)} each; null otherwise. */
    private final Param query;
    private final Param key;
    private final Param value;

    ComposedLayer(CompositionSpec spec, Set<String> active, String layer, List<PeftModule.Delta> members,
            List<PeftModule.Delta> attached, Param query, Param key, Param value) {
        this.spec = spec;
        this.active = active;
        this.layer = layer;
        this.members = List.copyOf(members);
        this.attached = List.copyOf(attached);
        this.query = query;
        this.key = key;
        this.value = value;
    }

    CompositionSpec spec() {
        return spec;
    }

    String layer() {
        return layer;
    }

    List<PeftModule.Delta> members() {
        return members;
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public boolean active() {
        return active.contains(spec.name()) || members.stream().anyMatch(LinearDelta::active);
    }

    /** Members whose update is folded into the weights (a merged LoRA module) add nothing here. */
    private boolean applies(PeftModule.Delta m) {
        return !m.module().merged();
    }

    @Override
    public NDArray apply(ForwardContext context, NDArray input, NDArray output) {
        if (!active.contains(spec.name())) {
            return sequence(context, input, output, true);
        }
        return switch (spec.kind()) {
            case STACK -> sequence(context, input, output, false);
            case PARALLEL -> parallel(context, input, output);
            case FUSION -> fusion(context, input, output);
        };
    }

    /**
     * Σ of the members' terms, each seeing the output so far: when {@code onlyActive}, the active ones
     * in the order they were attached (as uncomposed), else all in the listed order (a stack).
     */
    private NDArray sequence(ForwardContext context, NDArray input, NDArray output, boolean onlyActive) {
        NDArray current = output; // (..., out)
        NDArray total = output.zerosLike(); // (..., out)
        for (PeftModule.Delta m : onlyActive ? attached : members) {
            if ((onlyActive && !m.active()) || !applies(m)) {
                continue;
            }
            NDArray d = m.apply(context, input, current); // (..., out)
            if (onlyActive) {
                d = RowMask.apply(context.routedRows(m.name()), d, layer, m.name());
            }
            current = current.add(d);
            total = total.add(d);
        }
        return total;
    }

    private NDArray parallel(ForwardContext context, NDArray input, NDArray output) {
        NDArray total = output.zerosLike(); // (..., out)
        for (PeftModule.Delta m : members) {
            if (applies(m)) {
                total = total.add(m.apply(context, input, output)); // (..., out)
            }
        }
        return total;
    }

    private NDArray fusion(ForwardContext context, NDArray input, NDArray output) {
        NDList terms = new NDList();
        for (PeftModule.Delta m : members) {
            terms.add(applies(m) ? m.apply(context, input, output) : output.zerosLike()); // (..., out)
        }
        int axis = output.getShape().dimension() - 1;
        NDArray d = NDArrays.stack(terms, axis); // (..., K, out)
        NDArray o = d.add(output.expandDims(axis)); // (..., K, out)
        NDArray q = ai.djl.nn.core.Linear.linear(output, query.array()).singletonOrThrow(); // (..., out)
        NDArray k = ai.djl.nn.core.Linear.linear(o, key.array()).singletonOrThrow(); // (..., K, out)
        NDArray scores = k.mul(q.expandDims(axis)).sum(new int[] {axis + 1}); // (..., K)
        NDArray weights = scores.softmax(axis); // (..., K), sums to 1 over the members
        NDArray v = ai.djl.nn.core.Linear.linear(d, value.array()).singletonOrThrow(); // (..., K, out)
        return v.mul(weights.expandDims(axis + 1)).sum(new int[] {axis}); // (..., out)
    }
}
