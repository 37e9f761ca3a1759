package dev.floe.peft;

/**
 * What to attach: a LoRA module or a bottleneck adapter, keyed by {@link #name()} and aimed at the
 * Linear layers whose module path matches {@link #target()}; or prompt or prefix tuning, aimed at the
 * transformer encoders whose component name matches {@link #target()}.
 */
public sealed interface PeftSpec permits LoraSpec, AdapterSpec, DoraSpec, Ia3Spec, PromptSpec, PrefixSpec {

    /** {@return the module's name: unique in a graph across LoRA modules and adapters} */
    String name();

    /**
     * {@return a {@link dev.floe.graph.PathGlob} over Linear module paths, e.g. {@code encoder/**}
     * (LoRA, adapters), or over component names (prompt, prefix)}
     */
    String target();

    /**
     * {@return {@code "lora"}, {@code "adapter"}, {@code "dora"}, {@code "ia3"}, {@code "prompt"} or
     * {@code "prefix"}, as written in files and messages}
     */
    String kind();

    /**
     * The same module under another name, e.g. to attach a saved module beside one of the same name.
     *
     * @param name the new name: letters, digits, '_' and '-'
     * @return a spec equal to this one but for its name
     * @throws IllegalArgumentException if the name is not allowed
     */
    PeftSpec withName(String name);
}
