package dev.floe.peft;

import dev.floe.graph.ModelGraph;
import dev.floe.nn.Param;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Weighted merging of attached LoRA modules into a new LoRA module on the same layers.
 *
 * <p>With sources i of scale {@code s_i = alpha_i / rank_i} and weights {@code w_i}, the target
 * update of each layer is {@code ΔW = Σ w_i · s_i · B_i A_i}. Averaging the factors instead
 * ({@code (Σ w_i B_i)(Σ w_i A_i)}) is <em>not</em> this update — it adds cross terms
 * {@code w_i w_j B_i A_j} — so neither method here does that:
 * <ul>
 *   <li>{@link #linear}: the exact update by concatenation, {@code A = [A_1; A_2; …]} (rows) and
 *       {@code B = [w_1 s_1 B_1, w_2 s_2 B_2, …]} (columns), rank {@code Σ rank_i} and
 *       {@code alpha = rank} (scale 1). Sources may have different ranks; when they all have rank
 *       r the result has rank {@code n·r}, and {@link #svd} with {@code rank = r} gives the best
 *       rank-r approximation instead.
 *   <li>{@link #svd}: the truncated singular value decomposition of ΔW to the chosen rank k —
 *       the best rank-k approximation in Frobenius norm (Eckart–Young) — with
 *       {@code B = U_k Σ_k^½}, {@code A = Σ_k^½ V_kᵀ} and {@code alpha = k}. It is computed from
 *       the concatenated factors (QR of each, then a Jacobi SVD of the small core), never from a
 *       dense {@code out × in} decomposition.
 * </ul>
 * Both report the relative Frobenius reconstruction error {@code ‖ΔW − ΔW_merged‖_F / ‖ΔW‖_F}
 * of every layer, measured on the float factors actually stored (0 for a layer whose ΔW is 0).
 *
 * <p>The merged module is attached <em>inactive</em>, with the first source's target glob and
 * host freezing, no dropout; activate it (and deactivate the sources) to use it, and save it with
 * {@link PeftIo}. The sources stay as they are.
 */
public final class LoraMerge {

    private LoraMerge() {}

    /**
     * What a merge made and how close it is.
     *
     * @param spec the merged module's spec
     * @param relativeError the relative Frobenius reconstruction error per layer path, in graph order
     */
    public record Result(LoraSpec spec, Map<String, Double> relativeError) {

        /**
         * Copies the map.
         *
         * @param spec see the class comment
         * @param relativeError see the class comment
         */
        public Result {
            relativeError = Collections.unmodifiableMap(new LinkedHashMap<>(relativeError));
        }

        /** {@return the largest per-layer relative error} */
        public double maxRelativeError() {
            return relativeError.values().stream().mapToDouble(Double::doubleValue).max().orElse(0.0);
        }
    }

    /**
     * Attaches {@code name}, a LoRA module whose update is exactly {@code Σ w_i ΔW_i} on every layer
     * (concatenation; see the class comment).
     *
     * @param graph the graph holding the sources
     * @param name the new module's name, not yet used in the graph
     * @param weights source module name to weight, in order; at least one entry, finite weights
     * @return the merged module's spec and its reconstruction errors (float rounding only)
     * @throws IllegalArgumentException when a source is missing, is not a LoRA module, or the
     *     sources sit on different layers, a weight is not finite, or the name is taken
     * @throws IllegalStateException when a source is merged into the base weights
     */
    public static Result linear(ModelGraph graph, String name, Map<String, Double> weights) {
        List<LoraModule> sources = sources(graph, name, weights);
        int rank = sources.stream().mapToInt(m -> m.spec().rank()).sum();
        return attach(graph, name, weights, sources, rank, false);
    }

    /**
     * Attaches {@code name}, a rank-{@code rank} LoRA module holding the best rank-{@code rank}
     * approximation of {@code Σ w_i ΔW_i} on every layer (truncated SVD; see the class comment).
     *
     * @param graph the graph holding the sources
     * @param name the new module's name, not yet used in the graph
     * @param weights source module name to weight, in order; at least one entry, finite weights
     * @param rank the merged rank: at least 1, at most the sum of the sources' ranks and at most
     *     {@code min(in, out)} of every layer
     * @return the merged module's spec and its reconstruction errors per layer
     * @throws IllegalArgumentException when a source is missing, is not a LoRA module, or the
     *     sources sit on different layers, a weight is not finite, the rank is out of range, or
     *     the name is taken
     * @throws IllegalStateException when a source is merged into the base weights
     */
    public static Result svd(ModelGraph graph, String name, Map<String, Double> weights, int rank) {
        List<LoraModule> sources = sources(graph, name, weights);
        int total = sources.stream().mapToInt(m -> m.spec().rank()).sum();
        if (rank < 1 || rank > total) {
            throw new IllegalArgumentException(
                    "cannot merge LoRA " + weights.keySet() + " into '" + name + "': rank must be between 1 and "
                            + total + " (the sources' ranks added up), found " + rank + "; at rank " + total
                            + " LoraMerge.linear is exact");
        }
        for (Target t : sources.get(0).targets()) {
            long side = Math.min(t.linear().in(), t.linear().out());
            if (rank > side) {
                throw new IllegalArgumentException(
                        "cannot merge LoRA " + weights.keySet() + " into '" + name + "': rank " + rank + " is above"
                                + " what layer " + t.path() + " can hold (it is " + t.linear().in() + " → "
                                + t.linear().out() + ", so no update there has rank above " + side + "); give a rank of"
                                + " at most " + side);
            }
        }
        return attach(graph, name, weights, sources, rank, true);
    }

    private static List<LoraModule> sources(ModelGraph graph, String name, Map<String, Double> weights) {
        String what = "cannot merge LoRA " + weights.keySet() + " into '" + name + "'";
        if (weights.isEmpty()) {
            throw new IllegalArgumentException(what + ": no source modules given; name at least one with its weight");
        }
        Map<String, PeftModule> all = Targets.modules(graph);
        List<LoraModule> out = new ArrayList<>();
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            PeftModule m = all.get(e.getKey());
            if (m == null) {
                throw new IllegalArgumentException(what + ": no module named '" + e.getKey()
                        + "' is attached; attached are " + Targets.describe(all) + "; inject or load it first");
            }
            if (!(m instanceof LoraModule lora)) {
                throw new IllegalArgumentException(what + ": '" + e.getKey() + "' is a " + m.spec().kind()
                        + " module; only LoRA modules merge this way — leave it out");
            }
            if (lora.merged()) {
                throw new IllegalStateException(what + ": '" + e.getKey() + "' is merged into the base weights; call"
                        + " Lora.unmerge(graph, \"" + e.getKey() + "\") first");
            }
            Double w = e.getValue();
            if (w == null || !Double.isFinite(w)) {
                throw new IllegalArgumentException(what + ": the weight of '" + e.getKey() + "' is " + w
                        + "; give a finite number, e.g. 0.5");
            }
            out.add(lora);
        }
        LoraModule first = out.get(0);
        List<String> layers = Targets.paths(first.targets());
        for (LoraModule m : out.subList(1, out.size())) {
            List<String> theirs = Targets.paths(m.targets());
            if (!theirs.equals(layers)) {
                Set<String> hostsA = hosts(first);
                Set<String> hostsB = hosts(m);
                String hostNote = hostsA.equals(hostsB) ? "" : " in components " + hostsA + " vs " + hostsB;
                throw new IllegalArgumentException(what + ": '" + first.name() + "' is attached to " + layers + " but '"
                        + m.name() + "' to " + theirs + hostNote + " (target '" + first.spec().target() + "' vs '"
                        + m.spec().target() + "'); merge only modules on the same layers — inject them with the same"
                        + " target");
            }
        }
        return out;
    }

    private static Set<String> hosts(PeftModule m) {
        Set<String> out = new LinkedHashSet<>();
        m.targets().forEach(t -> out.add(t.component()));
        return out;
    }

    private static Result attach(ModelGraph graph, String name, Map<String, Double> weights, List<LoraModule> sources,
            int rank, boolean truncate) {
        LoraModule first = sources.get(0);
        List<Target> targets = first.targets();
        List<float[]> newA = new ArrayList<>();
        List<float[]> newB = new ArrayList<>();
        Map<String, Double> errors = new LinkedHashMap<>();
        for (int t = 0; t < targets.size(); t++) {
            Target target = targets.get(t);
            int in = Math.toIntExact(target.linear().in());
            int out = Math.toIntExact(target.linear().out());
            int total = sources.stream().mapToInt(m -> m.spec().rank()).sum();
            double[][] bCat = new double[out][total]; // w_i s_i B_i side by side
            double[][] aCat = new double[total][in]; // A_i stacked
            int col = 0;
            for (LoraModule m : sources) {
                int r = m.spec().rank();
                double f = weights.get(m.name()) * m.spec().scale();
                String prefix = target.path() + "/" + LoraModule.SEGMENT + "/" + m.name() + "/";
                float[] a = m.params().get(prefix + "A").toFloatArray();
                float[] b = m.params().get(prefix + "B").toFloatArray();
                for (int k = 0; k < r; k++) {
                    for (int i = 0; i < in; i++) {
                        aCat[col + k][i] = a[k * in + i];
                    }
                    for (int o = 0; o < out; o++) {
                        bCat[o][col + k] = f * b[o * r + k];
                    }
                }
                col += r;
            }
            float[] a = new float[rank * in];
            float[] b = new float[out * rank];
            if (truncate) {
                truncated(bCat, aCat, rank, a, b);
            } else {
                for (int k = 0; k < rank; k++) {
                    for (int i = 0; i < in; i++) {
                        a[k * in + i] = (float) aCat[k][i];
                    }
                    for (int o = 0; o < out; o++) {
                        b[o * rank + k] = (float) bCat[o][k];
                    }
                }
            }
            errors.put(target.path(), relativeError(bCat, aCat, b, a, rank));
            newA.add(a);
            newB.add(b);
        }
        LoraSpec spec = new LoraSpec(name, rank, rank, 0.0, first.spec().target());
        Lora.inject(graph, spec, graph.hostFreezingAdapters().contains(first.name()));
        graph.activeAdapters().remove(name);
        LoraModule merged = Targets.find(graph, name, LoraModule.class);
        for (int t = 0; t < targets.size(); t++) {
            String prefix = targets.get(t).path() + "/" + LoraModule.SEGMENT + "/" + name + "/";
            Param pa = merged.params().get(prefix + "A");
            Param pb = merged.params().get(prefix + "B");
            pa.load(newA.get(t), pa.shape().getShape());
            pb.load(newB.get(t), pb.shape().getShape());
        }
        return new Result(spec, errors);
    }

    /** {@code ‖B_cat A_cat − B A‖_F / ‖B_cat A_cat‖_F} in double, with the stored float factors (scale 1). */
    private static double relativeError(double[][] bCat, double[][] aCat, float[] b, float[] a, int rank) {
        int out = bCat.length;
        int total = aCat.length;
        int in = total == 0 ? 0 : aCat[0].length;
        double diff = 0;
        double norm = 0;
        double[] row = new double[in];
        for (int o = 0; o < out; o++) {
            Arrays.fill(row, 0);
            for (int k = 0; k < total; k++) {
                double v = bCat[o][k];
                if (v != 0) {
                    for (int i = 0; i < in; i++) {
                        row[i] += v * aCat[k][i];
                    }
                }
            }
            for (int i = 0; i < in; i++) {
                double approx = 0;
                for (int k = 0; k < rank; k++) {
                    approx += (double) b[o * rank + k] * a[k * in + i];
                }
                norm += row[i] * row[i];
                diff += (row[i] - approx) * (row[i] - approx);
            }
        }
        return norm == 0 ? 0.0 : Math.sqrt(diff / norm);
    }

    /**
     * The best rank-{@code rank} factors of {@code bCat · aCat}: QR of {@code bCat} and of
     * {@code aCatᵀ}, SVD of the small core {@code R_b R_aᵀ}, then {@code B = Q_b U Σ^½} and
     * {@code A = Σ^½ Vᵀ Q_aᵀ}; written into {@code a} {@code (rank, in)} and {@code b} {@code (out, rank)}.
     */
    private static void truncated(double[][] bCat, double[][] aCat, int rank, float[] a, float[] b) {
        int out = bCat.length;
        int in = aCat[0].length;
        Qr qb = Qr.of(bCat); // bCat = Qb Rb
        Qr qa = Qr.of(transpose(aCat)); // aCatᵀ = Qa Ra
        int p = qb.r.length;
        int q = qa.r.length;
        if (p == 0 || q == 0) {
            return; // ΔW = 0: zero factors are exact
        }
        double[][] core = multiply(qb.r, transpose(qa.r)); // (p, q)
        Svd svd = Svd.of(core);
        Integer[] order = new Integer[svd.sigma.length];
        for (int j = 0; j < order.length; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (x, y) -> Double.compare(svd.sigma[y], svd.sigma[x]));
        for (int k = 0; k < Math.min(rank, order.length); k++) {
            int j = order[k];
            double root = Math.sqrt(svd.sigma[j]);
            for (int o = 0; o < out; o++) {
                double u = 0;
                for (int c = 0; c < p; c++) {
                    u += qb.q[o][c] * svd.u[c][j];
                }
                b[o * rank + k] = (float) (u * root);
            }
            for (int i = 0; i < in; i++) {
                double v = 0;
                for (int c = 0; c < q; c++) {
                    v += qa.q[i][c] * svd.v[c][j];
                }
                a[k * in + i] = (float) (v * root);
            }
        }
    }

    private static double[][] transpose(double[][] m) {
        int rows = m.length;
        int cols = rows == 0 ? 0 : m[0].length;
        double[][] t = new double[cols][rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c][r] = m[r][c];
            }
        }
        return t;
    }

    private static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length;
        int k = y.length;
        int m = k == 0 ? 0 : y[0].length;
        double[][] z = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < k; l++) {
                double v = x[i][l];
                for (int j = 0; j < m; j++) {
                    z[i][j] += v * y[l][j];
                }
            }
        }
        return z;
    }

    /**
     * A rank-revealing thin QR by modified Gram–Schmidt with re-orthogonalisation: {@code x = q r}
     * with q {@code (rows, p)} orthonormal and r {@code (p, cols)}; columns that are (numerically)
     * in the span of earlier ones add no column to q.
     */
    private record Qr(double[][] q, double[][] r) {
        static Qr of(double[][] x) {
            int rows = x.length;
            int cols = rows == 0 ? 0 : x[0].length;
            double scale = 0;
            for (double[] row : x) {
                for (double v : row) {
                    scale = Math.max(scale, Math.abs(v));
                }
            }
            List<double[]> basis = new ArrayList<>();
            for (int c = 0; c < cols; c++) {
                double[] v = new double[rows];
                for (int i = 0; i < rows; i++) {
                    v[i] = x[i][c];
                }
                for (int pass = 0; pass < 2; pass++) {
                    for (double[] e : basis) {
                        double d = dot(e, v);
                        for (int i = 0; i < rows; i++) {
                            v[i] -= d * e[i];
                        }
                    }
                }
                double n = Math.sqrt(dot(v, v));
                if (n > 1e-12 * scale * Math.sqrt(rows) && n > 0) {
                    for (int i = 0; i < rows; i++) {
                        v[i] /= n;
                    }
                    basis.add(v);
                }
            }
            int p = basis.size();
            double[][] q = new double[rows][p];
            for (int j = 0; j < p; j++) {
                for (int i = 0; i < rows; i++) {
                    q[i][j] = basis.get(j)[i];
                }
            }
            double[][] r = new double[p][cols];
            for (int j = 0; j < p; j++) {
                double[] e = basis.get(j);
                for (int c = 0; c < cols; c++) {
                    double d = 0;
                    for (int i = 0; i < rows; i++) {
                        d += e[i] * x[i][c];
                    }
                    r[j][c] = d;
                }
            }
            return new Qr(q, r);
        }
    }

    /**
     * One-sided Jacobi SVD of a small matrix m {@code (p, q)}: {@code m = u diag(sigma) vᵀ} with u
     * {@code (p, q)} (orthonormal columns where sigma &gt; 0) and v {@code (q, q)} orthogonal; sigma unsorted.
     */
    private record Svd(double[][] u, double[] sigma, double[][] v) {
        static Svd of(double[][] m) {
            int p = m.length;
            int q = m[0].length;
            double[][] u = new double[p][q];
            for (int i = 0; i < p; i++) {
                u[i] = m[i].clone();
            }
            double[][] v = new double[q][q];
            for (int i = 0; i < q; i++) {
                v[i][i] = 1;
            }
            for (int sweep = 0; sweep < 100; sweep++) {
                boolean rotated = false;
                for (int j = 0; j < q - 1; j++) {
                    for (int k = j + 1; k < q; k++) {
                        double alpha = 0;
                        double beta = 0;
                        double gamma = 0;
                        for (int i = 0; i < p; i++) {
                            alpha += u[i][j] * u[i][j];
                            beta += u[i][k] * u[i][k];
                            gamma += u[i][j] * u[i][k];
                        }
                        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma == 0) {
                            continue;
                        }
                        rotated = true;
                        double zeta = (beta - alpha) / (2 * gamma);
                        double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                        if (zeta == 0) {
                            t = 1;
                        }
                        double c = 1 / Math.sqrt(1 + t * t);
                        double s = c * t;
                        for (int i = 0; i < p; i++) {
                            double x = u[i][j];
                            double y = u[i][k];
                            u[i][j] = c * x - s * y;
                            u[i][k] = s * x + c * y;
                        }
                        for (int i = 0; i < q; i++) {
                            double x = v[i][j];
                            double y = v[i][k];
                            v[i][j] = c * x - s * y;
                            v[i][k] = s * x + c * y;
                        }
                    }
                }
                if (!rotated) {
                    break;
                }
            }
            double[] sigma = new double[q];
            for (int j = 0; j < q; j++) {
                double n = 0;
                for (int i = 0; i < p; i++) {
                    n += u[i][j] * u[i][j];
                }
                sigma[j] = Math.sqrt(n);
                if (sigma[j] > 0) {
                    for (int i = 0; i < p; i++) {
                        u[i][j] /= sigma[j];
                    }
                }
            }
            return new Svd(u, sigma, v);
        }
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }
}
