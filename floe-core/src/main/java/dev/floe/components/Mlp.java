package dev.floe.components;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.floe.graph.Component;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.nn.Dropout;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Linear;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A multi-layer perceptron: {@code in [batch, inputs] -> out [batch, outputs]}. Hidden layers are
 * named {@code fc1, fc2, ...}, the last one {@code out}; ReLU after every hidden layer, then dropout.
 */
public final class Mlp extends Component {

    private final long inputs;
    private final long[] hidden;
    private final long outputs;
    private final float dropout;
    private final List<Linear> layers = new ArrayList<>();
    private final List<Dropout> dropouts = new ArrayList<>();

    private Mlp(Builder b) {
        super(
                b.name,
                b.role,
                List.of(PortSpec.of("in", "[batch, " + b.inputs + "]")),
                List.of(PortSpec.of("out", "[batch, " + b.outputs + "]")));
        this.inputs = b.inputs;
        this.hidden = b.hidden.clone();
        this.outputs = b.outputs;
        this.dropout = b.dropout;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<String> layerOrder() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < hidden.length; i++) {
            names.add("fc" + (i + 1));
        }
        names.add("out");
        return names;
    }

    /** Every entry of the layer order: each hidden layer (with its ReLU and dropout) and the output layer. */
    @Override
    public List<String> checkpointSegments() {
        return layerOrder();
    }

    @Override
    protected void initialize(ParamScope scope) {
        long width = inputs;
        for (int i = 0; i < hidden.length; i++) {
            layers.add(new Linear(scope.child("fc" + (i + 1)), width, hidden[i]));
            dropouts.add(new Dropout(scope.path() + "/fc" + (i + 1) + "/dropout", dropout));
            width = hidden[i];
        }
        layers.add(new Linear(scope.child("out"), width, outputs));
    }

    @Override
    public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
        NDArray x = in.get("in"); // (B, inputs)
        for (int i = 0; i < hidden.length; i++) {
            int index = i;
            String layer = name() + "/fc" + (i + 1);
            x = context.layerOutput(layer, context.segment(layer, x, h -> {
                NDArray pre = layers.get(index).forward(context, h);
                context.activationInput(layer, "relu", pre);
                return dropouts.get(index).forward(context, Activation.relu(pre));
            })); // (B, hidden[i])
        }
        Linear last = layers.get(hidden.length);
        return Map.of("out", context.segment(name() + "/out", x, h -> last.forward(context, h))); // (B, outputs)
    }

    /** Builder: {@code name}, {@code inputs} and {@code outputs} are required. */
    public static final class Builder {
        private String name;
        private Role role = Role.OTHER;
        private long inputs = -1;
        private long[] hidden = new long[0];
        private long outputs = -1;
        private float dropout = 0f;

        private Builder() {}

        /**
         * Component name (required).
         *
         * @param name the component name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Role (default OTHER).
         *
         * @param role the role
         * @return this builder
         */
        public Builder role(Role role) {
            this.role = role;
            return this;
        }

        /**
         * Input features (required).
         *
         * @param inputs the input width
         * @return this builder
         */
        public Builder inputs(long inputs) {
            this.inputs = inputs;
            return this;
        }

        /**
         * Hidden layer widths, bottom first (default none).
         *
         * @param widths the hidden widths
         * @return this builder
         */
        public Builder hidden(long... widths) {
            this.hidden = widths.clone();
            return this;
        }

        /**
         * Output features (required).
         *
         * @param outputs the output width
         * @return this builder
         */
        public Builder outputs(long outputs) {
            this.outputs = outputs;
            return this;
        }

        /**
         * Dropout after each hidden layer (default 0).
         *
         * @param rate dropout rate, in [0, 1)
         * @return this builder
         */
        public Builder dropout(float rate) {
            this.dropout = rate;
            return this;
        }

        /**
         * Checks sizes and builds.
         *
         * @return a new MLP; its parameters are created when a graph is built with it
         */
        public Mlp build() {
            Sizes.positive("mlp " + name, "inputs", inputs);
            Sizes.positive("mlp " + name, "outputs", outputs);
            for (long h : hidden) {
                Sizes.positive("mlp " + name, "hidden " + Arrays.toString(hidden), h);
            }
            Sizes.rate("mlp " + name, dropout);
            return new Mlp(this);
        }
    }
}
