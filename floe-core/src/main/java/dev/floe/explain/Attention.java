package dev.floe.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.ModelGraph;
import dev.floe.nn.ForwardContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Attention of transformer encoders, recorded from the forward pass that produced the graph's
 * outputs: every layer of a {@link dev.floe.components.TransformerEncoder} (MiniLM included) shows
 * its queries, keys and attention probabilities to the pass ({@link ForwardContext#observe}), and
 * {@link #record} keeps them. Also attention rollout (Abnar and Zuidema, 2020).
 */
public final class Attention {

    /** What a transformer layer's observed values are called, after {@code <layer>/attention/self/}. */
    private static final String SELF = "/attention/self/";
    private static final String PROBS = "probs";
    private static final String QUERY = "query";
    private static final String KEY = "key";

    private Attention() {}

    /**
     * One inference pass with everything its layers showed.
     *
     * @param outputs every graph output by name
     * @param observed every observed value by path, e.g. {@code encoder/layer.0/attention/self/probs}
     */
    public record Recording(Map<String, Observed> outputs, Map<String, Observed> observed) {

        /**
         * Copies the maps.
         *
         * @param outputs every graph output by name
         * @param observed every observed value by path, e.g.
         *     {@code encoder/layer.0/attention/self/probs}
         */
        public Recording {
            outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
            observed = Collections.unmodifiableMap(new LinkedHashMap<>(observed));
        }

        /**
         * The transformer layers that recorded attention, in execution order, e.g.
         * {@code encoder/layer.0}.
         *
         * @return the layer paths, in execution order
         */
        public List<String> layers() {
            List<String> layers = new ArrayList<>();
            for (String path : observed.keySet()) {
                if (path.endsWith(SELF + PROBS)) {
                    layers.add(path.substring(0, path.length() - (SELF + PROBS).length()));
                }
            }
            return layers;
        }

        /**
         * Attention probabilities of a layer, {@code (batch, heads, query, key)}; every row sums to
         * 1, padding keys get 0.
         *
         * @param layer a layer path from {@link #layers()}
         * @return the probabilities
         */
        public Observed probabilities(String layer) {
            return value(layer, PROBS);
        }

        /**
         * Queries of a layer as the scores used them, {@code (batch, heads, tokens, head width)}.
         *
         * @param layer a layer path from {@link #layers()}
         * @return the queries
         */
        public Observed queries(String layer) {
            return value(layer, QUERY);
        }

        /**
         * Keys of a layer, {@code (batch, heads, tokens, head width)}.
         *
         * @param layer a layer path from {@link #layers()}
         * @return the keys
         */
        public Observed keys(String layer) {
            return value(layer, KEY);
        }

        private Observed value(String layer, String what) {
            Observed o = observed.get(layer + SELF + what);
            if (o == null) {
                throw new IllegalArgumentException("no attention recorded for layer '" + layer + "'; layers are " + layers());
            }
            return o;
        }
    }

    /**
     * Runs {@code graph} once in inference mode and records its outputs and every value its layers show.
     *
     * @param graph the graph to run; its weights are not changed
     * @return the outputs and observed values, copied to Java arrays (no native memory is kept)
     * @param inputs every graph input as int64 rows, e.g. {@code input_ids} and {@code attention_mask}
     *     {@code [batch][seq]}
     * @throws dev.floe.graph.GraphException naming an input that is missing or does not fit its spec
     */
    public static Recording record(ModelGraph graph, Map<String, long[][]> inputs) {
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            inputs.forEach((name, rows) -> arrays.put(name, FloeEngine.owned(batch.create(rows))));
            Map<String, Observed> observed = new LinkedHashMap<>();
            ForwardContext recorder = new ForwardContext() {
                @Override
                public boolean training(String modulePath) {
                    return false;
                }

                @Override
                public void observe(String path, NDArray value) {
                    observed.put(path, copy(value));
                }
            };
            Map<String, Observed> outputs = new LinkedHashMap<>();
            graph.forward(arrays, recorder).forEach((name, a) -> outputs.put(name, copy(a)));
            return new Recording(outputs, observed);
        }
    }

    /**
     * {@link #record(ModelGraph, Map)} for tokenized texts: feeds {@code input_ids},
     * {@code attention_mask} and, when the graph has that input, {@code token_type_ids}.
     *
     * @param graph the graph to run
     * @param encoded the tokenized texts
     * @return the outputs and observed values, copied to Java arrays
     */
    public static Recording record(ModelGraph graph, dev.floe.text.Tokenizer.Encoded encoded) {
        Map<String, long[][]> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", rows(encoded.inputIds(), encoded.batch(), encoded.length()));
        inputs.put("attention_mask", rows(encoded.attentionMask(), encoded.batch(), encoded.length()));
        if (graph.inputs().containsKey("token_type_ids")) {
            inputs.put("token_type_ids", rows(encoded.tokenTypeIds(), encoded.batch(), encoded.length()));
        }
        return record(graph, inputs);
    }

    private static long[][] rows(long[] flat, int batch, int length) {
        long[][] out = new long[batch][length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(flat, i * length, out[i], 0, length);
        }
        return out;
    }

    static Observed copy(NDArray a) {
        return new Observed(a.getShape().getShape(), a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
    }

    /**
     * The attention of one layer for one example, averaged over heads: {@code [query][key]}.
     *
     * @param recording a recording from {@link #record}
     * @param layer a layer path from {@link Recording#layers()}
     * @param example the example's index in the batch
     * @return a new {@code [query][key]} matrix whose rows sum to 1
     * @throws IllegalArgumentException for an unknown layer or an example outside the batch
     */
    public static float[][] meanOverHeads(Recording recording, String layer, int example) {
        Observed p = recording.probabilities(layer);
        long[] s = p.shape(); // (B, nh, T, T)
        if (example < 0 || example >= s[0]) {
            throw new IllegalArgumentException("example " + example + " is outside the batch of " + s[0]);
        }
        int t = (int) s[2];
        float[][] mean = new float[t][t];
        for (int h = 0; h < s[1]; h++) {
            for (int q = 0; q < t; q++) {
                for (int k = 0; k < t; k++) {
                    mean[q][k] += p.get(example, h, q, k) / s[1];
                }
            }
        }
        return mean;
    }

    /**
     * Attention rollout of one encoder for one example: the product, from the first layer to the
     * last, of each layer's head-averaged attention with the residual added ({@code 0.5·A + 0.5·I},
     * rows renormalised). Entry {@code [q][k]} says how much token {@code k} at the input flows into
     * token {@code q} at the output; rows sum to 1 and padding keys get 0 for real query tokens.
     *
     * @param recording a recording from {@link #record}
     * @param example the example's index in the batch
     * @return a new {@code [query][key]} matrix
     * @param component the encoder's name, e.g. {@code encoder}
     * @throws IllegalArgumentException when the component recorded no attention
     */
    public static float[][] rollout(Recording recording, String component, int example) {
        double[][] flow = null;
        for (String layer : recording.layers()) {
            if (!layer.startsWith(component + "/")) {
                continue;
            }
            float[][] a = meanOverHeads(recording, layer, example);
            int t = a.length;
            double[][] step = new double[t][t];
            for (int q = 0; q < t; q++) {
                double sum = 0;
                for (int k = 0; k < t; k++) {
                    step[q][k] = 0.5 * a[q][k] + (q == k ? 0.5 : 0);
                    sum += step[q][k];
                }
                for (int k = 0; k < t; k++) {
                    step[q][k] /= sum;
                }
            }
            flow = flow == null ? step : multiply(step, flow);
        }
        if (flow == null) {
            throw new IllegalArgumentException("component '" + component + "' recorded no attention; layers that did: "
                    + recording.layers());
        }
        float[][] out = new float[flow.length][flow.length];
        for (int q = 0; q < flow.length; q++) {
            for (int k = 0; k < flow.length; k++) {
                out[q][k] = (float) flow[q][k];
            }
        }
        return out;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double aik = a[i][k];
                for (int j = 0; j < n; j++) {
                    c[i][j] += aik * b[k][j];
                }
            }
        }
        return c;
    }
}
