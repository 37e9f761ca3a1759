package dev.floe.components;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.floe.nn.Dropout;
import dev.floe.nn.Embedding;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.LayerNorm;
import dev.floe.nn.ParamScope;

/**
 * BERT's input embeddings: word + position + token type, then LayerNorm and dropout. Children
 * {@code word_embeddings}, {@code position_embeddings}, {@code token_type_embeddings},
 * {@code LayerNorm}.
 */
final class TransformerEmbeddings {

    private final String path;
    private final long maxPositions;
    private final Embedding words;
    private final Embedding positions;
    private final Embedding types;
    private final LayerNorm norm;
    private final Dropout dropout;

    TransformerEmbeddings(ParamScope scope, TransformerEncoder.Config c) {
        this.path = scope.path();
        this.maxPositions = c.maxPositions();
        words = new Embedding(scope.child("word_embeddings"), c.vocab(), c.hidden());
        positions = new Embedding(scope.child("position_embeddings"), c.maxPositions(), c.hidden());
        types = new Embedding(scope.child("token_type_embeddings"), c.typeVocab(), c.hidden());
        norm = new LayerNorm(scope.child("LayerNorm"), c.hidden(), c.layerNormEps());
        dropout = new Dropout(path + "/dropout", c.dropout());
    }

    /**
     * @param ids (B, T) int64
     * @param typeIds (B, T) int64, or null for all zeros
     * @return (B, T, H)
     */
    NDArray forward(ForwardContext context, NDArray ids, NDArray typeIds) {
        return forward(context, ids, typeIds, null);
    }

    /**
     * @param ids (B, T) int64
     * @param typeIds (B, T) int64, or null for all zeros
     * @param virtual (N, H) virtual token embeddings put before the word embeddings of every row
     *     (token type 0, positions 0..N-1), or null
     * @return (B, N + T, H)
     */
    NDArray forward(ForwardContext context, NDArray ids, NDArray typeIds, NDArray virtual) {
        long b = ids.getShape().get(0);
        long n = virtual == null ? 0 : virtual.getShape().get(0);
        long seq = n + ids.getShape().get(1);
        if (seq > maxPositions) {
            throw new IllegalArgumentException(n == 0
                    ? path + ": sequences of " + seq + " tokens are longer than the " + maxPositions
                            + " positions the encoder has; truncate the input to " + maxPositions + " tokens"
                    : path + ": " + n + " virtual tokens plus sequences of " + (seq - n) + " tokens need " + seq
                            + " positions but the encoder has " + maxPositions + "; truncate the input to "
                            + (maxPositions - n) + " tokens or use fewer virtual tokens");
        }
        NDArray pos = ids.getManager().arange(0, seq, 1, DataType.INT64); // (N + T)
        NDArray types0 = typeIds != null ? typeIds : ids.zerosLike(); // (B, T)
        NDArray x = words.forward(context, ids); // (B, T, H)
        if (virtual != null) {
            x = virtual.expandDims(0).broadcast(b, n, x.getShape().get(2)).concat(x, 1); // (B, N + T, H)
            types0 = ids.getManager().zeros(new ai.djl.ndarray.types.Shape(b, n), DataType.INT64).concat(types0, 1); // (B, N + T)
        }
        x = x.add(types.forward(context, types0)); // (B, T, H)
        x = x.add(positions.forward(context, pos)); // (B, T, H) + (T, H)
        x = norm.forward(context, x); // (B, T, H)
        return dropout.forward(context, x);
    }
}
