package dev.floe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.floe.engine.FloeEngine;
import dev.floe.nn.ForwardContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One training forward and backward pass with gradient checkpointing, as a {@link ForwardContext}.
 *
 * <p>Forward: a checkpointed segment runs without recording a graph, in its own native scope that
 * is closed at once, so only its inputs, its outputs and its dropout masks stay alive. Its outputs
 * become leaves that collect their gradient. Backward ({@link #backward}): the loss is
 * back-propagated through everything outside the segments, then the segments are recomputed in
 * reverse order from their kept inputs (the same arrays, still attached to whatever computed them),
 * with a graph and the recorded dropout masks, and {@code Σ output · upstream gradient} is
 * back-propagated through each; that also carries the gradient on into the part before the segment,
 * down to the next segment's output leaves. Graphs are kept after each backward call, so a region
 * reached from two places (a value read by a segment and by a later component) is traversed twice
 * correctly; they are freed with the batch's scope.
 *
 * <p>Dropout in a checkpointed segment draws {@code dropout(ones)} with libtorch's own dropout (the
 * same random draws as {@code dropout(input)}) and multiplies: the same values as without
 * checkpointing. The mask is kept as one byte per element and replayed in the recomputation.
 */
final class CheckpointedPass extends DelegatingContext {

    private final GradientCheckpointing checkpointing;
    private final NDManager batch;
    private final List<Saved> saved = new ArrayList<>();
    /** The checkpointed segment being run or recomputed, or null outside them. */
    private Saved active;
    private boolean replaying;

    /** What a checkpointed segment keeps for its recomputation. */
    private static final class Saved {
        final String path;
        final Map<String, NDArray> inputs;
        final UnaryOperator<Map<String, NDArray>> body;
        final List<NDArray> masks = new ArrayList<>();
        Map<String, NDArray> leaves;
        int nextMask;

        Saved(String path, Map<String, NDArray> inputs, UnaryOperator<Map<String, NDArray>> body) {
            this.path = path;
            this.inputs = inputs;
            this.body = body;
        }
    }

    CheckpointedPass(ForwardContext base, GradientCheckpointing checkpointing, NDManager batch) {
        super(base);
        this.checkpointing = checkpointing;
        this.batch = batch;
    }

    @Override
    public Map<String, NDArray> segment(String path, Map<String, NDArray> inputs, UnaryOperator<Map<String, NDArray>> body) {
        if (active != null || !checkpointing.isSegment(path)) {
            return body.apply(inputs);
        }
        boolean needsGrad = checkpointing.trainsInside(path);
        for (NDArray in : inputs.values()) {
            needsGrad |= JniUtils.requiresGrad((PtNDArray) in);
        }
        Saved s = new Saved(path, new LinkedHashMap<>(inputs), body);
        boolean gradMode = JniUtils.isGradMode();
        active = s;
        JniUtils.setGradMode(false);
        try (NDManager scope = batch.newSubManager()) {
            borrow(inputs.values(), scope);
            Map<String, NDArray> out = body.apply(inputs);
            Map<String, NDArray> leaves = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : out.entrySet()) {
                NDArray leaf = e.getValue().stopGradient();
                leaf.attach(batch);
                if (needsGrad && leaf.getDataType().isFloating()) {
                    leaf.setRequiresGradient(true);
                }
                leaves.put(e.getKey(), leaf);
            }
            s.leaves = leaves;
            s.masks.forEach(m -> m.attach(batch));
        } finally {
            JniUtils.setGradMode(gradMode);
            active = null;
        }
        if (needsGrad) {
            saved.add(s);
        } else {
            s.masks.forEach(NDArray::close); // never recomputed
        }
        return s.leaves;
    }

    /**
     * Moves arrays into {@code scope} until it closes, so that what a segment computes from them lands
     * (and is freed) there; each array once, even when it is given under two names.
     */
    private static void borrow(java.util.Collection<NDArray> arrays, NDManager scope) {
        java.util.Set<NDArray> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (NDArray a : arrays) {
            if (seen.add(a)) {
                a.tempAttach(scope);
            }
        }
    }

    @Override
    public NDArray dropout(String path, NDArray input, float rate) {
        if (active == null) {
            return base.dropout(path, input, rate);
        }
        if (replaying) {
            NDArray keep = active.masks.get(active.nextMask++).toType(DataType.FLOAT32, false);
            // the noise libtorch's dropout multiplies by: bernoulli(1 - p) / (1 - p)
            NDArray noise = keep.div(FloeEngine.scalar(keep, (float) (1.0 - rate)));
            return input.mul(noise);
        }
        NDArray noise = base.dropout(path, input.onesLike(), rate); // the draws dropout(input) would make
        active.masks.add(noise.gt(FloeEngine.scalar(noise, 0f)));
        return input.mul(noise);
    }

    @Override
    public void observe(String path, NDArray value) {
        if (!replaying) { // a recomputation shows nothing new
            base.observe(path, value);
        }
    }

    @Override
    public boolean updatesRunningStatistics() {
        return !replaying && base.updatesRunningStatistics();
    }

    /**
     * Back-propagates {@code loss} through the whole pass, recomputing checkpointed segments, so
     * every trainable parameter's gradient is what a pass without checkpointing would give.
     */
    void backward(NDArray loss) {
        JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), true, false);
        for (int i = saved.size() - 1; i >= 0; i--) {
            recompute(saved.get(i));
        }
    }

    private void recompute(Saved s) {
        Map<String, NDArray> upstream = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : s.leaves.entrySet()) {
            PtNDArray leaf = (PtNDArray) e.getValue();
            PtNDArray grad = leaf.hasGradient() ? JniUtils.getGradient(leaf) : null;
            if (grad != null) {
                upstream.put(e.getKey(), grad);
            }
        }
        if (upstream.isEmpty()) {
            return; // no gradient reached the segment
        }
        active = s;
        replaying = true;
        s.nextMask = 0;
        try (NDManager scope = batch.newSubManager()) {
            borrow(s.inputs.values(), scope);
            borrow(s.masks, scope);
            upstream.values().forEach(g -> g.attach(scope));
            Map<String, NDArray> out = s.body.apply(s.inputs);
            NDArray total = null;
            for (Map.Entry<String, NDArray> g : upstream.entrySet()) {
                NDArray term = out.get(g.getKey()).mul(g.getValue()).sum(); // ()
                total = total == null ? term : total.add(term);
            }
            JniUtils.backward((PtNDArray) total, (PtNDArray) total.onesLike(), true, false);
        } finally {
            replaying = false;
            active = null;
        }
        checkpointing.countRecomputation(s.path);
    }
}
