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
        long seq = ids.getShape().get(1);
        if (seq > maxPositions) {
            throw new IllegalArgumentException(
                    path + ": sequences of " + seq + " tokens are longer than the " + maxPositions
                            + " positions the encoder has; truncate the input to " + maxPositions + " tokens");
        }
        NDArray pos = ids.getManager().arange(0, seq, 1, DataType.INT64); // (T)
        NDArray types0 = typeIds != null ? typeIds : ids.zerosLike(); // (B, T)
        NDArray x = words.forward(context, ids); // (B, T, H)
        x = x.add(types.forward(context, types0)); // (B, T, H)
        x = x.add(positions.forward(context, pos)); // (B, T, H) + (T, H)
        x = norm.forward(context, x); // (B, T, H)
        return dropout.forward(context, x);
    }
}
