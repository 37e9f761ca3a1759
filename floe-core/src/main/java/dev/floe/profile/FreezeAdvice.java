package dev.floe.profile;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Freeze, unfreeze and learning-rate advice made from a {@link Profile} by fixed, explained rules,
 * one verdict per layer that has parameters, printable as a {@code policy:} list to paste into a
 * config.
 *
 * <p>The strongest layer is the one with the largest mean gradient norm {@code G}. For each layer,
 * the first rule that applies decides ({@link Rule}):
 * <ol>
 *   <li>{@code no-gradient}: its mean gradient norm is at most {@link #NO_GRADIENT}·G (nothing
 *       reaches it; its weights cannot change the loss) → freeze.
 *   <li>{@code weak-gradient}: its mean gradient norm is below G / {@link #WEAK_FACTOR} and not
 *       rising (relative trend below {@link #RISING}) → freeze. Example: "encoder/block1: gradient
 *       norm 40× below encoder/block2 and flat — keep frozen (its backward is 31% of backward time)".
 *   <li>{@code strong-gradient}: it is frozen and its mean gradient norm is at least
 *       G / {@link #STRONG_FACTOR} → train, at the learning-rate scale that gives an update-to-weight
 *       ratio of about {@link #TARGET_UPDATE} per step, calibrated on the layers that trained while
 *       profiling ({@code lrScaleFor}). Example:
 *       "encoder/block2: gradient norm 0.8× the strongest while frozen — unfreeze at lr_scale 0.1".
 *   <li>{@code update-too-large}: it trains and its mean update-to-weight ratio is above
 *       {@link #HIGH_UPDATE} → train with its lr_scale times {@code TARGET_UPDATE / ratio}, rounded
 *       to the nearest power of ten. Example: "head/fc: update/weight ratio 3e-1 — lower its lr".
 *   <li>{@code update-too-small}: it trains and its mean ratio is below {@link #LOW_UPDATE} → train
 *       with its lr_scale raised the same way (at most {@link #MAX_LR_SCALE}).
 *   <li>{@code keep}: otherwise its state and lr_scale stay as they are.
 * </ol>
 * A layer whose ReLU inputs are ≤ 0 more than {@link #DEAD_RELU} of the time gets a note; it
 * changes no verdict. Gradient norms are totals over a layer's parameters, so a layer with more
 * parameters tends to have a larger norm; the factors are wide for that reason.
 */
public final class FreezeAdvice {

    /** A layer whose mean gradient norm is at most this fraction of the strongest layer's receives none. */
    public static final double NO_GRADIENT = 1e-6;
    /** Weaker than the strongest layer by more than this factor (and flat): freeze. */
    public static final double WEAK_FACTOR = 20;
    /** A relative trend ({@link Series#relativeTrend()}) at or above this counts as rising. */
    public static final double RISING = 0.5;
    /** A frozen layer within this factor of the strongest layer: unfreeze. */
    public static final double STRONG_FACTOR = 4;
    /** The update-to-weight ratio per step that lr_scale advice aims at. */
    public static final double TARGET_UPDATE = 1e-3;
    /** Mean update-to-weight ratio above this: lower the layer's learning rate. */
    public static final double HIGH_UPDATE = 1e-2;
    /** Mean update-to-weight ratio below this: raise the layer's learning rate. */
    public static final double LOW_UPDATE = 1e-4;
    /** The smallest lr_scale advised. */
    public static final double MIN_LR_SCALE = 1e-4;
    /** The largest lr_scale advised. */
    public static final double MAX_LR_SCALE = 10;
    /** Share of ReLU inputs ≤ 0 above which a layer gets a dead-activation note. */
    public static final double DEAD_RELU = 0.9;

    /** The rules, in the order they are tried. */
    public enum Rule {
        /** Almost no gradient reaches the layer: freeze. */
        NO_GRADIENT("no-gradient"),
        /** Gradient far weaker than the strongest layer's and flat: freeze. */
        WEAK_GRADIENT("weak-gradient"),
        /** Frozen, yet its gradient is near the strongest: train. */
        STRONG_GRADIENT("strong-gradient"),
        /** Trains with updates too large for its weights: lower its lr_scale. */
        UPDATE_TOO_LARGE("update-too-large"),
        /** Trains with updates too small for its weights: raise its lr_scale. */
        UPDATE_TOO_SMALL("update-too-small"),
        /** None of the above: state and lr_scale stay. */
        KEEP("keep");

        private final String id;

        Rule(String id) {
            this.id = id;
        }

        /**
         * The rule's name in output, e.g. {@code weak-gradient}.
         *
         * @return the rule's id
         */
        public String id() {
            return id;
        }
    }

    /** What to do with a layer. */
    public enum Action {
        /** Freeze the layer. */
        FREEZE,
        /** Train the layer. */
        TRAIN;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The verdict for one layer.
     *
     * @param layer the layer's path
     * @param rule the rule that decided
     * @param action freeze or train
     * @param lrScale for train, the lr_scale to train at; null for freeze
     * @param changes true when the verdict differs from the profiled plan (state or lr_scale)
     * @param reason one line: the signal, the threshold it crossed and the consequence
     */
    public record Item(String layer, Rule rule, Action action, Double lrScale, boolean changes, String reason) {

        /**
         * The policy rule for this layer, in the config's YAML flow syntax.
         *
         * @return the rule, e.g. {@code {train: "encoder/block2/**", lr_scale: 0.1}}
         */
        public String policyRule() {
            String glob = "\"" + layer + "/**\"";
            if (action == Action.FREEZE) {
                return "{freeze: " + glob + "}";
            }
            return lrScale == 1.0 ? "{train: " + glob + "}" : "{train: " + glob + ", lr_scale: " + num(lrScale) + "}";
        }
    }

    private final List<Item> items;

    private FreezeAdvice(List<Item> items) {
        this.items = List.copyOf(items);
    }

    /**
     * The verdicts for every layer of {@code profile} that has parameters, in the profile's order.
     *
     * @param profile the profile to judge
     * @return the advice
     */
    public static FreezeAdvice of(Profile profile) {
        List<LayerProfile> layers = profile.layers().stream().filter(l -> l.params() > 0).toList();
        LayerProfile strongest = layers.stream()
                .max((a, b) -> Double.compare(a.gradNorm().mean(), b.gradNorm().mean()))
                .orElse(null);
        double g = strongest == null ? 0 : strongest.gradNorm().mean();
        double backward = profile.backwardMillis();
        List<Item> items = new ArrayList<>();
        for (LayerProfile l : layers) {
            items.add(judge(l, layers, strongest, g, backward, profile.lr(), profile.optimizer()));
        }
        return new FreezeAdvice(items);
    }

    private static Item judge(LayerProfile l, List<LayerProfile> all, LayerProfile strongest, double g,
            double backward, double lr, String optimizer) {
        double mean = l.gradNorm().mean();
        double trend = l.gradNorm().relativeTrend();
        String note = l.reluDeadShare() != null && l.reluDeadShare() > DEAD_RELU
                ? String.format(Locale.ROOT, "; note: %.0f%% of its ReLU inputs are ≤ 0 (dead units pass no gradient)",
                        100 * l.reluDeadShare())
                : "";
        String saves = String.format(Locale.ROOT, "its backward is %.0f%% of backward time",
                backward == 0 ? 0 : 100 * l.backwardMillis() / backward);
        String verb = l.frozen() ? "keep frozen" : "freeze";
        if (mean <= NO_GRADIENT * g || g == 0) {
            return new Item(l.layer(), Rule.NO_GRADIENT, Action.FREEZE, null, !l.frozen(),
                    String.format(Locale.ROOT, "%s: no gradient reaches it (mean norm %s) — its weights cannot"
                            + " change the loss; %s (%s)", l.layer(), sci(mean), verb, saves) + note);
        }
        if (mean < g / WEAK_FACTOR && trend < RISING) {
            return new Item(l.layer(), Rule.WEAK_GRADIENT, Action.FREEZE, null, !l.frozen(),
                    String.format(Locale.ROOT, "%s: gradient norm %s× below %s and %s (trend %+.0f%% over the run,"
                            + " threshold %s× and +%.0f%%) — %s (%s)", l.layer(), times(g / mean), strongest.layer(),
                            trend < -RISING ? "falling" : "flat", 100 * trend, num(WEAK_FACTOR), 100 * RISING, verb,
                            saves) + note);
        }
        if (l.frozen() && mean >= g / STRONG_FACTOR) {
            double scale = lrScaleFor(l, all, lr, optimizer);
            String strength = l == strongest ? "the strongest gradient norm"
                    : "gradient norm " + num(mean / g) + "× the strongest (" + strongest.layer() + ")";
            return new Item(l.layer(), Rule.STRONG_GRADIENT, Action.TRAIN, scale, true,
                    String.format(Locale.ROOT, "%s: %s while frozen (threshold 1/%s) — unfreeze at lr_scale %s (aims"
                            + " at update/weight %s per step)", l.layer(), strength, num(STRONG_FACTOR), num(scale),
                            sci(TARGET_UPDATE)) + note);
        }
        if (l.trains() && l.updateRatio() != null) {
            double ratio = l.updateRatio().mean();
            if (ratio > HIGH_UPDATE || (ratio > 0 && ratio < LOW_UPDATE)) {
                boolean high = ratio > HIGH_UPDATE;
                double scale = clampScale(nearestPowerOfTen(l.lrScale() * TARGET_UPDATE / ratio));
                return new Item(l.layer(), high ? Rule.UPDATE_TOO_LARGE : Rule.UPDATE_TOO_SMALL, Action.TRAIN, scale,
                        scale != l.lrScale(),
                        String.format(Locale.ROOT, "%s: update/weight ratio %s per step (%s %s) — %s its lr: lr_scale"
                                + " %s instead of %s", l.layer(), sci(ratio), high ? "above" : "below",
                                sci(high ? HIGH_UPDATE : LOW_UPDATE), high ? "lower" : "raise", num(scale),
                                num(l.lrScale())) + note);
            }
        }
        String ratio = l.updateRatio() == null ? "" : ", update/weight " + sci(l.updateRatio().mean()) + " per step";
        return new Item(l.layer(), Rule.KEEP, l.frozen() ? Action.FREEZE : Action.TRAIN,
                l.frozen() ? null : l.lrScale(), false,
                String.format(Locale.ROOT, "%s: gradient norm %s× the strongest%s — keep %s", l.layer(),
                        num(mean / g), ratio, l.frozen() ? "frozen" : "training at lr_scale " + num(l.lrScale()))
                        + note);
    }

    /**
     * The lr_scale that should give an update-to-weight ratio of about {@link #TARGET_UPDATE} per
     * step, rounded to the nearest power of ten (on a log scale) within [{@link #MIN_LR_SCALE},
     * {@link #MAX_LR_SCALE}].
     *
     * <p>It is calibrated on the layers that trained during profiling: for AdamW, whose step is about
     * the same size per element whatever the gradient, the measured step per element per unit of
     * lr_scale is {@code k = ratio · rms(w) / lr_scale} (median over the trainable layers; the
     * optimizer's lr when none trained) and the advice is {@code TARGET_UPDATE · rms(w) / k}; for
     * SGD, whose step is the gradient times the rate, {@code k = ratio · |w| / (lr_scale · |g|)} and
     * the advice is {@code TARGET_UPDATE · |w| / (k · |g|)}. Calibrating takes in what the formula
     * alone misses: the schedule's warm-up and decay, and AdamW steps smaller than lr on noisy
     * gradients.
     */
    static double lrScaleFor(LayerProfile l, List<LayerProfile> all, double lr, String optimizer) {
        boolean sgd = "sgd".equals(optimizer);
        List<Double> measured = new ArrayList<>();
        for (LayerProfile t : all) {
            if (t.trains() && t.updateRatio() != null && t.updateRatio().mean() > 0 && t.gradNorm().mean() > 0) {
                double norm = t.weightRms() * Math.sqrt(t.params());
                measured.add(sgd
                        ? t.updateRatio().mean() * norm / (t.lrScale() * t.gradNorm().mean())
                        : t.updateRatio().mean() * t.weightRms() / t.lrScale());
            }
        }
        double k = measured.isEmpty() ? lr : measured.stream().sorted().toList().get(measured.size() / 2);
        double raw = sgd
                ? TARGET_UPDATE * l.weightRms() * Math.sqrt(l.params()) / (k * l.gradNorm().mean())
                : TARGET_UPDATE * l.weightRms() / k;
        return clampScale(nearestPowerOfTen(raw));
    }

    /** The power of ten nearest to {@code v} on a log scale (0.3 → 0.1, 0.4 → 1); 1 for 0 or non-finite. */
    private static double nearestPowerOfTen(double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            return 1.0;
        }
        return Double.parseDouble("1e" + Math.round(Math.log10(v)));
    }

    private static double clampScale(double s) {
        return Math.max(MIN_LR_SCALE, Math.min(MAX_LR_SCALE, s));
    }

    /**
     * The verdicts, one per layer with parameters.
     *
     * @return the verdicts, unmodifiable
     */
    public List<Item> items() {
        return items;
    }

    /**
     * The verdict for a layer.
     *
     * @param layer a layer path
     * @return the verdict
     */
    public Item item(String layer) {
        return items.stream().filter(i -> i.layer().equals(layer)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no advice for layer " + layer + "; layers are "
                        + items.stream().map(Item::layer).toList()));
    }

    /**
     * The advice as a {@code policy:} list (one rule per layer, each with its reason as a comment),
     * ready to replace a config's {@code policy}, {@code stages} or {@code progressive}.
     *
     * @return the YAML text
     */
    public String policyYaml() {
        StringBuilder sb = new StringBuilder("policy:\n");
        int width = items.stream().mapToInt(i -> i.policyRule().length()).max().orElse(0);
        for (Item i : items) {
            sb.append("  - ").append(String.format(Locale.ROOT, "%-" + width + "s", i.policyRule()))
                    .append("  # ").append(i.rule().id()).append('\n');
        }
        return sb.toString();
    }

    /**
     * The reasons, one line each.
     *
     * @return the text, one line per layer
     */
    public String explain() {
        StringBuilder sb = new StringBuilder();
        for (Item i : items) {
            sb.append(i.changes() ? "* " : "  ").append(i.reason()).append(" [").append(i.rule().id()).append("]\n");
        }
        return sb.toString();
    }

    /** A number in short form: {@code 0.1}, {@code 10}, {@code 0.001}. */
    static String num(double v) {
        if (v == 0) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(2)).stripTrailingZeros().toPlainString();
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.1e", v);
    }

    private static String times(double v) {
        return v >= 10 ? String.format(Locale.ROOT, "%.0f", v) : num(v);
    }
}
