package dev.floe.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.floe.engine.FloeEngine;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * AdamW or SGD over {@link ParamGroup}s, with one step count per parameter and state only for the
 * parameters in the groups.
 *
 * <p>Lifecycle: {@link #of(OptimizerSpec)}, then {@link #setGroups(List)} (again whenever the set
 * of trained parameters changes), then per batch: forward and {@code backward} inside a
 * {@code GradientCollector}, close the collector, {@link #step(double)}. {@link #close()} releases
 * the state's native memory. The optimizer owns its state arrays in its own native scope; callers
 * never see them and may wrap calls in their own {@code NDScope} or sub-manager without harm.
 *
 * <p>Gradients: {@code step} reads each member's accumulated gradient and then zeroes it in place,
 * since PyTorch adds every {@code backward} into the existing gradient. A member whose gradient is
 * undefined (no {@code backward} has reached it since the array was created) is skipped and its
 * step count does not advance. After its first step a parameter's gradient stays a defined tensor
 * (DJL cannot reset it to undefined), so in later steps a member that {@code backward} did not
 * reach is stepped with a zero gradient, as {@code torch.optim} does with
 * {@code zero_grad(set_to_none=False)}: its step count advances, its moments decay and weight decay
 * applies.
 *
 * <p>Not thread-safe; use from the thread that runs the training loop.
 */
public final class GroupedOptimizer implements AutoCloseable {

    private static final String ADAM_M = "m";
    private static final String ADAM_V = "v";
    private static final String MOMENTUM = "momentum";

    private final OptimizerSpec spec;
    private final List<String> stateNames;
    private final NDManager manager;
    /** Members in group order, by path. */
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private List<ParamGroup> groups = List.of();
    private boolean closed;
    /** Scalar operands every step uses, by float bits; owned by {@link #manager}. */
    private final Map<Integer, NDArray> constants = new HashMap<>();
    /** Scalar operands of the current step, by float bits; closed when the step ends. */
    private final Map<Integer, NDArray> stepScalars = new HashMap<>();

    /** One member: its parameter, its group, its state tensors (in {@link #stateNames} order), its steps. */
    private static final class Slot {
        final Param param;
        final NDArray[] state;
        ParamGroup group;
        int steps;

        Slot(Param param, ParamGroup group, NDArray[] state) {
            this.param = param;
            this.group = group;
            this.state = state;
        }
    }

    private GroupedOptimizer(OptimizerSpec spec) {
        this.spec = spec;
        this.stateNames = stateNames(spec);
        this.manager = FloeEngine.newManager();
    }

    /**
     * A new optimizer with no groups; the caller owns it and must close it.
     *
     * @param spec the algorithm and hyperparameters
     * @return a new optimizer
     */
    public static GroupedOptimizer of(OptimizerSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("an optimizer needs a spec, e.g. OptimizerSpec.adamW(1e-3)");
        }
        return new GroupedOptimizer(spec);
    }

    /**
     * The algorithm and hyperparameters.
     *
     * @return the spec
     */
    public OptimizerSpec spec() {
        return spec;
    }

    /**
     * The groups last passed to {@link #setGroups(List)}.
     *
     * @return the groups, unmodifiable
     */
    public List<ParamGroup> groups() {
        return groups;
    }

    /**
     * Declares which parameters this optimizer updates and with which group settings.
     *
     * <p>May be called again, e.g. when a schedule stage unfreezes more parameters. A parameter that
     * stays (the same {@link Param} object, in any group) keeps its state and step count and takes
     * its new group's settings; the state of a parameter no longer present is released; a parameter
     * newly present starts with zero state and step count 0. On error nothing changes.
     *
     * @param newGroups the new groups; every parameter at most once
     * @throws IllegalArgumentException naming the parameter when it is not trainable or is in two
     *     groups, or naming the group when two groups share a name
     * @throws IllegalStateException if closed
     */
    public void setGroups(List<ParamGroup> newGroups) {
        checkOpen();
        if (newGroups == null) {
            throw new IllegalArgumentException("setGroups needs a list of groups (may be empty)");
        }
        List<ParamGroup> copy = List.copyOf(newGroups);
        Map<String, ParamGroup> groupOf = new LinkedHashMap<>();
        Map<String, Param> paramOf = new HashMap<>();
        Set<String> groupNames = new HashSet<>();
        for (ParamGroup g : copy) {
            if (!groupNames.add(g.name())) {
                throw new IllegalArgumentException(
                        "two parameter groups are named " + g.name() + "; give each group its own name");
            }
            for (Param p : g.params()) {
                if (!p.trainable()) {
                    throw new IllegalArgumentException(
                            "parameter " + p.path() + " in group " + g.name() + " is frozen; only trainable"
                                    + " parameters may be optimized — call setTrainable(true) first or leave"
                                    + " it out of the group");
                }
                ParamGroup previous = groupOf.putIfAbsent(p.path(), g);
                if (previous != null) {
                    throw new IllegalArgumentException(
                            "parameter " + p.path() + " is in groups " + previous.name() + " and " + g.name()
                                    + "; a parameter may be in one group only");
                }
                paramOf.put(p.path(), p);
            }
        }

        Map<String, Slot> next = new LinkedHashMap<>();
        List<Slot> created = new ArrayList<>();
        try {
            for (Map.Entry<String, ParamGroup> e : groupOf.entrySet()) {
                Param p = paramOf.get(e.getKey());
                Slot old = slots.get(e.getKey());
                Slot slot;
                if (old != null && old.param == p) {
                    slot = old;
                } else {
                    slot = new Slot(p, e.getValue(), zeroState(p));
                    created.add(slot);
                }
                next.put(e.getKey(), slot);
            }
        } catch (RuntimeException e) {
            created.forEach(GroupedOptimizer::release);
            throw e;
        }
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            if (next.get(e.getKey()) != e.getValue()) {
                release(e.getValue());
            }
        }
        for (Map.Entry<String, Slot> e : next.entrySet()) {
            e.getValue().group = groupOf.get(e.getKey());
        }
        slots.clear();
        slots.putAll(next);
        groups = copy;
    }

    /**
     * Applies one update to every member with a gradient, then zeroes the gradients in place.
     *
     * <p>Must be called with autograd recording off, i.e. after the {@code GradientCollector} of the
     * batch is closed: the weights are written in place, which PyTorch forbids for leaves that
     * require gradients while recording. Each member's learning rate is
     * {@code spec.lr() * group.lrScale() * lrFactor}. Members whose gradient is undefined are skipped
     * (see the class comment). All temporary arrays are released before returning.
     *
     * @param lrFactor the schedule's multiplier, finite and &ge; 0
     * @throws IllegalStateException if autograd is recording, if a member was frozen after
     *     {@link #setGroups(List)}, or if closed
     */
    public void step(double lrFactor) {
        checkOpen();
        if (!(lrFactor >= 0) || Double.isInfinite(lrFactor)) {
            throw new IllegalArgumentException(
                    "lrFactor is " + lrFactor + "; it must be finite and >= 0 (the schedule's multiplier)");
        }
        if (JniUtils.isGradMode()) {
            throw new IllegalStateException(
                    "step() was called while autograd is recording; close the GradientCollector after"
                            + " backward and before step()");
        }
        for (Slot slot : slots.values()) {
            if (!slot.param.trainable()) {
                throw new IllegalStateException(
                        "parameter " + slot.param.path() + " was frozen after setGroups; call setGroups"
                                + " again without it before stepping");
            }
        }
        try {
            for (Slot slot : slots.values()) {
                PtNDArray weight = (PtNDArray) slot.param.array();
                // getGradient() would hand back zeros for an undefined gradient; ask libtorch directly
                PtNDArray grad = JniUtils.getGradient(weight);
                if (grad == null) {
                    continue;
                }
                try (grad) {
                    slot.steps++;
                    double lr = spec.lr() * slot.group.lrScale() * lrFactor;
                    if (spec instanceof OptimizerSpec.AdamW adam) {
                        adamW(adam, slot, weight, grad, lr);
                    } else {
                        sgd((OptimizerSpec.Sgd) spec, slot, weight, grad, lr);
                    }
                }
                JniUtils.zeroGrad(weight);
            }
        } finally {
            stepScalars.values().forEach(NDArray::close);
            stepScalars.clear();
        }
    }

    /**
     * One AdamW update. The gradient is scaled in place (it is zeroed right after), and every
     * scalar operand comes from {@link #constant} or {@link #perStep}, so a step issues about 20
     * native calls per member; the arithmetic, and so every bit of the result, is that of
     * {@code m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; w -= lr·wd·w; w -= (m / (sqrt(v)/sqrt(1-b2^t) + eps))·lr/(1-b1^t)}
     * in float32, each product and sum rounded in that order.
     */
    private void adamW(OptimizerSpec.AdamW adam, Slot slot, NDArray w, NDArray g, double lr) {
        NDArray m = slot.state[0];
        NDArray v = slot.state[1];
        double b1 = adam.beta1();
        double b2 = adam.beta2();
        double correction1 = 1 - Math.pow(b1, slot.steps);
        double correction2 = 1 - Math.pow(b2, slot.steps);
        try (NDArray g2 = g.square()) { // g², before g is scaled
            g2.muli(constant(1 - b2));
            v.muli(constant(b2)).addi(g2); // v = b2 v + (1-b2) g²
        }
        g.muli(constant(1 - b1));
        m.muli(constant(b1)).addi(g); // m = b1 m + (1-b1) g
        double decay = lr * slot.group.weightDecay();
        if (decay > 0) {
            // decoupled: w -= lr·wd·w; done first, which is the same since the Adam term does not read w
            try (NDArray wd = w.mul(perStep(decay))) {
                w.subi(wd);
            }
        }
        // sqrt(vhat) + eps = sqrt(v)/sqrt(1-b2^t) + eps; lr·mhat = m·lr/(1-b1^t)
        try (NDArray denominator = v.sqrt();
                NDArray update = m.div(denominator.divi(perStep(Math.sqrt(correction2))).addi(constant(adam.eps())))) {
            w.subi(update.muli(perStep(lr / correction1)));
        }
    }

    /**
     * A 0-d float32 tensor holding {@code (float) value}, kept for the optimizer's life: for the
     * hyperparameters every step uses (betas, their complements, eps, momentum).
     */
    private NDArray constant(double value) {
        return scalarIn(constants, value);
    }

    /** As {@link #constant}, for values of one step (learning rates, bias corrections), released when it ends. */
    private NDArray perStep(double value) {
        return scalarIn(stepScalars, value);
    }

    private NDArray scalarIn(Map<Integer, NDArray> cache, double value) {
        float f = (float) value;
        NDArray s = cache.get(Float.floatToRawIntBits(f));
        if (s == null) {
            s = owned(manager.full(new ai.djl.ndarray.types.Shape(), f, DataType.FLOAT32));
            cache.put(Float.floatToRawIntBits(f), s);
        }
        return s;
    }

    private void sgd(OptimizerSpec.Sgd sgd, Slot slot, NDArray w, NDArray g, double lr) {
        double wd = slot.group.weightDecay();
        try (NDArray scaled = wd > 0 ? w.mul(constant(wd)) : null;
                NDArray decayed = wd > 0 ? g.add(scaled) : null) {
            NDArray effective = decayed != null ? decayed : g; // g' = g + wd·w
            if (sgd.momentum() > 0) {
                NDArray buffer = slot.state[0];
                // buffer starts at zero, so the first step gives buffer = g' exactly
                try (NDArray step = buffer.muli(constant(sgd.momentum())).addi(effective).mul(perStep(lr))) {
                    w.subi(step);
                }
            } else {
                try (NDArray step = effective.mul(perStep(lr))) {
                    w.subi(step);
                }
            }
        }
    }

    /**
     * How many updates this parameter has received since it joined the groups (or since the count
     * was imported).
     *
     * @param param a parameter in the groups
     * @return the number of updates
     * @throws IllegalArgumentException naming the parameter if it is not in the groups
     */
    public int stepCount(Param param) {
        return slotOf(param).steps;
    }

    /**
     * Exact native bytes of state held: the sum over members of their state tensors' bytes, i.e.
     * {@link OptimizerSpec#stateBytesPerParameter()} times the members' scalar count.
     *
     * @return bytes of native state
     */
    public long stateBytes() {
        long bytes = 0;
        for (Slot slot : slots.values()) {
            for (NDArray a : slot.state) {
                bytes += a.size() * a.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /**
     * Paths of the parameters this optimizer tracks (the members of the groups), sorted. Each holds a
     * step count and the spec's state tensors (none for plain SGD).
     *
     * @return the paths, sorted
     */
    public SortedSet<String> paramsWithState() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(slots.keySet()));
    }

    /**
     * A copy of all state, for a checkpoint; see {@link OptimizerState} for the keys.
     *
     * @return a new snapshot, in Java memory
     */
    public OptimizerState exportState() {
        checkOpen();
        Map<String, float[]> tensors = new HashMap<>();
        Map<String, Integer> steps = new HashMap<>();
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            Slot slot = e.getValue();
            for (int i = 0; i < stateNames.size(); i++) {
                tensors.put(OptimizerState.key(e.getKey(), stateNames.get(i)), slot.state[i].toFloatArray());
            }
            steps.put(e.getKey(), slot.steps);
        }
        return new OptimizerState(spec.name(), tensors, steps);
    }

    /**
     * Replaces all state with a snapshot from {@link #exportState()}. Call {@link #setGroups(List)}
     * first, with the same parameters that were trained when the snapshot was taken. Members that the
     * snapshot does not mention are reset to zero state and step count 0. On error nothing changes.
     *
     * @param snapshot a snapshot from {@link #exportState()}, possibly of another process
     * @throws IllegalArgumentException naming the key when the snapshot was made by another
     *     algorithm, mentions a parameter that is not in the groups, lacks a tensor for a parameter it
     *     mentions, has an unknown state name, a tensor of the wrong length or a negative step count
     */
    public void importState(OptimizerState snapshot) {
        checkOpen();
        if (snapshot == null) {
            throw new IllegalArgumentException("importState needs a state, e.g. from exportState()");
        }
        if (!snapshot.optimizer().equals(spec.name())) {
            throw new IllegalArgumentException(
                    "optimizer state was saved by " + snapshot.optimizer() + " but this optimizer is "
                            + spec.name() + "; resume with the same optimizer spec");
        }
        for (Map.Entry<String, Integer> e : snapshot.steps().entrySet()) {
            Slot slot = slots.get(e.getKey());
            if (slot == null) {
                throw new IllegalArgumentException(
                        "optimizer state has parameter " + e.getKey() + " but it is in no group; call"
                                + " setGroups with the parameters that were trained when the state was saved");
            }
            if (e.getValue() < 0) {
                throw new IllegalArgumentException(
                        "optimizer state has step count " + e.getValue() + " for " + e.getKey()
                                + "; step counts are >= 0");
            }
            for (String name : stateNames) {
                String key = OptimizerState.key(e.getKey(), name);
                float[] values = snapshot.tensors().get(key);
                if (values == null) {
                    throw new IllegalArgumentException(
                            "optimizer state has a step count for " + e.getKey() + " but no tensor " + key
                                    + "; the state is incomplete");
                }
                if (values.length != slot.param.size()) {
                    throw new IllegalArgumentException(
                            "optimizer state tensor " + key + " has " + values.length + " values but "
                                    + e.getKey() + " has " + slot.param.size() + " (shape "
                                    + slot.param.shape() + "); the state was saved for another model");
                }
            }
        }
        for (String key : snapshot.tensors().keySet()) {
            int cut = key.lastIndexOf(OptimizerState.KEY_SEPARATOR);
            String path = cut < 0 ? key : key.substring(0, cut);
            String name = cut < 0 ? "" : key.substring(cut + 1);
            if (!stateNames.contains(name)) {
                throw new IllegalArgumentException(
                        "optimizer state tensor " + key + " is not " + spec.name() + " state; expected keys"
                                + " <param path>#" + String.join(" or #", stateNames));
            }
            if (!snapshot.steps().containsKey(path)) {
                throw new IllegalArgumentException(
                        "optimizer state tensor " + key + " has no step count for " + path
                                + "; the state is incomplete");
            }
        }
        Map<Slot, NDArray[]> fresh = new HashMap<>();
        try {
            for (Map.Entry<String, Slot> e : slots.entrySet()) {
                Slot slot = e.getValue();
                NDArray[] state = new NDArray[stateNames.size()];
                fresh.put(slot, state);
                boolean mentioned = snapshot.steps().containsKey(e.getKey());
                for (int i = 0; i < state.length; i++) {
                    String key = OptimizerState.key(e.getKey(), stateNames.get(i));
                    state[i] = mentioned
                            ? torchOwnedCopy(snapshot.tensors().get(key), slot.param)
                            : owned(manager.zeros(slot.param.shape(), DataType.FLOAT32));
                }
            }
        } catch (RuntimeException e) {
            fresh.values().forEach(GroupedOptimizer::closeAll);
            throw e;
        }
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            Slot slot = e.getValue();
            NDArray[] state = fresh.get(slot);
            for (int i = 0; i < state.length; i++) {
                slot.state[i].close();
                slot.state[i] = state[i];
            }
            Integer steps = snapshot.steps().get(e.getKey());
            slot.steps = steps == null ? 0 : steps;
        }
    }

    /**
     * Copies values into a tensor whose memory libtorch owns. ({@code NDManager.create(float[])} and
     * {@code NDArray.set} make libtorch use a Java direct buffer as storage, freed only by GC.)
     */
    private NDArray torchOwnedCopy(float[] values, Param param) {
        try (NDArray javaBacked = manager.create(values, param.shape())) {
            return owned(javaBacked.duplicate());
        }
    }

    /** Releases all state. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        slots.clear();
        constants.clear();
        groups = List.of();
        manager.close();
    }

    /** Native arrays held by this optimizer (its state), for leak tests. */
    int liveArrays() {
        return FloeEngine.liveArrays(manager) - constants.size();
    }

    private NDArray[] zeroState(Param p) {
        NDArray[] state = new NDArray[stateNames.size()];
        try {
            for (int i = 0; i < state.length; i++) {
                state[i] = owned(manager.zeros(p.shape(), DataType.FLOAT32));
            }
        } catch (RuntimeException e) {
            closeAll(state);
            throw e;
        }
        return state;
    }

    /** Takes a new state array out of any caller's {@code NDScope}, whose end would close it. */
    private static NDArray owned(NDArray array) {
        NDScope.unregister(array);
        return array;
    }

    private static void release(Slot slot) {
        closeAll(slot.state);
    }

    private static void closeAll(NDArray[] arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.close();
            }
        }
    }

    private Slot slotOf(Param param) {
        checkOpen();
        Slot slot = slots.get(param.path());
        if (slot == null || slot.param != param) {
            throw new IllegalArgumentException(
                    "parameter " + param.path() + " is not in this optimizer's groups; members are "
                            + paramsWithState());
        }
        return slot;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(
                    "this optimizer is closed; make a new one with GroupedOptimizer.of");
        }
    }

    private static List<String> stateNames(OptimizerSpec spec) {
        if (spec instanceof OptimizerSpec.AdamW) {
            return List.of(ADAM_M, ADAM_V);
        }
        return ((OptimizerSpec.Sgd) spec).momentum() > 0 ? List.of(MOMENTUM) : List.of();
    }
}
