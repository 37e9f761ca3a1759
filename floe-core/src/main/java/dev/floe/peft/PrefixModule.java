package dev.floe.peft;

import ai.djl.ndarray.types.Shape;
import dev.floe.components.EncoderExtension;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** How prefix tuning works: trained keys and values {@code (P, H)} before each layer's own. */
final class PrefixModule extends EncoderModule<PrefixSpec> {

    /** Path segment between {@code <encoder>/layer.i/attention/self} and the module name. */
    static final String SEGMENT = "prefix";

    private PrefixModule(PrefixSpec spec, Set<String> active) {
        super(spec, active);
    }

    /** The parameters {@link #create} would make, by path, with their shapes. */
    static Map<String, long[]> plan(PrefixSpec spec, List<TransformerEncoder> encoders) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (TransformerEncoder enc : encoders) {
            long[] shape = {spec.length(), enc.config().hidden()};
            for (int i = 0; i < enc.config().layers(); i++) {
                String prefix = selfPath(enc, i) + "/" + SEGMENT + "/" + spec.name() + "/";
                shapes.put(prefix + "key", shape);
                shapes.put(prefix + "value", shape);
            }
        }
        return shapes;
    }

    private static String selfPath(TransformerEncoder enc, int layer) {
        return enc.name() + "/layer." + layer + "/attention/self";
    }

    /** Creates the prefixes of every layer and attaches them. */
    static PrefixModule create(ModelGraph graph, PrefixSpec spec, List<TransformerEncoder> encoders) {
        PrefixModule module = new PrefixModule(spec, graph.activeAdapters());
        String name = spec.name();
        for (TransformerEncoder enc : encoders) {
            Shape shape = new Shape(spec.length(), enc.config().hidden());
            List<Param[]> perLayer = new ArrayList<>();
            for (int i = 0; i < enc.config().layers(); i++) {
                ParamScope scope = graph.extend(enc.name()).child("layer." + i).child("attention").child("self")
                        .child(SEGMENT).child(name);
                Param key = scope.create("key", ParamKind.ADAPTER, shape, new Init.Normal(PrefixSpec.INIT_STD), name);
                Param value = scope.create("value", ParamKind.ADAPTER, shape, new Init.Normal(PrefixSpec.INIT_STD), name);
                module.params.put(key.path(), key);
                module.params.put(value.path(), value);
                module.layers.add(selfPath(enc, i));
                perLayer.add(new Param[] {key, value});
            }
            module.components.add(enc.name());
            enc.addExtension(new Extension(module, List.copyOf(perLayer)));
        }
        return module;
    }

    /** The prefixes of one encoder, {@code {key, value}} per layer. */
    private record Extension(PrefixModule module, List<Param[]> perLayer) implements PeftModule.Extension {

        @Override
        public String name() {
            return module.spec.name();
        }

        @Override
        public boolean active() {
            return module.active();
        }

        @Override
        public KeyValue prefix(ForwardContext context, int layer) {
            Param[] kv = perLayer.get(layer);
            return new KeyValue(kv[0].array(), kv[1].array()); // (P, H) each
        }
    }
}
