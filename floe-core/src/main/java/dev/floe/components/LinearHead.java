package dev.floe.components;

import ai.djl.ndarray.NDArray;
import dev.floe.graph.Component;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.nn.Dropout;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Linear;
import dev.floe.nn.ParamScope;
import java.util.List;
import java.util.Map;

/** A linear classifier head: {@code in [batch, features] -> logits [batch, classes]}, child {@code fc}. */
public final class LinearHead extends Component {

    private final long features;
    private final long classes;
    private final float dropout;
    private Linear fc;
    private Dropout drop;

    private LinearHead(String name, long features, long classes, float dropout) {
        super(
                name,
                Role.HEAD,
                List.of(PortSpec.of("in", "[batch, " + features + "]")),
                List.of(PortSpec.of("logits", "[batch, " + classes + "]")));
        this.features = features;
        this.classes = classes;
        this.dropout = dropout;
    }

    /**
     * @return a new head
     * @param name component name
     * @param features input width
     * @param classes number of classes
     */
    public static LinearHead of(String name, long features, long classes) {
        return of(name, features, classes, 0f);
    }

    /**
     * As {@link #of(String, long, long)}, with dropout on the input features while training.
     *
     * @param name component name
     * @param features input width
     * @param classes number of classes
     * @param dropout dropout rate on the input, in [0, 1)
     * @return a new head
     */
    public static LinearHead of(String name, long features, long classes, float dropout) {
        Sizes.positive("head " + name, "features", features);
        Sizes.positive("head " + name, "classes", classes);
        Sizes.rate("head " + name, dropout);
        return new LinearHead(name, features, classes, dropout);
    }

    @Override
    public List<String> layerOrder() {
        return List.of("fc");
    }

    @Override
    protected void initialize(ParamScope scope) {
        drop = new Dropout(scope.path() + "/dropout", dropout);
        fc = new Linear(scope.child("fc"), features, classes);
    }

    @Override
    public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
        NDArray x = drop.forward(context, in.get("in")); // (B, features)
        return Map.of("logits", fc.forward(context, x)); // (B, classes)
    }
}
