package dev.floe.components;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.floe.nn.Dropout;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.LayerNorm;
import dev.floe.nn.Linear;
import dev.floe.nn.ParamScope;

/**
 * One post-norm BERT layer: multi-head self-attention ({@code attention/self/query|key|value},
 * {@code attention/output/dense}, {@code attention/output/LayerNorm}), then the feed-forward part
 * ({@code intermediate/dense}, GELU, {@code output/dense}, {@code output/LayerNorm}), each with a
 * residual connection. Each pass shows its forward context the queries and keys {@code (B, nh, T, dh)}
 * and the attention probabilities {@code (B, nh, T, T)} (before dropout) at
 * {@code <layer>/attention/self/query|key|probs}.
 */
final class TransformerLayer {

    /** Suffixes of the values a layer shows {@link ForwardContext#observe}, under {@code <layer>/attention/self/}. */
    static final String QUERY = "query", KEY = "key", PROBS = "probs";

    private final String selfPath;
    private final long hidden;
    private final long heads;
    private final long headSize;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Dropout attentionDropout;
    private final Linear attentionOut;
    private final Dropout attentionOutDropout;
    private final LayerNorm attentionNorm;
    private final Linear intermediate;
    private final Linear output;
    private final Dropout outputDropout;
    private final LayerNorm outputNorm;
    /** The layer's path, {@code <component>/layer.<i>}, for profiling hooks. */
    private final String path;

    TransformerLayer(ParamScope scope, TransformerEncoder.Config c) {
        this.path = scope.path();
        this.hidden = c.hidden();
        this.heads = c.heads();
        this.headSize = c.hidden() / c.heads();
        ParamScope self = scope.child("attention").child("self");
        this.selfPath = self.path();
        query = new Linear(self.child("query"), hidden, hidden);
        key = new Linear(self.child("key"), hidden, hidden);
        value = new Linear(self.child("value"), hidden, hidden);
        attentionDropout = new Dropout(self.path() + "/dropout", c.dropout());
        ParamScope attOut = scope.child("attention").child("output");
        attentionOut = new Linear(attOut.child("dense"), hidden, hidden);
        attentionOutDropout = new Dropout(attOut.path() + "/dropout", c.dropout());
        attentionNorm = new LayerNorm(attOut.child("LayerNorm"), hidden, c.layerNormEps());
        intermediate = new Linear(scope.child("intermediate").child("dense"), hidden, c.intermediate());
        ParamScope out = scope.child("output");
        output = new Linear(out.child("dense"), c.intermediate(), hidden);
        outputDropout = new Dropout(out.path() + "/dropout", c.dropout());
        outputNorm = new LayerNorm(out.child("LayerNorm"), hidden, c.layerNormEps());
    }

    /**
     * @param x (B, T, H)
     * @param maskBias (B, 1, 1, T): 0 for real tokens, a large negative number for padding
     * @return (B, T, H)
     */
    NDArray forward(ForwardContext context, NDArray x, NDArray maskBias) {
        return forward(context, x, maskBias, null);
    }

    /**
     * As {@link #forward(ForwardContext, NDArray, NDArray)} with P key/value positions before the
     * tokens' own (prefix tuning): the keys and values become {@code (B, nh, P + T, dh)} and the
     * attention probabilities {@code (B, nh, T, P + T)}.
     *
     * @param prefix the prefix, or null for none
     */
    NDArray forward(ForwardContext context, NDArray x, NDArray maskBias, Prefix prefix) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        // every per-token step runs on (B·T, H) rows: a dense layer on a 2-D input is one fused
        // matrix multiply-add in libtorch, where a 3-D input costs a separate matmul and bias add
        NDArray rows = x.reshape(b * t, hidden); // (B·T, H)
        NDArray q = splitHeads(query.forward(context, rows), b, t); // (B, nh, T, dh)
        NDArray k = splitHeads(key.forward(context, rows), b, t); // (B, nh, T, dh)
        NDArray v = splitHeads(value.forward(context, rows), b, t); // (B, nh, T, dh)
        if (prefix != null) {
            long p = prefix.key().getShape().get(0);
            k = splitHeads(prefix.key().expandDims(0), 1, p).broadcast(b, heads, p, headSize).concat(k, 2); // (B, nh, P + T, dh)
            v = splitHeads(prefix.value().expandDims(0), 1, p).broadcast(b, heads, p, headSize).concat(v, 2); // (B, nh, P + T, dh)
            maskBias = prefix.bias().concat(maskBias, 3); // (B, 1, 1, P + T)
        }
        // the (B, nh, T, T) intermediates are closed as soon as the next one exists: autograd keeps
        // its own reference to what the backward pass needs (softmax keeps its output only), and each
        // one left open would stay alive until the batch ends
        NDArray raw = q.matMul(k.transpose(0, 1, 3, 2)); // (B, nh, T, T)
        NDArray scaled = raw.div(dev.floe.engine.FloeEngine.scalar(q, (float) Math.sqrt(headSize))); // (B, nh, T, T)
        raw.close();
        NDArray scores = scaled.add(maskBias); // (B, nh, T, T)
        scaled.close();
        NDArray attention = scores.softmax(-1); // (B, nh, T, T), rows sum to 1, padding keys 0
        scores.close();
        context.observe(selfPath + "/" + QUERY, q);
        context.observe(selfPath + "/" + KEY, k);
        context.observe(selfPath + "/" + PROBS, attention);
        NDArray probs = attentionDropout.forward(context, attention); // (B, nh, T, T)
        NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b * t, hidden); // (B·T, H)
        NDArray att = attentionOutDropout.forward(context, attentionOut.forward(context, ctx)); // (B·T, H)
        NDArray h = attentionNorm.forward(context, att.add(rows)); // (B·T, H)
        NDArray pre = intermediate.forward(context, h); // (B·T, I)
        context.activationInput(path, "gelu", pre);
        NDArray ff = Activation.gelu(pre); // (B·T, I), erf form
        ff = outputDropout.forward(context, output.forward(context, ff)); // (B·T, H)
        return outputNorm.forward(context, ff.add(h)).reshape(b, t, hidden); // (B, T, H)
    }

    /**
     * Key and value positions every token of a layer attends to before its own (prefix tuning).
     *
     * @param key (P, H)
     * @param value (P, H)
     * @param bias (B, 1, 1, P): 0 where a row attends to the position, a large negative number where not
     */
    record Prefix(NDArray key, NDArray value, NDArray bias) {}

    /** (B, T, H) to (B, nh, T, dh). */
    private NDArray splitHeads(NDArray x, long b, long t) {
        return x.reshape(b, t, heads, headSize).transpose(0, 2, 1, 3);
    }
}
