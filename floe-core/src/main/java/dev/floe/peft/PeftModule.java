package dev.floe.peft;

import dev.floe.nn.LinearDelta;
import dev.floe.nn.Param;
import java.util.List;
import java.util.Map;

/** One injected PEFT module: its spec, the layers it is attached to and its parameters. */
sealed interface PeftModule permits WeightModule, AdapterModule, EncoderModule {

    PeftSpec spec();

    /** The Linear layers it is attached to, in graph order (empty for prompt and prefix modules). */
    List<Target> targets();

    /** The module paths of the layers it is attached to, in graph order. */
    default List<String> layers() {
        return Targets.paths(targets());
    }

    /** The components holding its layers, in graph order, without repeats. */
    default List<String> components() {
        return targets().stream().map(Target::component).distinct().toList();
    }

    /** Its parameters by path, in creation order. */
    Map<String, Param> params();

    /** True while its weights are folded into the base weights (LoRA, DoRA and IA3 only). */
    boolean merged();

    /**
     * When it was merged, as an increasing sequence number ({@link Merges#next()}), or 0 while it
     * is not merged; merges that do not commute must be undone in reverse order.
     */
    default long mergeOrder() {
        return 0;
    }

    default String name() {
        return spec().name();
    }

    /** The per-layer hook; {@link Targets#modules} finds modules through it. */
    interface Delta extends LinearDelta {
        PeftModule module();
    }

    /** The per-encoder hook of prompt and prefix modules; {@link Targets#modules} finds modules through it. */
    interface Extension extends dev.floe.components.EncoderExtension {
        PeftModule module();
    }
}
