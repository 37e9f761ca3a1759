package dev.floe.peft;

import dev.floe.graph.ModelGraph;
import java.util.ArrayList;
import java.util.List;

/**
 * A BERT encoder computed in plain Java doubles from a graph's parameters, one row at a time, with
 * optional virtual tokens and key/value prefixes: the definition prompt and prefix tuning are
 * checked against.
 */
final class HandEncoder {

    private final ModelGraph graph;
    private final String enc;
    private final int hidden;
    private final int heads;
    private final int layers;
    private final double eps;

    HandEncoder(ModelGraph graph, String enc, int hidden, int heads, int layers, double eps) {
        this.graph = graph;
        this.enc = enc;
        this.hidden = hidden;
        this.heads = heads;
        this.layers = layers;
        this.eps = eps;
    }

    private float[] p(String path) {
        return graph.parameters().get(enc + "/" + path).toFloatArray();
    }

    /**
     * The hidden states of the real tokens of one row.
     *
     * @param ids the row's token ids
     * @param mask 1 for real tokens, 0 for padding
     * @param virtual {@code (N, H)} virtual tokens or null
     * @param prefixModule the name of a prefix module whose key/value prefixes every layer uses, or null
     * @return {@code [T][H]}
     */
    double[][] hidden(long[] ids, long[] mask, float[] virtual, String prefixModule) {
        int n = virtual == null ? 0 : virtual.length / hidden;
        int t = ids.length;
        float[] word = p("embeddings/word_embeddings/weight");
        float[] pos = p("embeddings/position_embeddings/weight");
        float[] type = p("embeddings/token_type_embeddings/weight");
        double[][] x = new double[n + t][hidden];
        boolean[] key = new boolean[n + t];
        for (int i = 0; i < n + t; i++) {
            for (int d = 0; d < hidden; d++) {
                double e = i < n ? virtual[i * hidden + d] : word[(int) ids[i - n] * hidden + d];
                x[i][d] = e + type[d] + pos[i * hidden + d];
            }
            key[i] = i < n || mask[i - n] == 1;
            x[i] = norm(x[i], "embeddings/LayerNorm");
        }
        for (int l = 0; l < layers; l++) {
            String lp = "layer." + l + "/";
            double[][] q = linear(x, lp + "attention/self/query");
            double[][] k = linear(x, lp + "attention/self/key");
            double[][] v = linear(x, lp + "attention/self/value");
            List<double[]> keys = new ArrayList<>();
            List<double[]> values = new ArrayList<>();
            if (prefixModule != null) {
                float[] pk = p(lp + "attention/self/prefix/" + prefixModule + "/key");
                float[] pv = p(lp + "attention/self/prefix/" + prefixModule + "/value");
                for (int j = 0; j < pk.length / hidden; j++) {
                    keys.add(row(pk, j));
                    values.add(row(pv, j));
                }
            }
            for (int j = 0; j < n + t; j++) {
                if (key[j]) {
                    keys.add(k[j]);
                    values.add(v[j]);
                }
            }
            int dh = hidden / heads;
            double[][] ctx = new double[n + t][hidden];
            for (int i = 0; i < n + t; i++) {
                for (int h = 0; h < heads; h++) {
                    double[] s = new double[keys.size()];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s.length; j++) {
                        for (int d = h * dh; d < (h + 1) * dh; d++) {
                            s[j] += q[i][d] * keys.get(j)[d];
                        }
                        s[j] /= Math.sqrt(dh);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < s.length; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j < s.length; j++) {
                        for (int d = h * dh; d < (h + 1) * dh; d++) {
                            ctx[i][d] += s[j] / z * values.get(j)[d];
                        }
                    }
                }
            }
            double[][] att = linear(ctx, lp + "attention/output/dense");
            double[][] h1 = new double[n + t][];
            for (int i = 0; i < n + t; i++) {
                h1[i] = norm(add(att[i], x[i]), lp + "attention/output/LayerNorm");
            }
            double[][] inner = linear(h1, lp + "intermediate/dense");
            for (double[] r : inner) {
                for (int d = 0; d < r.length; d++) {
                    r[d] = 0.5 * r[d] * (1 + erf(r[d] / Math.sqrt(2)));
                }
            }
            double[][] ff = linear(inner, lp + "output/dense");
            for (int i = 0; i < n + t; i++) {
                x[i] = norm(add(ff[i], h1[i]), lp + "output/LayerNorm");
            }
        }
        double[][] real = new double[t][];
        System.arraycopy(x, n, real, 0, t);
        return real;
    }

    /** The mean of the rows whose mask is 1. */
    static double[] mean(double[][] hidden, long[] mask) {
        double[] m = new double[hidden[0].length];
        int count = 0;
        for (int i = 0; i < hidden.length; i++) {
            if (mask[i] == 1) {
                count++;
                for (int d = 0; d < m.length; d++) {
                    m[d] += hidden[i][d];
                }
            }
        }
        for (int d = 0; d < m.length; d++) {
            m[d] /= count;
        }
        return m;
    }

    private double[] row(float[] a, int j) {
        double[] r = new double[hidden];
        for (int d = 0; d < hidden; d++) {
            r[d] = a[j * hidden + d];
        }
        return r;
    }

    private static double[] add(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] + b[i];
        }
        return r;
    }

    private double[][] linear(double[][] x, String path) {
        float[] w = p(path + "/weight");
        float[] b = p(path + "/bias");
        int out = b.length;
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int j = 0; j < in; j++) {
                    s += w[o * in + j] * x[i][j];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private double[] norm(double[] x, String path) {
        float[] w = p(path + "/weight");
        float[] b = p(path + "/bias");
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + b[i];
        }
        return y;
    }

    /** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
    private static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
                * Math.exp(-x * x);
        return Math.signum(x) * y;
    }
}
