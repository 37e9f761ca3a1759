package dev.floe.export;

import dev.floe.graph.Component;
import java.util.Map;

/**
 * Emits the ONNX nodes that compute one component type's forward pass in inference mode
 * (dropout off, batch norm on its running statistics). Floe's built-in component types have one
 * each; give one for a component type of your own to
 * {@link OnnxExport#toOnnx(dev.floe.graph.ModelGraph, dev.floe.config.Normalization, String, Map)}.
 *
 * @param <C> the component type
 */
@FunctionalInterface
public interface ComponentExporter<C extends Component> {

    /**
     * Adds the component's nodes to {@code graph}.
     *
     * @param component the built component, with its current weights
     * @param inputs ONNX value name for each of the component's input ports
     * @param graph the graph being built
     * @return ONNX value name for each of the component's output ports
     * @throws ExportException when this instance cannot be exported (e.g. an unmerged extra on one of its layers)
     */
    Map<String, String> emit(C component, Map<String, String> inputs, OnnxGraphBuilder graph);
}
