package dev.floe.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.config.ComponentConfig;
import dev.floe.config.ComponentSource;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import java.nio.file.Files;
import java.util.Map;

/**
 * Resolves {@code from: "registry:NAME@TAG"} (or {@code @VERSION}) config entries against a registry:
 * the entry gets the version's type and constructor config (renamed to the entry's {@code name}) and,
 * once the graph is built, the version's weights, checked by hash on the way.
 *
 * <p>The registry is opened on the first reference, so a config without {@code from:} entries never
 * touches it; a registry folder that does not exist is refused rather than created. Close it after
 * the graph is built.
 */
public final class RegistrySource implements ComponentSource, AutoCloseable {

    /** The scheme of the {@code from} values it resolves. */
    public static final String SCHEME = "registry";

    private final RegistryLocation location;
    private Registry registry;

    /**
     * A source reading the registry at {@code location} when first asked.
     *
     * @param location where the registry is
     */
    public RegistrySource(RegistryLocation location) {
        this.location = location;
    }

    /**
     * Where the registry is.
     *
     * @return the location
     */
    public RegistryLocation location() {
        return location;
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    /**
     * @throws IllegalArgumentException when the registry cannot be opened (naming its location and
     *     why), the reference is malformed, or the name, version or tag does not exist (listing those
     *     that do)
     */
    @Override
    public Resolved resolve(String ref, String name) {
        Registry r = registry();
        ComponentVersion v;
        try {
            v = r.resolve(ref);
        } catch (RegistryException e) {
            throw new IllegalArgumentException("registry " + location.display() + ": " + e.getMessage(), e);
        }
        ObjectNode config = ((ObjectNode) v.config()).deepCopy();
        config.put("name", name);
        ComponentConfig cc = Registry.parseComponent(config);
        String exact = v.ref().toString();
        String inside = v.component();
        return new Resolved(ref, v.name(), v.version(), v.blobSha256(), v.weightsHash(), cc,
                graph -> copyWeights(r, exact, inside, name, graph));
    }

    private static void copyWeights(Registry r, String exact, String inside, String name, ModelGraph graph) {
        try (LoadedComponent loaded = r.load(exact)) {
            Map<String, Param> targets = graph.parameters();
            for (Param p : loaded.component().parameters().values()) {
                String path = name + p.path().substring(inside.length());
                Param target = targets.get(path);
                if (target == null) {
                    throw new IllegalArgumentException(exact + " has parameter " + p.path() + " but component " + name
                            + " has no " + path);
                }
                target.load(p.toFloatArray(), p.shape().getShape());
            }
        } catch (RegistryException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private Registry registry() {
        if (registry == null) {
            if (location.folder() != null && !Files.isDirectory(location.folder())) {
                throw new IllegalArgumentException("registry " + location.display() + " does not exist; publish"
                        + " components with floe registry publish, or name another registry with --registry DIR or "
                        + RegistryLocation.ENV);
            }
            try {
                registry = Registry.open(location);
            } catch (RegistryException e) {
                throw new IllegalArgumentException("cannot open registry " + location.display() + ": " + e.getMessage(),
                        e);
            }
        }
        return registry;
    }

    /** Closes the registry if it was opened. */
    @Override
    public void close() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }
}
