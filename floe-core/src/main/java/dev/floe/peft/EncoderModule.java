package dev.floe.peft;

import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What prompt and prefix modules share: they attach to transformer encoders, not to Linear layers
 * (so they have no {@link #targets()}), and cannot be merged.
 *
 * @param <S> the module's spec type
 */
abstract sealed class EncoderModule<S extends PeftSpec> implements PeftModule permits PromptModule, PrefixModule {

    final S spec;
    /** The graph's active module names (shared, live). */
    final Set<String> active;
    final List<String> layers = new ArrayList<>();
    final List<String> components = new ArrayList<>();
    final Map<String, Param> params = new LinkedHashMap<>();

    EncoderModule(S spec, Set<String> active) {
        this.spec = spec;
        this.active = active;
    }

    @Override
    public S spec() {
        return spec;
    }

    @Override
    public List<Target> targets() {
        return List.of();
    }

    @Override
    public List<String> layers() {
        return Collections.unmodifiableList(layers);
    }

    @Override
    public List<String> components() {
        return Collections.unmodifiableList(components);
    }

    @Override
    public Map<String, Param> params() {
        return Collections.unmodifiableMap(params);
    }

    @Override
    public boolean merged() {
        return false;
    }

    /** Whether it takes part in forward passes. */
    boolean active() {
        return active.contains(spec.name());
    }
}
