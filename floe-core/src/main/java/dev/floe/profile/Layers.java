package dev.floe.profile;

import ai.djl.ndarray.NDArray;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declared layers of a graph, in order: for each component its {@link Component#layerOrder()}
 * as {@code <component>/<layer>}, or the component itself when it declares none. A parameter
 * belongs to the layer whose path is the longest prefix of its own; parameters under no declared
 * layer of their component belong to an extra layer named after the component.
 */
final class Layers {

    /** One layer's identity and what the plan says about it. */
    record Info(String path, String component, String state, long params, long trainableParams, double lrScale,
            double weightRms) {}

    private final List<Info> infos;
    private final Map<String, Integer> byPath;
    private final Map<Param, Integer> paramLayer;
    private final Map<String, List<Integer>> byComponent;

    private Layers(List<Info> infos, Map<String, Integer> byPath, Map<Param, Integer> paramLayer,
            Map<String, List<Integer>> byComponent) {
        this.infos = infos;
        this.byPath = byPath;
        this.paramLayer = paramLayer;
        this.byComponent = byComponent;
    }

    static Layers of(ModelGraph graph, FreezePlan plan) {
        List<String> paths = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        Map<String, List<Integer>> byComponent = new LinkedHashMap<>();
        Map<Param, Integer> paramLayer = new LinkedHashMap<>();
        for (Component c : graph.components()) {
            List<Integer> mine = new ArrayList<>();
            List<String> order = c.layerOrder();
            for (String l : order) {
                mine.add(paths.size());
                paths.add(c.name() + "/" + l);
                owners.add(c.name());
            }
            int rest = -1;
            for (Param p : c.parameters().values()) {
                if (p.kind().isBuffer()) {
                    continue;
                }
                int best = -1;
                int bestLength = -1;
                for (int i : mine) {
                    String prefix = paths.get(i) + "/";
                    if (p.path().startsWith(prefix) && prefix.length() > bestLength) {
                        best = i;
                        bestLength = prefix.length();
                    }
                }
                if (best < 0) {
                    if (rest < 0) {
                        rest = paths.size();
                        paths.add(c.name());
                        owners.add(c.name());
                    }
                    best = rest;
                }
                paramLayer.put(p, best);
            }
            if (rest >= 0) {
                mine.add(0, rest); // not a declared layer: listed before the component's layers
            }
            if (mine.isEmpty()) {
                mine.add(paths.size());
                paths.add(c.name());
                owners.add(c.name());
            }
            byComponent.put(c.name(), mine);
        }
        List<Info> infos = new ArrayList<>();
        Map<String, Integer> byPath = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            long params = 0;
            long trainable = 0;
            double lrScale = Double.NaN;
            double squares = 0;
            for (Map.Entry<Param, Integer> e : paramLayer.entrySet()) {
                if (e.getValue() != i) {
                    continue;
                }
                Param p = e.getKey();
                params += p.size();
                FreezePlan.Entry entry = plan.entry(p.path());
                if (entry.trains()) {
                    trainable += p.size();
                    if (Double.isNaN(lrScale)) {
                        lrScale = entry.lrScale();
                    }
                }
                try (NDArray sq = p.array().square(); NDArray sum = sq.sum()) {
                    squares += sum.getFloat();
                }
            }
            String state = params == 0 ? "none" : trainable == params ? "train" : trainable == 0 ? "frozen" : "mixed";
            infos.add(new Info(paths.get(i), owners.get(i), state, params, trainable,
                    Double.isNaN(lrScale) ? 1.0 : lrScale, params == 0 ? 0 : Math.sqrt(squares / params)));
            byPath.put(paths.get(i), i);
        }
        return new Layers(List.copyOf(infos), byPath, paramLayer, byComponent);
    }

    int size() {
        return infos.size();
    }

    Info info(int i) {
        return infos.get(i);
    }

    /** The index of the layer with this path, or null. */
    Integer index(String path) {
        return byPath.get(path);
    }

    /** Each parameter that takes gradients and the index of its layer. */
    Map<Param, Integer> paramLayer() {
        return paramLayer;
    }

    /** Layer indices of a component, bottom to top. */
    List<Integer> ofComponent(String component) {
        return byComponent.get(component);
    }

    /** Component names in graph order. */
    List<String> components() {
        return List.copyOf(byComponent.keySet());
    }
}
