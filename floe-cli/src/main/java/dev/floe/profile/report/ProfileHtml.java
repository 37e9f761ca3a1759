package dev.floe.profile.report;

import dev.floe.profile.FreezeAdvice;
import dev.floe.profile.LayerProfile;
import dev.floe.profile.Profile;
import dev.floe.report.Html;
import java.util.Locale;
import java.util.Map;

/** A self-contained HTML page of a profile: settings, the layer table, the advice and the charts as data URIs. */
public final class ProfileHtml {

    private ProfileHtml() {}

    /**
     * The page.
     *
     * @param title shown as the heading, e.g. the config file's name
     * @param charts PNG bytes by file name ({@link ProfileCharts#render})
     */
    public static String render(String title, Profile profile, FreezeAdvice advice, Map<String, byte[]> charts) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>floe profile: ")
                .append(esc(title)).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1100px}")
                .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;")
                .append("text-align:right}td:first-child,th:first-child{text-align:left}")
                .append("pre{background:#f4f4f4;padding:1em}li.change{font-weight:bold}img{max-width:100%}")
                .append("</style></head><body>\n");
        h.append("<h1>floe profile: ").append(esc(title)).append("</h1>\n");
        h.append(String.format(Locale.ROOT, "<p>%d steps of batch %d, %s at lr %s; loss %.4f → %.4f. Every parameter"
                + " receives gradients; only the plan's trainable ones are updated.</p>%n", profile.steps(),
                profile.batchSize(), esc(profile.optimizer()), profile.lr(), profile.loss().perStep()[0],
                profile.loss().perStep()[profile.loss().perStep().length - 1]));
        h.append("<h2>Layers</h2>\n<table><tr><th>layer</th><th>state</th><th>params</th><th>grad norm mean</th>")
                .append("<th>max</th><th>trend over run</th><th>grad in/out</th><th>update/weight</th>")
                .append("<th>ReLU ≤ 0</th><th>forward ms</th><th>backward ms</th><th>activations KiB</th></tr>\n");
        for (LayerProfile l : profile.layers()) {
            h.append("<tr><td>").append(esc(l.layer())).append("</td><td>").append(esc(l.state())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%,d", l.params())).append("</td><td>")
                    .append(sci(l.gradNorm().mean())).append("</td><td>").append(sci(l.gradNorm().max()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%+.0f%%", 100 * l.gradNorm().relativeTrend()))
                    .append("</td><td>").append(l.gradInOutRatio() == null ? "–" : sci(l.gradInOutRatio()))
                    .append("</td><td>").append(l.updateRatio() == null ? "–" : sci(l.updateRatio().mean()))
                    .append("</td><td>").append(l.reluDeadShare() == null ? "–"
                            : String.format(Locale.ROOT, "%.0f%%", 100 * l.reluDeadShare()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.2f", l.forwardMillis()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.2f", l.backwardMillis()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.0f", l.activationBytes() / 1024))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Advice</h2>\n<ul>\n");
        for (FreezeAdvice.Item i : advice.items()) {
            h.append(i.changes() ? "<li class=\"change\">" : "<li>").append(esc(i.reason())).append(" [")
                    .append(esc(i.rule().id())).append("]</li>\n");
        }
        h.append("</ul>\n<p>As policy rules (replace the config's <code>policy</code>, <code>stages</code> or")
                .append(" <code>progressive</code> with these):</p>\n<pre>").append(esc(advice.policyYaml()))
                .append("</pre>\n<h2>Charts</h2>\n");
        for (Map.Entry<String, byte[]> c : charts.entrySet()) {
            h.append("<p>").append(Html.pngImage(c.getValue(), c.getKey())).append("</p>\n");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.2e", v);
    }

    static String esc(String s) {
        return Html.escape(s);
    }
}
