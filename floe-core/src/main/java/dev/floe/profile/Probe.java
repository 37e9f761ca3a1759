package dev.floe.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.floe.graph.Component;
import dev.floe.graph.PortSpec;
import dev.floe.nn.ForwardContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The forward context of one profiled step: training mode as the plan says, and every layer
 * boundary a component marks cut into a fresh leaf, so that the backward pass can run piece by
 * piece (see {@link GradientProfiler}). Records per piece its forward and backward time and the
 * bytes of the arrays it created.
 */
final class Probe implements ForwardContext {

    /** A stretch of one component's forward pass, from its inputs or a boundary to the next boundary or its outputs. */
    private static final class Piece {
        final int layer;
        final boolean hooked;
        final List<NDArray> inputs;
        final List<NDArray> values = new ArrayList<>();
        final List<NDArray> leaves = new ArrayList<>();
        long forwardNanos;
        long backwardNanos;
        long bytes;

        Piece(int layer, boolean hooked, List<NDArray> inputs) {
            this.layer = layer;
            this.hooked = hooked;
            this.inputs = inputs;
        }
    }

    private final ForwardContext training;
    private final Layers layers;
    private final NDManager batch;
    private final Set<String> seen = new HashSet<>();
    private final List<Piece> pieces = new ArrayList<>();
    private final long[] reluDead;
    private final long[] reluTotal;
    private final long[] geluTail;
    private final long[] geluTotal;
    private List<Integer> current;
    private List<NDArray> pieceInputs;
    private long mark;
    private long excluded;

    Probe(ForwardContext training, Layers layers, NDManager batch) {
        this.training = training;
        this.layers = layers;
        this.batch = batch;
        int n = layers.size();
        reluDead = new long[n];
        reluTotal = new long[n];
        geluTail = new long[n];
        geluTotal = new long[n];
    }

    @Override
    public boolean training(String modulePath) {
        return training.training(modulePath);
    }

    /** A component starts; {@code args} are its inputs (leaves cut from earlier components, or data). */
    void begin(Component c, Collection<NDArray> args) {
        current = layers.ofComponent(c.name());
        List<NDArray> in = new ArrayList<>();
        for (NDArray a : args) {
            if (a != null && JniUtils.requiresGrad((PtNDArray) a)) {
                in.add(a);
            }
        }
        pieceInputs = in;
        newBytes(); // what exists now is not the component's
        excluded = 0;
        mark = System.nanoTime();
    }

    @Override
    public NDArray layerOutput(String layerPath, NDArray value) {
        Integer layer = layers.index(layerPath);
        if (current == null || layer == null || !current.contains(layer)) {
            return value; // not a layer of the running component: measured with its neighbours
        }
        long now = System.nanoTime();
        Piece p = new Piece(layer, true, pieceInputs);
        p.forwardNanos = now - mark - excluded;
        p.bytes = newBytes();
        NDArray leaf = cut(value);
        p.values.add(value);
        p.leaves.add(leaf);
        pieces.add(p);
        pieceInputs = List.of(leaf);
        excluded = 0;
        mark = System.nanoTime();
        return leaf;
    }

    @Override
    public void activationInput(String layerPath, String function, NDArray input) {
        Integer layer = layers.index(layerPath);
        if (layer == null) {
            return;
        }
        long start = System.nanoTime();
        if ("relu".equals(function)) {
            try (NDArray m = input.lte(0f); NDArray count = m.countNonzero()) {
                reluDead[layer] += count.getLong();
            }
            reluTotal[layer] += input.size();
        } else if ("gelu".equals(function)) {
            try (NDArray m = input.lt((float) GradientProfiler.GELU_TAIL); NDArray count = m.countNonzero()) {
                geluTail[layer] += count.getLong();
            }
            geluTotal[layer] += input.size();
        }
        excluded += System.nanoTime() - start;
    }

    /** A component finished: its outputs become leaves in {@code env} under {@code component.port}. */
    void end(Component c, Map<String, NDArray> produced, Map<String, NDArray> env) {
        long now = System.nanoTime();
        Piece p = new Piece(current.get(current.size() - 1), false, pieceInputs);
        p.forwardNanos = now - mark - excluded;
        p.bytes = newBytes();
        for (PortSpec port : c.outputs()) {
            NDArray value = produced.get(port.name());
            if (value == null) {
                throw new IllegalStateException("component " + c.name() + " returned no value for its output port "
                        + port.name() + "; it returned " + produced.keySet());
            }
            NDArray leaf = cut(value);
            p.values.add(value);
            p.leaves.add(leaf);
            env.put(c.name() + "." + port.name(), leaf);
        }
        pieces.add(p);
        current = null;
    }

    /** Runs the backward pass piece by piece, from the last piece to the first. */
    void backward() {
        for (int i = pieces.size() - 1; i >= 0; i--) {
            Piece p = pieces.get(i);
            long start = System.nanoTime();
            List<NDArray[]> pairs = new ArrayList<>();
            for (int j = 0; j < p.values.size(); j++) {
                PtNDArray grad = JniUtils.getGradient((PtNDArray) p.leaves.get(j));
                if (grad != null) {
                    pairs.add(new NDArray[] {p.values.get(j), grad});
                }
            }
            for (int j = 0; j < pairs.size(); j++) {
                try (NDArray grad = pairs.get(j)[1]) {
                    // keep the graph: two outputs of a piece share it, and a component may reuse a value
                    // across its own boundaries; the batch scope frees it all at the end of the step
                    JniUtils.backward((PtNDArray) pairs.get(j)[0], (PtNDArray) grad, true, false);
                } catch (ai.djl.engine.EngineException e) {
                    // the value depends on nothing that takes gradients (a constant output): nothing to pass on
                }
            }
            p.backwardNanos = System.nanoTime() - start;
        }
    }

    /** Adds this step's measurements to {@code tally} at step {@code s}. */
    void record(int s, GradientProfiler.Tally tally) {
        Set<Integer> hooked = new HashSet<>();
        Set<Integer> started = new HashSet<>();
        for (Piece p : pieces) {
            tally.forwardNanos[p.layer][s] += p.forwardNanos;
            tally.backwardNanos[p.layer][s] += p.backwardNanos;
            tally.bytes[p.layer][s] += p.bytes;
            if (started.add(p.layer) && !p.inputs.isEmpty()) {
                tally.gradIn[p.layer][s] = norm(p.inputs);
                tally.hasGradIn[p.layer] = true;
            }
            if (p.hooked) {
                hooked.add(p.layer);
                tally.gradOut[p.layer][s] = norm(p.leaves);
            } else if (!hooked.contains(p.layer)) {
                tally.gradOut[p.layer][s] = norm(p.leaves);
            }
        }
        for (int i = 0; i < layers.size(); i++) {
            tally.reluDead[i] += reluDead[i];
            tally.reluTotal[i] += reluTotal[i];
            tally.geluTail[i] += geluTail[i];
            tally.geluTotal[i] += geluTotal[i];
        }
    }

    /** L2 norm of the gradients of these leaves together (0 when none has one). */
    private static double norm(List<NDArray> leaves) {
        double squares = 0;
        for (NDArray leaf : leaves) {
            PtNDArray grad = JniUtils.getGradient((PtNDArray) leaf);
            if (grad == null) {
                continue;
            }
            try (grad; NDArray sq = grad.square(); NDArray sum = sq.sum()) {
                squares += sum.getFloat();
            }
        }
        return Math.sqrt(squares);
    }

    /** A leaf holding the same numbers as {@code value}, taking gradients. */
    private NDArray cut(NDArray value) {
        NDArray leaf = value.stopGradient();
        leaf.setRequiresGradient(true);
        seen.add(leaf.getUid()); // a view of value's storage: no new memory
        return leaf;
    }

    /** Bytes of the arrays in the step's scope created since the last call. */
    private long newBytes() {
        long bytes = 0;
        for (NDArray a : batch.getManagedArrays()) {
            if (seen.add(a.getUid())) {
                bytes += a.getShape().size() * a.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }
}
