package dev.floe.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.Dim;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attributions of one output logit to the input features of a graph with one float input (images,
 * feature vectors): gradient × input, and integrated gradients (Sundararajan et al., 2017) along
 * the straight path from a baseline, whose values sum to the logit's change from the baseline
 * (completeness) up to the error of the {@code steps}-point midpoint rule.
 *
 * <p>Runs in inference mode (dropout off, BatchNorm on its running statistics) and changes no
 * weight: parameters that train are taken out of autograd for the call and put back after. Uses
 * the engine's one gradient collector, so it must not run while a trainer does.
 */
public final class Attributions {

    /** Path points per forward pass. */
    private static final int CHUNK = 32;

    private Attributions() {}

    /**
     * The attribution of one example.
     *
     * @param values one per input feature, in the input's row-major order
     * @param target the output class explained
     * @param output the target logit at the input
     * @param baselineOutput the target logit at the baseline (integrated gradients), or NaN
     */
    public record Attribution(float[] values, int target, float output, float baselineOutput) {
        /**
         * Sum of the attributions.
         *
         * @return the sum over all features
         */
        public double sum() {
            double s = 0;
            for (float v : values) {
                s += v;
            }
            return s;
        }
    }

    /**
     * Gradient of the target logit times the input, per feature.
     *
     * @param graph the graph; its weights are not changed
     * @param output the graph output holding the logits
     * @return one attribution per example
     * @param examples one row per example, each the input's features (an example of the graph input
     *     without its batch dimension, flattened)
     * @param targets the class to explain per example
     */
    public static List<Attribution> gradientTimesInput(ModelGraph graph, String output, float[][] examples, int[] targets) {
        Target t = new Target(graph, output, examples, targets);
        List<Attribution> out = new ArrayList<>();
        for (int i = 0; i < examples.length; i++) {
            float[][] g = t.gradients(new float[][] {examples[i]}, targets[i]);
            float[] values = new float[examples[i].length];
            for (int j = 0; j < values.length; j++) {
                values[j] = g[0][j] * examples[i][j];
            }
            out.add(new Attribution(values, targets[i], t.lastOutputs[0], Float.NaN));
        }
        return out;
    }

    /**
     * Integrated gradients from {@code baseline} to each example: {@code (x - x') · mean over k of
     * ∂F/∂x at x' + (k + 0.5)/steps · (x - x')}.
     *
     * @param graph the graph; its weights are not changed
     * @param output the graph output holding the logits
     * @param examples one row of input features per example
     * @param targets the class to explain per example
     * @return one attribution per example
     * @param baseline one row of features (for example all zeros: a black image)
     * @param steps path points per example, ≥ 1; more give a sum closer to the logit difference
     */
    public static List<Attribution> integratedGradients(
            ModelGraph graph, String output, float[][] examples, float[] baseline, int[] targets, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("integrated gradients need at least 1 step, found " + steps);
        }
        Target t = new Target(graph, output, examples, targets);
        if (baseline.length != t.features) {
            throw new IllegalArgumentException("the baseline has " + baseline.length + " features but the input "
                    + t.input + " takes " + t.features);
        }
        List<Attribution> out = new ArrayList<>();
        for (int i = 0; i < examples.length; i++) {
            float[] x = examples[i];
            double[] mean = new double[x.length];
            for (int from = 0; from < steps; from += CHUNK) {
                int n = Math.min(CHUNK, steps - from);
                float[][] points = new float[n][x.length];
                for (int k = 0; k < n; k++) {
                    float alpha = (float) ((from + k + 0.5) / steps);
                    for (int j = 0; j < x.length; j++) {
                        points[k][j] = baseline[j] + alpha * (x[j] - baseline[j]);
                    }
                }
                float[][] g = t.gradients(points, targets[i]);
                for (float[] row : g) {
                    for (int j = 0; j < x.length; j++) {
                        mean[j] += row[j] / (double) steps;
                    }
                }
            }
            float[] values = new float[x.length];
            for (int j = 0; j < x.length; j++) {
                values[j] = (float) ((x[j] - baseline[j]) * mean[j]);
            }
            float at = t.logits(new float[][] {x}, targets[i])[0];
            float base = t.logits(new float[][] {baseline}, targets[i])[0];
            out.add(new Attribution(values, targets[i], at, base));
        }
        return out;
    }

    /**
     * The output's values for each example (one inference pass), e.g. logits {@code [example][class]}.
     *
     * @param graph the graph; its weights are not changed
     * @param output the graph output to read
     * @return a new array of output rows, one per example
     * @param examples one row of input features per example, as for the attribution methods
     */
    public static float[][] outputs(ModelGraph graph, String output, float[][] examples) {
        Target t = new Target(graph, output, examples, new int[examples.length]);
        try (NDManager m = graph.manager().newSubManager()) {
            NDArray y = graph.forward(Map.of(t.input, t.batch(m, examples)), ForwardContext.INFERENCE, List.of(output))
                    .get(output); // (B, C)
            float[] flat = y.toFloatArray();
            int width = examples.length == 0 ? 0 : flat.length / examples.length;
            float[][] out = new float[examples.length][width];
            for (int i = 0; i < examples.length; i++) {
                System.arraycopy(flat, i * width, out[i], 0, width);
            }
            return out;
        }
    }

    /**
     * Integrated gradients at a segment's output instead of a graph input, for models whose inputs
     * are not continuous (token ids): the segment's output {@code E} for the example (for a text model
     * {@code encoder/embeddings}, {@code (1, T, H)}) is replaced along the straight path from its output
     * {@code E'} on {@code baselineInputs} (for a text, the same mask with every id the padding id), and
     * {@code (E - E') · mean gradient} is attributed to each element. The values sum to the target
     * logit's change between the two (completeness); {@link SegmentAttribution#perPosition} sums them
     * per token. (An all-zero baseline does not work after a LayerNorm: the output is scale-invariant,
     * so the whole change happens at zero, between the path's points.)
     *
     * @param graph the graph; its weights are not changed
     * @param output the graph output holding the logits
     * @param target the class to explain
     * @param segment a one-output segment path the graph runs through {@link ForwardContext#segment},
     *     e.g. {@code encoder/embeddings}
     * @param inputs every graph input for one example, as int64 rows ({@code input_ids}, {@code attention_mask})
     * @param baselineInputs the same inputs for the baseline
     * @param steps path points, ≥ 1
     * @return the attribution; {@code values} are in the segment output's row-major order, its shape
     *     in {@code shape}
     * @throws IllegalArgumentException when the pass does not run the segment, the segment has several
     *     outputs, or the inputs hold more than one example
     */
    public static SegmentAttribution integratedGradientsAt(ModelGraph graph, String segment, String output,
            Map<String, long[][]> inputs, Map<String, long[][]> baselineInputs, int target, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("integrated gradients need at least 1 step, found " + steps);
        }
        for (Map<String, long[][]> in : List.of(inputs, baselineInputs)) {
            for (Map.Entry<String, long[][]> e : in.entrySet()) {
                if (e.getValue().length != 1) {
                    throw new IllegalArgumentException("input " + e.getKey() + " holds " + e.getValue().length
                            + " examples; integrated gradients at a segment explain one example at a time");
                }
            }
        }
        List<Param> training = untrain(graph);
        try {
            Replacing probe = new Replacing(segment, null, 0, null);
            float at = run(graph, output, inputs, 1, probe, target, false)[0];
            Replacing baseProbe = new Replacing(segment, null, 0, null);
            run(graph, output, baselineInputs, 1, baseProbe, target, false);
            if (probe.captured == null) {
                throw new IllegalArgumentException("the forward pass did not run a segment '" + segment + "'; segments"
                        + " are components and the layers they list (e.g. encoder/embeddings, encoder/layer.0)");
            }
            float[] e = probe.captured;
            float[] b = baseProbe.captured;
            long[] shape = probe.shape;
            if (!java.util.Arrays.equals(shape, baseProbe.shape)) {
                throw new IllegalArgumentException("segment " + segment + " gives shape " + java.util.Arrays.toString(shape)
                        + " for the inputs but " + java.util.Arrays.toString(baseProbe.shape) + " for the baseline;"
                        + " give baseline inputs of the same length");
            }
            float base = run(graph, output, inputs, 1, new Replacing(segment, b, 1, shape), target, false)[0];
            double[] mean = new double[e.length];
            for (int from = 0; from < steps; from += CHUNK) {
                int n = Math.min(CHUNK, steps - from);
                float[] points = new float[n * e.length];
                for (int k = 0; k < n; k++) {
                    float alpha = (float) ((from + k + 0.5) / steps);
                    for (int j = 0; j < e.length; j++) {
                        points[k * e.length + j] = b[j] + alpha * (e[j] - b[j]);
                    }
                }
                Replacing path = new Replacing(segment, points, n, shape);
                run(graph, output, inputs, n, path, target, true);
                for (int k = 0; k < n; k++) {
                    for (int j = 0; j < e.length; j++) {
                        mean[j] += path.gradient[k * e.length + j] / (double) steps;
                    }
                }
            }
            float[] values = new float[e.length];
            for (int j = 0; j < e.length; j++) {
                values[j] = (float) ((e[j] - b[j]) * mean[j]);
            }
            return new SegmentAttribution(segment, shape, new Attribution(values, target, at, base));
        } finally {
            training.forEach(p -> p.setTrainable(true));
        }
    }

    /**
     * An attribution over a segment's output.
     *
     * @param segment the segment path
     * @param shape the segment output's shape for one example, e.g. {@code (1, T, H)}
     * @param attribution its values, target and logits
     */
    public record SegmentAttribution(String segment, long[] shape, Attribution attribution) {
        /**
         * Sums over the last dimension: one value per position (per token for {@code (1, T, H)}).
         *
         * @return a new array of sums, one per position
         */
        public float[] perPosition() {
            int width = (int) shape[shape.length - 1];
            float[] v = attribution.values();
            float[] out = new float[v.length / width];
            for (int i = 0; i < out.length; i++) {
                double sum = 0;
                for (int j = 0; j < width; j++) {
                    sum += v[i * width + j];
                }
                out[i] = (float) sum;
            }
            return out;
        }
    }

    private static List<Param> untrain(ModelGraph graph) {
        List<Param> training = new ArrayList<>();
        for (Param p : graph.parameters().values()) {
            if (p.trainable()) {
                training.add(p);
                p.setTrainable(false);
            }
        }
        return training;
    }

    /** Runs {@code rows} copies of the example; returns the target logits; with {@code backward}, their gradient reaches {@code replacing}. */
    private static float[] run(ModelGraph graph, String output, Map<String, long[][]> inputs, int rows,
            Replacing replacing, int target, boolean backward) {
        try (NDManager m = graph.manager().newSubManager()) {
            Map<String, NDArray> arrays = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, long[][]> e : inputs.entrySet()) {
                long[][] copies = new long[rows][];
                java.util.Arrays.fill(copies, e.getValue()[0]);
                arrays.put(e.getKey(), FloeEngine.owned(m.create(copies)));
            }
            replacing.manager = m;
            if (!backward) {
                NDArray y = graph.forward(arrays, replacing, List.of(output)).get(output);
                return Target.pick(y, target).toFloatArray();
            }
            try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                NDArray y = graph.forward(arrays, replacing, List.of(output)).get(output);
                NDArray picked = Target.pick(y, target); // (rows)
                gc.backward(picked.sum());
                replacing.gradient = replacing.leaf.getGradient().toFloatArray();
                return picked.toFloatArray();
            }
        }
    }

    /** Inference, with one segment's output captured ({@code values == null}) or replaced by {@code values}. */
    private static final class Replacing implements ForwardContext {
        final String segment;
        final float[] values;
        final int rows;
        long[] shape;
        NDManager manager;
        float[] captured;
        NDArray leaf;
        float[] gradient;

        Replacing(String segment, float[] values, int rows, long[] shape) {
            this.segment = segment;
            this.values = values;
            this.rows = rows;
            this.shape = shape;
        }

        @Override
        public boolean training(String modulePath) {
            return false;
        }

        @Override
        public Map<String, NDArray> segment(String path, Map<String, NDArray> inputs,
                java.util.function.UnaryOperator<Map<String, NDArray>> body) {
            Map<String, NDArray> out = body.apply(inputs);
            if (!path.equals(segment)) {
                return out;
            }
            if (out.size() != 1) {
                throw new IllegalArgumentException("segment " + segment + " has outputs " + out.keySet()
                        + "; integrated gradients at a segment need one output");
            }
            Map.Entry<String, NDArray> only = out.entrySet().iterator().next();
            if (values == null) {
                captured = only.getValue().toFloatArray();
                shape = only.getValue().getShape().getShape();
                return out;
            }
            long[] batchShape = shape.clone();
            batchShape[0] = rows;
            leaf = FloeEngine.owned(manager.create(values, new Shape(batchShape)));
            leaf.setRequiresGradient(true);
            return Map.of(only.getKey(), leaf);
        }
    }

    /** The graph's single float input and one output, with the checks and passes both methods share. */
    private static final class Target {
        final ModelGraph graph;
        final String input;
        final String output;
        final long[] exampleShape;
        final int features;
        float[] lastOutputs;

        Target(ModelGraph graph, String output, float[][] examples, int[] targets) {
            this.graph = graph;
            this.output = output;
            if (graph.inputs().size() != 1) {
                throw new IllegalArgumentException("attributions need a graph with one input; this one has "
                        + graph.inputs().keySet());
            }
            if (!graph.outputs().containsKey(output)) {
                throw new IllegalArgumentException("no graph output named '" + output + "'; outputs are "
                        + graph.outputs().keySet());
            }
            Map.Entry<String, TensorSpec> in = graph.inputs().entrySet().iterator().next();
            this.input = in.getKey();
            List<Dim> dims = in.getValue().dims();
            exampleShape = new long[dims.size() - 1];
            long n = 1;
            for (int d = 1; d < dims.size(); d++) {
                if (!(dims.get(d) instanceof Dim.Fixed f)) {
                    throw new IllegalArgumentException("input " + input + " " + in.getValue() + " has symbolic dimension "
                            + dims.get(d) + " besides the batch; attributions need fixed example shapes");
                }
                exampleShape[d - 1] = f.size();
                n *= f.size();
            }
            this.features = (int) n;
            if (examples.length != targets.length) {
                throw new IllegalArgumentException(examples.length + " examples but " + targets.length
                        + " targets; give one target class per example");
            }
            for (int i = 0; i < examples.length; i++) {
                if (examples[i].length != features) {
                    throw new IllegalArgumentException("example " + i + " has " + examples[i].length
                            + " features but input " + input + " " + in.getValue() + " takes " + features);
                }
            }
        }

        private NDArray batch(NDManager m, float[][] rows) {
            float[] flat = new float[rows.length * features];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * features, features);
            }
            long[] shape = new long[exampleShape.length + 1];
            shape[0] = rows.length;
            System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
            return FloeEngine.owned(m.create(flat, new Shape(shape)));
        }

        /** The target logit of each row. */
        float[] logits(float[][] rows, int target) {
            try (NDManager m = graph.manager().newSubManager()) {
                NDArray y = graph.forward(Map.of(input, batch(m, rows)), ForwardContext.INFERENCE, List.of(output)).get(output);
                return pick(y, target).toFloatArray();
            }
        }

        static NDArray pick(NDArray logits, int target) {
            long classes = logits.getShape().get(1);
            if (target < 0 || target >= classes) {
                throw new IllegalArgumentException("target class " + target + " is outside the output's " + classes + " classes");
            }
            return logits.get(":, " + target); // (B)
        }

        /** ∂(target logit)/∂input for each row; keeps the rows' target logits in {@link #lastOutputs}. */
        float[][] gradients(float[][] rows, int target) {
            List<Param> training = new ArrayList<>();
            for (Param p : graph.parameters().values()) {
                if (p.trainable()) {
                    training.add(p);
                    p.setTrainable(false);
                }
            }
            try (NDManager m = graph.manager().newSubManager()) {
                NDArray x = batch(m, rows);
                x.setRequiresGradient(true);
                try (GradientCollector gc = FloeEngine.get().newGradientCollector()) {
                    NDArray y = graph.forward(Map.of(input, x), ForwardContext.INFERENCE, List.of(output)).get(output);
                    NDArray picked = pick(y, target); // (B)
                    lastOutputs = picked.toFloatArray();
                    gc.backward(picked.sum());
                }
                float[] g = x.getGradient().toFloatArray();
                float[][] out = new float[rows.length][features];
                for (int i = 0; i < rows.length; i++) {
                    System.arraycopy(g, i * features, out[i], 0, features);
                }
                return out;
            } finally {
                training.forEach(p -> p.setTrainable(true));
            }
        }
    }
}
