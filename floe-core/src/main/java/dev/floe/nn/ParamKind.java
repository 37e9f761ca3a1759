package dev.floe.nn;

/** What a parameter is for; decides weight decay defaults and whether an optimizer may touch it. */
public enum ParamKind {
    /** A weight matrix or convolution kernel. */
    WEIGHT,
    /** An additive bias. */
    BIAS,
    /** A normalisation layer's scale (gamma). */
    NORM_SCALE,
    /** A normalisation layer's shift (beta). */
    NORM_SHIFT,
    /** LoRA down-projection A, shape (r, in). */
    LORA_A,
    /** LoRA up-projection B, shape (out, r); starts at zero. */
    LORA_B,
    /** A DoRA magnitude: one trained length per output unit of the layer, shape (out). */
    LORA_MAGNITUDE,
    /** A weight or bias of a bottleneck adapter, or an IA3 scaling vector. */
    ADAPTER,
    /** BatchNorm running mean: a buffer updated by forward passes in training mode, never by gradients. */
    RUNNING_MEAN,
    /** BatchNorm running variance: a buffer, as {@link #RUNNING_MEAN}. */
    RUNNING_VAR;

    /**
     * True for running statistics, which no optimizer updates.
     *
     * @return true for buffers
     */
    public boolean isBuffer() {
        return this == RUNNING_MEAN || this == RUNNING_VAR;
    }

    /**
     * True for parameters that belong to a named LoRA module or adapter rather than the base model.
     *
     * @return true for LoRA and adapter parameters
     */
    public boolean isAdapter() {
        return this == LORA_A || this == LORA_B || this == LORA_MAGNITUDE || this == ADAPTER;
    }

    /**
     * True when weight decay applies by default (weights only; biases and norm parameters are
     * exempt).
     *
     * @return true when weight decay applies by default
     */
    public boolean decaysByDefault() {
        return this == WEIGHT;
    }
}
