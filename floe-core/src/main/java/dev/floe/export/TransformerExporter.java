package dev.floe.export;

import static dev.floe.export.BuiltInExporters.gelu;
import static dev.floe.export.BuiltInExporters.layerNorm;
import static dev.floe.export.BuiltInExporters.linear;
import static dev.floe.export.BuiltInExporters.param;

import dev.floe.components.TransformerEncoder;
import dev.floe.export.OnnxGraphBuilder.Attribute;
import dev.floe.nn.Param;
import java.util.List;
import java.util.Map;

/**
 * The ONNX nodes of a {@link TransformerEncoder} (config types {@code transformer} and
 * {@code minilm}) in inference mode: embeddings ({@code Gather}; positions sliced to the input's
 * length; token type 0 when {@code token_type_ids} is not wired), every layer's self-attention
 * ({@code MatMul}, per-head {@code Reshape}/{@code Transpose}, {@code Softmax} with padding keys
 * masked from {@code attention_mask} as the encoder masks them) and erf GELU feed-forward, each
 * followed by {@code LayerNormalization}, then mean or first-token pooling.
 */
final class TransformerExporter implements ComponentExporter<TransformerEncoder> {

    @Override
    public Map<String, String> emit(TransformerEncoder c, Map<String, String> in, OnnxGraphBuilder g) {
        for (dev.floe.components.EncoderExtension e : c.extensions()) {
            if (e.active()) {
                throw new ExportException("transformer encoder '" + c.name() + "' carries the prompt or prefix module '"
                        + e.name() + "' (peft.prompts), which ONNX export cannot hold (it adds virtual tokens the exported"
                        + " graph has no place for); export the weights as safetensors instead (floe export --safetensors"
                        + " keeps the module), or train without peft.prompts to export ONNX");
            }
        }
        TransformerEncoder.Config cfg = c.config();
        String p = c.name();
        float eps = cfg.layerNormEps();
        String ids = in.get("input_ids"); // (B, T)
        String maskF = g.node("Cast", p + "/mask_float", List.of(in.get("attention_mask")), Attribute.of("to", 1L)); // (B, T)
        String notToken = g.node("Sub", p + "/padding", List.of(g.scalar(p + "/one", 1f), maskF));
        String maskBias = g.node("Unsqueeze", p + "/mask_bias", List.of(
                g.node("Mul", p + "/mask_score", List.of(notToken, g.scalar(p + "/masked_score", TransformerEncoder.MASKED_SCORE))),
                g.int64s(p + "/axes_1_2", 1, 2))); // (B, 1, 1, T)

        String e = p + "/embeddings";
        String x = g.node("Gather", e + "/words", List.of(g.param(param(c, e + "/word_embeddings/weight")), ids)); // (B, T, H)
        Param types = param(c, e + "/token_type_embeddings/weight");
        String typeIds = in.get("token_type_ids");
        String typeVectors = typeIds != null
                ? g.node("Gather", e + "/types", List.of(g.param(types), typeIds))
                : g.node("Gather", e + "/types", List.of(g.param(types), g.int64Scalar(e + "/type0", 0))); // (B, T, H) or (H)
        x = g.node("Add", e + "/plus_types", List.of(x, typeVectors));
        String length = g.node("Shape", e + "/length", List.of(ids), Attribute.of("start", 1L), Attribute.of("end", 2L)); // [T]
        String positions = g.node("Slice", e + "/positions", List.of(g.param(param(c, e + "/position_embeddings/weight")),
                g.int64s(e + "/zero", 0), length, g.int64s(e + "/axis0", 0))); // (T, H)
        x = layerNorm(g, c, e + "/LayerNorm", g.node("Add", e + "/plus_positions", List.of(x, positions)), eps);

        long heads = cfg.heads();
        long headSize = cfg.hidden() / heads;
        String splitShape = g.int64s(p + "/split_heads", 0, 0, heads, headSize);
        String mergeShape = g.int64s(p + "/merge_heads", 0, 0, cfg.hidden());
        String scale = g.scalar(p + "/sqrt_head_size", (float) Math.sqrt(headSize));
        for (int i = 0; i < cfg.layers(); i++) {
            String l = p + "/layer." + i;
            String self = l + "/attention/self";
            String q = heads(g, linear(g, c, self + "/query", x, false), splitShape, self + "/q", 0, 2, 1, 3); // (B, nh, T, dh)
            String kT = heads(g, linear(g, c, self + "/key", x, false), splitShape, self + "/k_t", 0, 2, 3, 1); // (B, nh, dh, T)
            String v = heads(g, linear(g, c, self + "/value", x, false), splitShape, self + "/v", 0, 2, 1, 3); // (B, nh, T, dh)
            String scores = g.node("Div", self + "/scores", List.of(g.node("MatMul", self + "/qk", List.of(q, kT)), scale));
            scores = g.node("Add", self + "/masked_scores", List.of(scores, maskBias)); // (B, nh, T, T)
            String probs = g.node("Softmax", self + "/probs", List.of(scores), Attribute.of("axis", -1L));
            String ctx = g.node("Transpose", self + "/context_t", List.of(g.node("MatMul", self + "/context", List.of(probs, v))),
                    Attribute.ints("perm", 0, 2, 1, 3)); // (B, T, nh, dh)
            ctx = g.node("Reshape", self + "/context_merged", List.of(ctx, mergeShape)); // (B, T, H)
            String att = linear(g, c, l + "/attention/output/dense", ctx, false);
            String h = layerNorm(g, c, l + "/attention/output/LayerNorm", g.node("Add", l + "/attention/residual", List.of(att, x)), eps);
            String ff = gelu(g, l + "/intermediate", linear(g, c, l + "/intermediate/dense", h, false)); // (B, T, I)
            ff = linear(g, c, l + "/output/dense", ff, false); // (B, T, H)
            x = layerNorm(g, c, l + "/output/LayerNorm", g.node("Add", l + "/output/residual", List.of(ff, h)), eps);
        }

        String pooled;
        if (c.pooling() == TransformerEncoder.Pooling.CLS) {
            pooled = g.node("Gather", p + "/pooled", List.of(x, g.int64Scalar(p + "/first", 0)), Attribute.of("axis", 1L));
        } else {
            String weights = g.node("Unsqueeze", p + "/mask_weights", List.of(maskF, g.int64s(p + "/axis2", 2))); // (B, T, 1)
            String sum = g.node("ReduceSum", p + "/sum", List.of(g.node("Mul", p + "/masked", List.of(x, weights)),
                    g.int64s(p + "/axis1", 1)), Attribute.of("keepdims", 0L)); // (B, H)
            String count = g.node("ReduceSum", p + "/count", List.of(maskF, g.int64s(p + "/axis1_count", 1)),
                    Attribute.of("keepdims", 1L)); // (B, 1)
            count = g.node("Max", p + "/count_at_least", List.of(count, g.scalar(p + "/min_count", 1e-9f)));
            pooled = g.node("Div", p + "/pooled", List.of(sum, count));
        }
        return Map.of("hidden", x, "pooled", pooled);
    }

    /** {@code (B, T, H) -> (B, T, nh, dh)}, then transposed by {@code perm}. */
    private static String heads(OnnxGraphBuilder g, String x, String splitShape, String hint, long... perm) {
        return g.node("Transpose", hint, List.of(g.node("Reshape", hint + "/split", List.of(x, splitShape))),
                Attribute.ints("perm", perm));
    }
}
