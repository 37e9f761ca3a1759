package dev.floe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.floe.engine.FloeEngine;
import java.util.ArrayList;
import java.util.List;

/**
 * The limits Floe is held against: training loops written plainly on DJL, as a user would without
 * Floe. DJL blocks or raw arrays, a {@link GradientCollector}, DJL's loss and DJL's own Adam (a fused
 * native update), gradients zeroed in place after each step. Frozen parts get no gradients because
 * nothing below them requires one. Inputs are copied into libtorch-owned memory, as Floe does, so
 * both sides pay the same input cost.
 */
final class BareDjl {

    /** Weight decay of the bare loops' Adam (DJL's Adam adds it to the gradient; same cost as decoupled). */
    static final float WEIGHT_DECAY = 0.01f;

    private BareDjl() {}

    /** An MLP {@code inputs -> hidden -> hidden -> classes} as a DJL SequentialBlock, trained with DJL's Adam. */
    static final class Mlp implements AutoCloseable {
        private final NDManager manager = FloeEngine.newManager();
        private final SequentialBlock net = new SequentialBlock();
        private final ParameterStore store;
        private final Optimizer adam;
        private final Loss loss = Loss.softmaxCrossEntropyLoss();
        private final List<Parameter> params = new ArrayList<>();
        private final long inputs;

        Mlp(long inputs, long hidden, long classes, int batch, float lr) {
            this.inputs = inputs;
            net.add(Linear.builder().setUnits(hidden).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(hidden).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(classes).build());
            net.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            net.initialize(manager, DataType.FLOAT32, new Shape(batch, inputs));
            for (Pair<String, Parameter> p : net.getParameters()) {
                params.add(p.getValue());
            }
            store = new ParameterStore(manager, false);
            adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).optWeightDecays(WEIGHT_DECAY).build();
        }

        /** One step on the rows {@code from .. from+batch-1} of row-major {@code features}. */
        void step(float[] features, int[] labels, int from, int batch) {
            float[] x = new float[batch * (int) inputs];
            System.arraycopy(features, from * (int) inputs, x, 0, x.length);
            long[] y = new long[batch];
            for (int i = 0; i < batch; i++) {
                y[i] = labels[from + i];
            }
            try (NDManager scope = manager.newSubManager()) {
                NDArray xs = FloeEngine.owned(scope.create(x, new Shape(batch, inputs))); // (B, inputs)
                NDArray ys = FloeEngine.owned(scope.create(y)); // (B)
                try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                    NDArray logits = net.forward(store, new NDList(xs), true).singletonOrThrow(); // (B, classes)
                    gc.backward(loss.evaluate(new NDList(ys), new NDList(logits)));
                }
                update(adam, params);
            }
        }

        long parameterCount() {
            return params.stream().mapToLong(p -> p.getArray().size()).sum();
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** A linear head {@code features -> classes} on raw arrays, trained with DJL's Adam on given features. */
    static final class Head implements AutoCloseable {
        private final NDManager manager = FloeEngine.newManager();
        private final Parameter weight;
        private final Parameter bias;
        private final Optimizer adam;
        private final Loss loss = Loss.softmaxCrossEntropyLoss();

        Head(long features, long classes, float lr, long seed) {
            FloeEngine.seed(seed);
            weight = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(classes, features)).optInitializer(new XavierInitializer()).build();
            bias = Parameter.builder().setName("bias").setType(Parameter.Type.BIAS)
                    .optShape(new Shape(classes)).optInitializer(Initializer.ZEROS).build();
            weight.initialize(manager, DataType.FLOAT32);
            bias.initialize(manager, DataType.FLOAT32);
            adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).optWeightDecays(WEIGHT_DECAY).build();
        }

        /** One step on precomputed features {@code (B, features)} and labels {@code (B)}. */
        void step(NDArray features, NDArray labels) {
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray logits = Linear.linear(features, weight.getArray(), bias.getArray()).singletonOrThrow(); // (B, C)
                gc.backward(loss.evaluate(new NDList(labels), new NDList(logits)));
            }
            update(adam, List.of(weight, bias));
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** DJL's Adam on every parameter, then the gradient zeroed in place (PyTorch accumulates otherwise). */
    private static void update(Optimizer adam, List<Parameter> params) {
        for (Parameter p : params) {
            NDArray w = p.getArray();
            try (NDArray g = w.getGradient()) {
                adam.update(p.getId(), w, g);
                g.subi(g);
            }
        }
    }
}
