package dev.floe.text;

import dev.floe.components.TransformerEncoder;
import dev.floe.nn.Param;
import dev.floe.onnx.OnnxDataType;
import dev.floe.onnx.OnnxModel;
import dev.floe.onnx.OnnxNode;
import dev.floe.onnx.OnnxTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Loads the weights of a Hugging Face BERT model exported to ONNX into a built
 * {@link TransformerEncoder}.
 *
 * <p>Initializers named as in the PyTorch checkpoint ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.output.LayerNorm.bias}, optionally prefixed {@code bert.}) map to
 * parameter paths by name ({@code <encoder>/embeddings/word_embeddings/weight},
 * {@code <encoder>/layer.0/output/LayerNorm/bias}). Dense weights that the exporter renamed
 * ({@code onnx::MatMul_787}) are found through the graph: such an initializer is the second input
 * of a {@code MatMul} node whose output feeds an {@code Add} with a named bias
 * ({@code encoder.layer.0.attention.self.query.bias}); the bias names the layer. ONNX stores those
 * matrices as {@code (in, out)}; they are transposed to {@link dev.floe.nn.Linear}'s
 * {@code (out, in)}. Non-float initializers (such as {@code embeddings.position_ids}) are not weights
 * and are ignored.
 *
 * <p>The import is all-or-nothing: every parameter of the encoder must receive exactly one
 * initializer, every float initializer must find a parameter, and every shape must match, before
 * any value is written.
 */
public final class BertImport {

    private static final String BIAS_SUFFIX = ".bias";

    private BertImport() {}

    /** One planned write: which initializer fills which parameter, and whether it is transposed. */
    private record Assignment(Param param, OnnxTensor source, boolean transpose) {}

    /**
     * Loads every parameter of {@code encoder} from {@code model}, in place.
     *
     * @param encoder the built encoder to load into
     * @param model the ONNX export whose initializers hold the weights
     * @throws IllegalStateException if the encoder is not part of a built graph yet
     * @throws IllegalArgumentException listing the problems when a parameter would be left
     *     unassigned or assigned twice, an initializer maps to no parameter, a MatMul weight cannot be
     *     traced to a named bias, or a shape differs; nothing is loaded then
     */
    public static void load(TransformerEncoder encoder, OnnxModel model) {
        Map<String, Param> params = encoder.parameters();
        if (params.isEmpty()) {
            throw new IllegalStateException(
                    "encoder " + encoder.name() + " has no parameters yet; add it to a ModelGraph and build the"
                            + " graph before loading weights");
        }
        String prefix = encoder.name() + "/";
        Map<String, String> matMulLayer = traceMatMulWeights(model);
        Map<String, Assignment> plan = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (OnnxTensor t : model.initializers().values()) {
            if (t.dataType() != OnnxDataType.FLOAT) {
                continue;
            }
            boolean traced = matMulLayer.containsKey(t.name());
            String path;
            if (traced) {
                String module = matMulLayer.get(t.name());
                if (module == null) {
                    problems.add("initializer " + t.name() + " is the weight of a MatMul whose output feeds no Add"
                            + " with a named bias, so its layer is unknown");
                    continue;
                }
                path = prefix + toPath(module) + "/weight";
            } else {
                path = prefix + toPath(t.name());
            }
            Param p = params.get(path);
            if (p == null) {
                problems.add("initializer " + t.name() + " maps to " + path + ", which the encoder does not have");
                continue;
            }
            long[] dims = t.dims();
            long[] expected = p.shape().getShape();
            long[] found = traced && dims.length == 2 ? new long[] {dims[1], dims[0]} : dims;
            if (!Arrays.equals(found, expected)) {
                problems.add("initializer " + t.name() + " " + Arrays.toString(dims)
                        + (traced ? " (in, out), transposed to " + Arrays.toString(found) : "")
                        + " does not fit " + path + " " + Arrays.toString(expected));
                continue;
            }
            Assignment prior = plan.put(path, new Assignment(p, t, traced));
            if (prior != null) {
                problems.add(path + " is assigned twice, from " + prior.source().name() + " and from " + t.name());
            }
        }
        TreeSet<String> unassigned = new TreeSet<>(params.keySet());
        unassigned.removeAll(plan.keySet());
        if (!unassigned.isEmpty()) {
            problems.add(unassigned.size() + " parameters receive no initializer: " + unassigned);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "cannot load " + model.source() + " into encoder " + encoder.name() + " ("
                            + encoder.config() + "): " + String.join("; ", problems)
                            + "; check that the encoder's sizes match the exported model and that the export is a"
                            + " plain BERT model; nothing was loaded");
        }
        for (Assignment a : plan.values()) {
            float[] values = a.source().toFloats();
            long[] dims = a.source().dims();
            if (a.transpose()) {
                values = transpose(values, (int) dims[0], (int) dims[1]);
                dims = new long[] {dims[1], dims[0]};
            }
            a.param().load(values, dims);
        }
    }

    /**
     * For every float initializer that is the second input of a MatMul: the checkpoint module name
     * of its layer (the bias name without {@code .bias}), or null when no Add with a named bias reads
     * the MatMul's output.
     */
    private static Map<String, String> traceMatMulWeights(OnnxModel model) {
        Map<String, String> out = new LinkedHashMap<>();
        for (OnnxNode node : model.nodes()) {
            if (!node.opType().equals("MatMul") || node.inputs().size() != 2 || node.outputs().isEmpty()) {
                continue;
            }
            OnnxTensor weight = model.initializers().get(node.inputs().get(1));
            if (weight == null || weight.dataType() != OnnxDataType.FLOAT) {
                continue;
            }
            String module = null;
            for (OnnxNode add : model.consumers(node.outputs().get(0))) {
                if (!add.opType().equals("Add")) {
                    continue;
                }
                for (String in : add.inputs()) {
                    if (in.endsWith(BIAS_SUFFIX) && model.initializers().containsKey(in)) {
                        module = in.substring(0, in.length() - BIAS_SUFFIX.length());
                    }
                }
            }
            String prior = out.putIfAbsent(weight.name(), module);
            if (prior != null && !prior.equals(module)) {
                // one matrix shared by two layers cannot fill two separate parameters faithfully
                out.put(weight.name(), null);
            }
        }
        return out;
    }

    /**
     * {@code encoder.layer.0.attention.self.query.bias} to {@code layer.0/attention/self/query/bias}:
     * drops a leading {@code bert.} and {@code encoder.}, keeps {@code layer.N} together.
     */
    static String toPath(String name) {
        String n = name.startsWith("bert.") ? name.substring("bert.".length()) : name;
        n = n.startsWith("encoder.") ? n.substring("encoder.".length()) : n;
        String[] parts = n.split("\\.");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(parts[i]);
            if (parts[i].equals("layer") && i + 1 < parts.length && parts[i + 1].matches("\\d+")) {
                sb.append('.').append(parts[++i]);
            }
        }
        return sb.toString();
    }

    /** Row-major {@code (rows, cols)} to {@code (cols, rows)}. */
    static float[] transpose(float[] values, int rows, int cols) {
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = values[r * cols + c];
            }
        }
        return out;
    }
}
