package dev.floe.export;

import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.components.MlpHead;
import dev.floe.graph.Component;
import dev.floe.nn.BatchNorm;
import dev.floe.nn.Layer;
import dev.floe.nn.Linear;
import dev.floe.nn.LinearDelta;
import dev.floe.nn.Param;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The exporters of Floe's built-in component types, and the layer emitters they share. */
final class BuiltInExporters {

    private BuiltInExporters() {}

    /** Exporter per built-in component class. */
    static Map<Class<? extends Component>, ComponentExporter<?>> all() {
        Map<Class<? extends Component>, ComponentExporter<?>> m = new LinkedHashMap<>();
        m.put(ConvEncoder.class, (ComponentExporter<ConvEncoder>) BuiltInExporters::convEncoder);
        m.put(LinearHead.class, (ComponentExporter<LinearHead>) (c, in, g) ->
                Map.of("logits", linear(g, c, c.name() + "/fc", in.get("in"))));
        m.put(MlpHead.class, (ComponentExporter<MlpHead>) (c, in, g) -> {
            String h = g.node("Relu", c.name() + "/fc1/relu", List.of(linear(g, c, c.name() + "/fc1", in.get("in"))));
            return Map.of("logits", linear(g, c, c.name() + "/fc2", h));
        });
        m.put(Mlp.class, (ComponentExporter<Mlp>) BuiltInExporters::mlp);
        return m;
    }

    private static Map<String, String> convEncoder(ConvEncoder c, Map<String, String> in, OnnxGraphBuilder g) {
        String p = c.name();
        String x = g.node("Relu", p + "/stem/relu", List.of(bn(g, c, p + "/stem/bn", conv(g, c, p + "/stem/conv", in.get("in"), 1))));
        for (int i = 1; c.parameters().containsKey(p + "/block" + i + "/conv1/weight"); i++) {
            String b = p + "/block" + i;
            String h = g.node("Relu", b + "/relu1", List.of(bn(g, c, b + "/bn1", conv(g, c, b + "/conv1", x, 2))));
            h = bn(g, c, b + "/bn2", conv(g, c, b + "/conv2", h, 1));
            String skip = bn(g, c, b + "/proj_bn", conv(g, c, b + "/proj", x, 2));
            x = g.node("Relu", b + "/relu2", List.of(g.node("Add", b + "/add", List.of(h, skip))));
        }
        String pooled = g.node("GlobalAveragePool", p + "/pool", List.of(x)); // (B, C, 1, 1)
        return Map.of("features", g.node("Flatten", p + "/features", List.of(pooled), OnnxGraphBuilder.Attribute.of("axis", 1L)));
    }

    private static Map<String, String> mlp(Mlp c, Map<String, String> in, OnnxGraphBuilder g) {
        String x = in.get("in");
        for (int i = 1; c.parameters().containsKey(c.name() + "/fc" + i + "/weight"); i++) {
            String layer = c.name() + "/fc" + i;
            x = g.node("Relu", layer + "/relu", List.of(linear(g, c, layer, x)));
        }
        return Map.of("out", linear(g, c, c.name() + "/out", x));
    }

    /** {@code Conv} without bias, odd square kernel, padding kernel/2, as {@link dev.floe.nn.Conv2d}. */
    static String conv(OnnxGraphBuilder g, Component c, String path, String x, long stride) {
        Param w = param(c, path + "/weight");
        long k = w.shape().get(2);
        Param b = c.parameters().get(path + "/bias");
        List<String> in = b == null ? List.of(x, g.param(w)) : List.of(x, g.param(w), g.param(b));
        return g.node("Conv", path, in,
                OnnxGraphBuilder.Attribute.ints("kernel_shape", k, k),
                OnnxGraphBuilder.Attribute.ints("strides", stride, stride),
                OnnxGraphBuilder.Attribute.ints("pads", k / 2, k / 2, k / 2, k / 2));
    }

    /** Inference {@code BatchNormalization} on the running statistics. */
    static String bn(OnnxGraphBuilder g, Component c, String path, String x) {
        return g.node("BatchNormalization", path, List.of(x, g.param(param(c, path + "/gamma")),
                        g.param(param(c, path + "/beta")), g.param(param(c, path + "/running_mean")),
                        g.param(param(c, path + "/running_var"))),
                OnnxGraphBuilder.Attribute.of("epsilon", BatchNorm.EPSILON));
    }

    /**
     * {@code y = x W^T + b} for {@code x (B, in)} as one {@code Gemm}.
     *
     * @throws ExportException if the layer has an active extra (an unmerged LoRA or similar) on top
     */
    static String linear(OnnxGraphBuilder g, Component c, String path, String x) {
        checkNoActiveDelta(c, path);
        return g.node("Gemm", path, List.of(x, g.param(param(c, path + "/weight")), g.param(param(c, path + "/bias"))),
                OnnxGraphBuilder.Attribute.of("transB", 1L));
    }

    static void checkNoActiveDelta(Component c, String path) {
        Layer layer = c.layers().get(path);
        if (layer instanceof Linear l) {
            for (LinearDelta d : l.deltas()) {
                if (d.active()) {
                    throw new ExportException("component " + c.name() + ": layer " + path + " has the active extra '"
                            + d.name() + "' (" + d.getClass().getSimpleName() + "), which cannot be exported; merge"
                            + " it into the layer's weights or deactivate it first");
                }
            }
        }
    }

    static Param param(Component c, String path) {
        Param p = c.parameters().get(path);
        if (p == null) {
            throw new ExportException("component " + c.name() + " (" + c.getClass().getSimpleName() + ") has no parameter "
                    + path + "; it has " + c.parameters().keySet());
        }
        return p;
    }
}
