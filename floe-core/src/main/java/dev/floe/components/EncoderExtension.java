package dev.floe.components;

import ai.djl.ndarray.NDArray;
import dev.floe.nn.ForwardContext;

/**
 * Trained inputs a parameter-efficient module adds to a {@link TransformerEncoder}'s forward pass:
 * virtual tokens prepended to the input (prompt tuning) or key/value prefixes per layer (prefix
 * tuning). Attached with {@link TransformerEncoder#addExtension}; the encoder asks every attached
 * extension whose {@link #active()} is true, in attachment order.
 *
 * <p>Both kinds leave the encoder's outputs shaped as before: {@code hidden} holds the real tokens
 * only and pooling ignores virtual tokens (see {@link TransformerEncoder}).
 */
public interface EncoderExtension {

    /**
     * {@return the name of the module, unique among the encoder's extensions}
     */
    String name();

    /**
     * {@return whether the encoder uses this extension on the next forward pass}
     */
    boolean active();

    /**
     * The virtual token embeddings to put before the word embeddings of every row; they then get
     * position embeddings {@code 0..N-1} and token type 0 like real tokens, and the real tokens move
     * to positions {@code N..}. Called inside the embeddings' checkpoint segment.
     *
     * @param context the forward pass's context
     * @return {@code (N, H)}, or null when this extension adds no virtual tokens
     */
    default NDArray virtualTokens(ForwardContext context) {
        return null;
    }

    /**
     * The key and value prefix that layer {@code layer} concatenates before its own keys and values
     * (every real token attends to them; they are not outputs). Called inside the layer's
     * checkpoint segment.
     *
     * @param context the forward pass's context
     * @param layer the layer index, from 0
     * @return the prefix, or null when this extension adds none to that layer
     */
    default KeyValue prefix(ForwardContext context, int layer) {
        return null;
    }

    /**
     * A key/value prefix of P positions.
     *
     * @param key {@code (P, H)}, in the layer's key space (after the key projection)
     * @param value {@code (P, H)}, in the layer's value space (after the value projection)
     */
    record KeyValue(NDArray key, NDArray value) {}
}
