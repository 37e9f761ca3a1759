package dev.floe.export;

import dev.floe.config.Normalization;
import dev.floe.graph.Component;
import dev.floe.graph.Dim;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.PortSpec;
import dev.floe.graph.TensorSpec;
import dev.floe.peft.Adapters;
import dev.floe.torchscript.TorchScriptComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a built {@link ModelGraph} into an ONNX model that computes the graph's outputs in
 * inference mode from its inputs: one set of nodes per component (see {@link ComponentExporter}),
 * the weights as initializers, the graph's input and output names and shapes kept (symbolic
 * dimensions such as {@code batch} stay dynamic).
 *
 * <p>Exportable component types: {@code conv_encoder}, {@code linear_head}, {@code mlp_head},
 * {@code mlp}, {@code transformer} and {@code minilm}. Active LoRA, DoRA and IA3 modules are merged
 * into their layers' weights first (this changes the graph's weights in place, not its outputs);
 * active bottleneck adapters become nodes of their own.
 */
public final class OnnxExport {

    private static final Map<Class<? extends Component>, ComponentExporter<?>> EXPORTERS = BuiltInExporters.all();

    private OnnxExport() {}

    /**
     * The ONNX model bytes of {@code graph}.
     *
     * @param graph the graph to export; read, not changed
     * @return the serialised ONNX model
     * @param normalization when not null, the per-feature {@code (x - shift) / scale} the run applied
     *     to its inputs, added as {@code Sub} and {@code Div} nodes right after the (float) graph input,
     *     so the model takes raw inputs
     * @param producerVersion written as the model's producer version
     * @throws ExportException naming the component and its type when a component cannot be exported,
     *     or when the normalisation does not fit the input's shape
     */
    public static byte[] toOnnx(ModelGraph graph, Normalization normalization, String producerVersion) {
        return toOnnx(graph, normalization, producerVersion, Map.of());
    }

    /**
     * As {@link #toOnnx(ModelGraph, Normalization, String)}, with exporters for further component
     * classes (exact class match; an entry for a built-in class replaces the built-in exporter).
     *
     * @param graph the graph to export; read, not changed
     * @param normalization the input normalisation to add as nodes, or null
     * @param producerVersion written as the model's producer version
     * @param extra exporters by component class
     * @return the serialised ONNX model
     */
    public static byte[] toOnnx(ModelGraph graph, Normalization normalization, String producerVersion,
            Map<Class<? extends Component>, ComponentExporter<?>> extra) {
        Map<Class<? extends Component>, ComponentExporter<?>> exporters = new HashMap<>(EXPORTERS);
        exporters.putAll(extra);
        checkExportable(graph, exporters);
        WeightsExport.mergeLora(graph);
        OnnxGraphBuilder g = new OnnxGraphBuilder();
        g.adapters(Adapters.attached(graph));
        Map<String, String> values = new HashMap<>(); // "component.port" or graph input name -> ONNX value
        for (Map.Entry<String, TensorSpec> in : graph.inputs().entrySet()) {
            String v = g.input(in.getKey(), in.getValue());
            if (normalization != null && in.getValue().type() == ElementType.FLOAT32) {
                v = normalize(g, in.getKey(), in.getValue(), v, normalization);
            }
            values.put(in.getKey(), v);
        }
        for (Component c : graph.components()) {
            Map<String, String> args = new HashMap<>();
            for (ModelGraph.Wire w : graph.wires()) {
                if (w.to().component().equals(c.name())) {
                    args.put(w.to().port(), values.get(w.from().toString()));
                }
            }
            Map<String, String> produced = emit(exporters.get(c.getClass()), c, args, g);
            for (PortSpec out : c.outputs()) {
                String v = produced.get(out.name());
                if (v == null) {
                    throw new IllegalStateException("the exporter of component " + c.name() + " gave no value for port "
                            + out.name());
                }
                values.put(c.name() + "." + out.name(), v);
            }
        }
        for (Map.Entry<String, ModelGraph.Endpoint> out : graph.outputs().entrySet()) {
            ModelGraph.Endpoint e = out.getValue();
            TensorSpec spec = graph.component(e.component()).output(e.port()).spec();
            g.output(out.getKey(), values.get(e.toString()), spec);
        }
        return g.toModel("floe", producerVersion);
    }

    /** The config types (model.components[].type) that export, as users write them. */
    public static final String EXPORTABLE_TYPES = "conv_encoder, linear_head, mlp_head, mlp, transformer, minilm";

    /**
     * Checks that every component of {@code graph} has an exporter.
     *
     * @param graph the graph to check
     * @throws ExportException naming the first component that has none, its type and the exportable types
     */
    public static void checkExportable(ModelGraph graph) {
        checkExportable(graph, EXPORTERS);
    }

    private static void checkExportable(ModelGraph graph, Map<Class<? extends Component>, ComponentExporter<?>> exporters) {
        for (Component c : graph.components()) {
            if (!exporters.containsKey(c.getClass())) {
                String type = c instanceof TorchScriptComponent ? "type torchscript" : "Java type " + c.getClass().getName();
                String why = c instanceof TorchScriptComponent
                        ? "Floe cannot see the operations inside a TorchScript model; export that model to ONNX from"
                                + " PyTorch (torch.onnx.export) instead"
                        : "Floe has no ONNX exporter for it";
                throw new ExportException("component " + c.name() + " (" + type + ") cannot be exported to ONNX: " + why
                        + "; exportable types are " + EXPORTABLE_TYPES);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> emit(ComponentExporter<?> exporter, Component c, Map<String, String> args,
            OnnxGraphBuilder g) {
        return ((ComponentExporter<Component>) exporter).emit(c, args, g);
    }

    private static String normalize(OnnxGraphBuilder g, String input, TensorSpec spec, String x, Normalization n) {
        List<Long> dims = new ArrayList<>(List.of(1L));
        long features = 1;
        for (Dim d : spec.dims().subList(1, spec.dims().size())) {
            if (!(d instanceof Dim.Fixed f)) {
                throw new ExportException("graph input " + input + " " + spec + " has a symbolic dimension after the"
                        + " batch; the run's normalisation needs fixed feature dimensions");
            }
            dims.add(f.size());
            features *= f.size();
        }
        if (features != n.shift().length) {
            throw new ExportException("the run's normalisation has " + n.shift().length + " features, but graph input "
                    + input + " " + spec + " has " + features + " per example");
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        String shifted = g.node("Sub", input + "/normalize/sub", List.of(x, g.constant(input + "/normalize/shift", shape, n.shift())));
        return g.node("Div", input + "/normalize", List.of(shifted, g.constant(input + "/normalize/scale", shape, n.scale())));
    }
}
