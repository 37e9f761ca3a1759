package dev.floe.export;

import dev.floe.components.ConvEncoder;
import dev.floe.components.LinearHead;
import dev.floe.components.Mlp;
import dev.floe.components.MlpHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.Component;
import dev.floe.nn.BatchNorm;
import dev.floe.nn.Layer;
import dev.floe.nn.Linear;
import dev.floe.nn.LinearDelta;
import dev.floe.nn.Param;
import dev.floe.peft.AdapterSpec;
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
        m.put(TransformerEncoder.class, new TransformerExporter());
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
     * {@code y = x W^T + b} of the {@link Linear} at {@code path}: one {@code Gemm} for {@code x (B, in)},
     * {@code MatMul} and {@code Add} for {@code x (..., in)} ({@code matrixInput} false); then any
     * active bottleneck adapter on the layer, {@code y + up(act(down(y)))}.
     *
     * @throws ExportException if the layer has another active extra on top (e.g. an unmerged LoRA)
     */
    static String linear(OnnxGraphBuilder g, Component c, String path, String x, boolean matrixInput) {
        String y = dense(g, param(c, path + "/weight"), param(c, path + "/bias"), x, path, matrixInput);
        Layer layer = c.layers().get(path);
        if (layer instanceof Linear l) {
            for (LinearDelta d : l.deltas()) {
                if (!d.active()) {
                    continue;
                }
                AdapterSpec spec = g.adapter(d.name());
                if (spec == null) {
                    throw new ExportException("component " + c.name() + " (" + c.getClass().getSimpleName() + "): layer "
                            + path + " has the active extra '" + d.name() + "', which cannot be exported; merge it into"
                            + " the layer's weights or deactivate it first");
                }
                String a = path + "/adapter/" + d.name();
                String h = dense(g, param(c, a + "/down/weight"), param(c, a + "/down/bias"), y, a + "/down", matrixInput);
                h = spec.activation() == AdapterSpec.Activation.RELU ? g.node("Relu", a + "/relu", List.of(h)) : gelu(g, a, h);
                y = g.node("Add", a + "/add", List.of(y, dense(g, param(c, a + "/up/weight"), param(c, a + "/up/bias"), h,
                        a + "/up", matrixInput)));
            }
        }
        return y;
    }

    static String linear(OnnxGraphBuilder g, Component c, String path, String x) {
        return linear(g, c, path, x, true);
    }

    private static String dense(OnnxGraphBuilder g, Param w, Param b, String x, String hint, boolean matrixInput) {
        if (matrixInput) {
            return g.node("Gemm", hint, List.of(x, g.param(w), g.param(b)), OnnxGraphBuilder.Attribute.of("transB", 1L));
        }
        return g.node("Add", hint, List.of(g.node("MatMul", hint + "/matmul", List.of(x, g.transposed(w))), g.param(b)));
    }

    /** GELU in its exact erf form: {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    static String gelu(OnnxGraphBuilder g, String hint, String x) {
        String e = g.node("Erf", hint + "/gelu/erf", List.of(g.node("Div", hint + "/gelu/scaled",
                List.of(x, g.scalar(hint + "/gelu/sqrt2", (float) Math.sqrt(2.0))))));
        String onePlus = g.node("Add", hint + "/gelu/one_plus", List.of(e, g.scalar(hint + "/gelu/one", 1f)));
        String half = g.node("Mul", hint + "/gelu/half_x", List.of(x, g.scalar(hint + "/gelu/half", 0.5f)));
        return g.node("Mul", hint + "/gelu", List.of(half, onePlus));
    }

    /** {@code LayerNormalization} over the last axis, with the layer's weight, bias and epsilon. */
    static String layerNorm(OnnxGraphBuilder g, Component c, String path, String x, float epsilon) {
        return g.node("LayerNormalization", path, List.of(x, g.param(param(c, path + "/weight")),
                        g.param(param(c, path + "/bias"))),
                OnnxGraphBuilder.Attribute.of("axis", -1L), OnnxGraphBuilder.Attribute.of("epsilon", epsilon));
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
