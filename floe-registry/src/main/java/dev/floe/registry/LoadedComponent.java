package dev.floe.registry;

import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;

/**
 * A component built from a registry version with that version's weights loaded and checked by hash.
 *
 * <p>It lives in a one-component graph whose inputs and outputs are named after its ports; the
 * graph owns the native memory until {@link #close()}.
 */
public final class LoadedComponent implements AutoCloseable {

    private final ComponentVersion version;
    private final ModelGraph graph;
    private final Component component;

    LoadedComponent(ComponentVersion version, ModelGraph graph, Component component) {
        this.version = version;
        this.graph = graph;
        this.component = component;
    }

    /**
     * The version it was loaded from.
     *
     * @return the version
     */
    public ComponentVersion version() {
        return version;
    }

    /**
     * The built component with the version's weights.
     *
     * @return the component, owned by {@link #graph()}
     */
    public Component component() {
        return component;
    }

    /**
     * The one-component graph that holds it: graph inputs and outputs are named after its ports.
     *
     * @return the graph; close it (or this) to free the weights
     */
    public ModelGraph graph() {
        return graph;
    }

    /** Releases the weights' native memory; the component is unusable afterwards. */
    @Override
    public void close() {
        graph.close();
    }
}
