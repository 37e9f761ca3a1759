package dev.floe.train;

import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PathGlob;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which segments of a graph's forward pass are checkpointed: instead of keeping every activation
 * for the backward pass, a checkpointed segment keeps only its inputs (and its dropout masks, one
 * byte per element) and is recomputed, with a graph, when the backward pass reaches it. Gradients
 * are the same as without checkpointing (the same operations on the same values with the same
 * dropout masks); the cost is one more forward pass of each recomputed segment.
 *
 * <p>Segments are whole components ({@code head}) and the child modules a component lists in
 * {@link Component#checkpointSegments()} ({@code encoder/layer.3}, {@code encoder/block2}). They are
 * chosen by {@link PathGlob}s, as freeze rules are: {@code encoder/layer.*} checkpoints every
 * transformer layer. When a segment and one inside it both match, the outer one is the unit.
 *
 * <p>A segment without a trainable parameter and whose inputs need no gradient (a frozen layer
 * with nothing trainable before it) runs once, without a graph, and is never recomputed.
 *
 * <p>Made by {@link #of}; the trainer counts recomputations here ({@link #recomputations()}).
 * Not thread-safe.
 */
public final class GradientCheckpointing {

    private static final int NEAREST = 3;
    private static final GradientCheckpointing NONE = new GradientCheckpointing(List.of(), Map.of());

    private final List<String> globs;
    /** Checkpointed segment path to the parameters inside it. */
    private final Map<String, List<Param>> segments;
    private final Map<String, Long> recomputed = new LinkedHashMap<>();

    private GradientCheckpointing(List<String> globs, Map<String, List<Param>> segments) {
        this.globs = List.copyOf(globs);
        this.segments = Collections.unmodifiableMap(segments);
    }

    /**
     * No checkpointing: every activation is kept.
     *
     * @return the empty checkpointing
     */
    public static GradientCheckpointing none() {
        return NONE;
    }

    /**
     * Resolves globs against a graph's segments.
     *
     * @param graph the graph
     * @return the checkpointing
     * @param globs path globs such as {@code encoder/layer.*}; empty for none
     * @throws IllegalArgumentException naming a glob that matches no segment and the nearest segment
     *     paths, or a glob that does not compile
     */
    public static GradientCheckpointing of(ModelGraph graph, List<String> globs) {
        if (globs.isEmpty()) {
            return new GradientCheckpointing(List.of(), Map.of());
        }
        List<String> paths = segmentPaths(graph);
        Set<String> chosen = new LinkedHashSet<>();
        for (String text : globs) {
            PathGlob glob = PathGlob.compile(text);
            List<String> hits = paths.stream().filter(glob::matches).toList();
            if (hits.isEmpty()) {
                throw new IllegalArgumentException("checkpointing glob '" + text + "' matches no segment; nearest"
                        + " segments: " + PathGlob.nearest(glob.literalPrefix(), paths, NEAREST)
                        + "; segments are whole components and their layers (" + String.join(", ", paths) + ")");
            }
            chosen.addAll(hits);
        }
        Map<String, List<Param>> segments = new LinkedHashMap<>();
        for (String path : chosen) {
            if (path.contains("/") && chosen.contains(path.substring(0, path.indexOf('/')))) {
                continue; // the whole component is the unit
            }
            List<Param> inside = new ArrayList<>();
            for (Param p : graph.parameters().values()) {
                if (p.path().startsWith(path + "/")) {
                    inside.add(p);
                }
            }
            segments.put(path, List.copyOf(inside));
        }
        return new GradientCheckpointing(globs, segments);
    }

    /**
     * Every path that can be checkpointed, in execution order: each component, then its
     * {@link Component#checkpointSegments()} as {@code component/child}.
     *
     * @param graph the graph
     * @return the paths
     */
    public static List<String> segmentPaths(ModelGraph graph) {
        List<String> paths = new ArrayList<>();
        for (Component c : graph.components()) {
            paths.add(c.name());
            for (String child : c.checkpointSegments()) {
                paths.add(c.name() + "/" + child);
            }
        }
        return paths;
    }

    /**
     * The globs as given.
     *
     * @return the globs
     */
    public List<String> globs() {
        return globs;
    }

    /**
     * The checkpointed segment paths, in execution order.
     *
     * @return the paths
     */
    public Set<String> segments() {
        return segments.keySet();
    }

    /**
     * True when at least one segment is checkpointed.
     *
     * @return true when enabled
     */
    public boolean enabled() {
        return !segments.isEmpty();
    }

    /**
     * True when the module at {@code path} runs inside a checkpointed segment (or is one).
     *
     * @param path a module path
     * @return true when covered
     */
    public boolean covers(String path) {
        for (String s : segments.keySet()) {
            if (path.equals(s) || path.startsWith(s + "/")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Recomputations so far per segment path (segments never recomputed are absent).
     *
     * @return a new map from segment path to count
     */
    public Map<String, Long> recomputations() {
        return Collections.unmodifiableMap(recomputed);
    }

    boolean isSegment(String path) {
        return segments.containsKey(path);
    }

    /** True when a parameter inside the segment currently trains. */
    boolean trainsInside(String path) {
        for (Param p : segments.get(path)) {
            if (p.trainable()) {
                return true;
            }
        }
        return false;
    }

    void countRecomputation(String path) {
        recomputed.merge(path, 1L, Long::sum);
    }

    @Override
    public String toString() {
        return segments.isEmpty() ? "no checkpointing" : "checkpointing " + segments.keySet();
    }
}
