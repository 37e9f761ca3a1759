package dev.floe.peft;

import dev.floe.components.TransformerEncoder;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
import java.util.ArrayList;
import java.util.List;

/** Where prompt and prefix modules go: the transformer encoders whose component name matches a glob. */
final class Encoders {

    private Encoders() {}

    /**
     * The transformer encoders whose name matches the spec's target, in graph order.
     *
     * @throws IllegalArgumentException naming the target and the graph's transformer encoders when
     *     none matches
     */
    static List<TransformerEncoder> resolve(ModelGraph graph, PeftSpec spec) {
        PathGlob glob = PathGlob.compile(spec.target());
        List<TransformerEncoder> found = new ArrayList<>();
        List<String> all = new ArrayList<>();
        for (Component c : graph.components()) {
            if (c instanceof TransformerEncoder enc) {
                all.add(enc.name());
                if (glob.matches(enc.name())) {
                    found.add(enc);
                }
            }
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException(
                    spec.kind() + " '" + spec.name() + "': target '" + spec.target() + "' matches no transformer encoder; "
                            + (all.isEmpty() ? "the graph has none (prompt and prefix tuning need a transformer encoder)"
                                    : "the graph's transformer encoders are " + all + "; set target to one of them"));
        }
        return found;
    }
}
