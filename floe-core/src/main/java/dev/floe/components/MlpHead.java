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
import java.util.List;
import java.util.Map;

/**
 * A two-layer classifier head: {@code in [batch, features] -> hidden (ReLU, dropout) -> logits
 * [batch, classes]}; children {@code fc1} and {@code fc2}.
 */
public final class MlpHead extends Component {

    private final long features;
    private final long hidden;
    private final long classes;
    private final float dropout;
    private Linear fc1;
    private Linear fc2;
    private Dropout drop;

    private MlpHead(String name, long features, long hidden, long classes, float dropout) {
        super(
                name,
                Role.HEAD,
                List.of(PortSpec.of("in", "[batch, " + features + "]")),
                List.of(PortSpec.of("logits", "[batch, " + classes + "]")));
        this.features = features;
        this.hidden = hidden;
        this.classes = classes;
        this.dropout = dropout;
    }

    /**
     * A head with the given widths and dropout after the hidden layer.
     *
     * @param name component name
     * @param features input width
     * @param hidden hidden layer width
     * @param classes number of classes
     * @param dropout dropout rate after the hidden layer, in [0, 1)
     * @return a new head
     */
    public static MlpHead of(String name, long features, long hidden, long classes, float dropout) {
        Sizes.positive("head " + name, "features", features);
        Sizes.positive("head " + name, "hidden", hidden);
        Sizes.positive("head " + name, "classes", classes);
        Sizes.rate("head " + name, dropout);
        return new MlpHead(name, features, hidden, classes, dropout);
    }

    @Override
    public List<String> layerOrder() {
        return List.of("fc1", "fc2");
    }

    @Override
    protected void initialize(ParamScope scope) {
        fc1 = new Linear(scope.child("fc1"), features, hidden);
        drop = new Dropout(scope.path() + "/fc1/dropout", dropout);
        fc2 = new Linear(scope.child("fc2"), hidden, classes);
    }

    @Override
    public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
        NDArray h = fc1.forward(context, in.get("in"));
        context.activationInput(name() + "/fc1", "relu", h);
        h = drop.forward(context, Activation.relu(h)); // (B, hidden)
        h = context.layerOutput(name() + "/fc1", h);
        return Map.of("logits", fc2.forward(context, h)); // (B, classes)
    }
}
