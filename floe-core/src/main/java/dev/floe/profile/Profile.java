package dev.floe.profile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.Json;
import java.util.List;

/**
 * The result of {@link GradientProfiler#run}: settings, the loss per step, and what was measured per
 * layer and per component, in the graph's order (inputs first).
 *
 * @param steps optimizer steps profiled
 * @param batchSize examples per step
 * @param optimizer the optimizer's name ({@code adamw}, {@code sgd})
 * @param lr the base learning rate
 * @param loss training loss per step (cross-entropy on the step's batch, before the update)
 * @param layers per declared layer, bottom to top within each component
 * @param components per component
 */
public record Profile(
        int steps, int batchSize, String optimizer, double lr, Series loss, List<LayerProfile> layers,
        List<ComponentProfile> components) {

    /** Version of the JSON layout written by {@link #toJson(FreezeAdvice)}. */
    public static final int FORMAT_VERSION = 1;

    /**
     * Copies the lists.
     *
     * @param steps optimizer steps profiled
     * @param batchSize examples per step
     * @param optimizer the optimizer's name ({@code adamw}, {@code sgd})
     * @param lr the base learning rate
     * @param loss training loss per step (cross-entropy on the step's batch, before the update)
     * @param layers per declared layer, bottom to top within each component
     * @param components per component
     */
    public Profile {
        layers = List.copyOf(layers);
        components = List.copyOf(components);
    }

    /**
     * The layer with this path.
     *
     * @param path the layer path
     * @return the layer's profile
     */
    public LayerProfile layer(String path) {
        return layers.stream().filter(l -> l.layer().equals(path)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no layer " + path + " in this profile; layers are "
                        + layers.stream().map(LayerProfile::layer).toList()));
    }

    /**
     * Sum of the layers' mean backward times per step.
     *
     * @return milliseconds per step
     */
    public double backwardMillis() {
        return layers.stream().mapToDouble(LayerProfile::backwardMillis).sum();
    }

    /**
     * Sum of the layers' mean forward times per step.
     *
     * @return milliseconds per step
     */
    public double forwardMillis() {
        return layers.stream().mapToDouble(LayerProfile::forwardMillis).sum();
    }

    /**
     * The profile and {@code advice} as JSON ({@code profile.json}; fields documented in
     * examples/README.md, "floe profile").
     *
     * @param advice the advice to include
     * @return a new JSON object
     */
    public ObjectNode toJson(FreezeAdvice advice) {
        ObjectMapper json = Json.mapper();
        ObjectNode root = json.createObjectNode();
        root.put("format", "floe-profile");
        root.put("version", FORMAT_VERSION);
        root.put("steps", steps);
        root.put("batch_size", batchSize);
        root.put("optimizer", optimizer);
        root.put("lr", lr);
        root.set("loss", series(json, loss));
        ObjectNode totals = root.putObject("totals");
        totals.put("forward_ms", forwardMillis());
        totals.put("backward_ms", backwardMillis());
        totals.put("activation_bytes", layers.stream().mapToDouble(LayerProfile::activationBytes).sum());
        ArrayNode comps = root.putArray("components");
        for (ComponentProfile c : components) {
            ObjectNode n = comps.addObject();
            n.put("name", c.component());
            n.put("params", c.params());
            n.put("trainable_params", c.trainableParams());
            n.put("grad_norm_mean", c.gradNormMean());
            n.put("forward_ms", c.forwardMillis());
            n.put("backward_ms", c.backwardMillis());
            n.put("activation_bytes", c.activationBytes());
        }
        ArrayNode ls = root.putArray("layers");
        double backward = backwardMillis();
        for (LayerProfile l : layers) {
            ObjectNode n = ls.addObject();
            n.put("layer", l.layer());
            n.put("component", l.component());
            n.put("state", l.state());
            n.put("params", l.params());
            n.put("trainable_params", l.trainableParams());
            n.put("lr_scale", l.lrScale());
            n.put("weight_rms", l.weightRms());
            n.set("grad_norm", series(json, l.gradNorm()));
            n.set("grad_in_norm", series(json, l.gradInNorm()));
            n.set("grad_out_norm", series(json, l.gradOutNorm()));
            putNullable(n, "grad_in_out_ratio", l.gradInOutRatio());
            n.set("update_ratio", series(json, l.updateRatio()));
            putNullable(n, "relu_dead_share", l.reluDeadShare());
            putNullable(n, "gelu_tail_share", l.geluTailShare());
            n.put("forward_ms", l.forwardMillis());
            n.put("backward_ms", l.backwardMillis());
            n.put("backward_share", backward == 0 ? 0 : l.backwardMillis() / backward);
            n.put("activation_bytes", l.activationBytes());
        }
        ArrayNode items = root.putArray("advice");
        for (FreezeAdvice.Item a : advice.items()) {
            ObjectNode n = items.addObject();
            n.put("layer", a.layer());
            n.put("rule", a.rule().id());
            n.put("action", a.action().toString());
            putNullable(n, "lr_scale", a.lrScale());
            n.put("reason", a.reason());
        }
        root.put("policy_yaml", advice.policyYaml());
        return root;
    }

    private static void putNullable(ObjectNode n, String key, Double value) {
        if (value == null || !Double.isFinite(value)) {
            n.putNull(key);
        } else {
            n.put(key, value);
        }
    }

    private static ObjectNode series(ObjectMapper json, Series s) {
        if (s == null) {
            return null;
        }
        ObjectNode n = json.createObjectNode();
        n.put("mean", s.mean());
        n.put("max", s.max());
        n.put("trend_per_step", s.trend());
        n.put("relative_trend", s.relativeTrend());
        ArrayNode per = n.putArray("per_step");
        for (double v : s.perStep()) {
            per.add(v);
        }
        return n;
    }
}
