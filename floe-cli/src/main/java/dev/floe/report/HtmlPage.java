package dev.floe.report;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Writes a report as one self-contained HTML page: inline CSS and script, charts as {@code data:}
 * URIs, no external URL. The page's script sorts the variant table when a heading is clicked and
 * writes any script or image error into the element {@code #page-errors}, so a reader (or a headless
 * browser) sees it.
 */
final class HtmlPage {

    private HtmlPage() {}

    private static final String STYLE = """
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;\
            max-width:1280px;padding:0 16px;color:#1b1f23}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .meta,.note,figcaption{color:#555;font-size:13px}
            #page-errors{background:#fdecea;border:1px solid #c0392b;color:#7b1d12;padding:8px;white-space:pre-wrap}
            .scroll{overflow-x:auto}
            table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
            th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:right;white-space:nowrap}
            th:first-child,td:first-child,th.text,td.text{text-align:left}
            #variant-table th{cursor:pointer;background:#f4f6f8;position:sticky;top:0;user-select:none}
            #variant-table th:hover{background:#e8ecef}
            #variant-table th[aria-sort=ascending]::after{content:" \\25B2"}
            #variant-table th[aria-sort=descending]::after{content:" \\25BC"}
            tr.failed td{color:#999}tr.failed td:first-child{color:#c0392b}
            .badge{display:inline-block;font-size:11px;padding:0 5px;border-radius:3px;margin-left:4px}
            .badge.failed{background:#c0392b;color:#fff}.badge.pareto{background:#fbeee6;color:#a04000}
            ul.summary li{margin:3px 0}
            figure{display:inline-block;margin:8px 16px 16px 0;vertical-align:top;max-width:100%}
            figure img{max-width:100%;height:auto;border:1px solid #eee}
            figcaption{max-width:560px}
            td.error{white-space:normal;text-align:left;max-width:720px}
            """;

    /** Records page errors (script errors, images that do not load) into #page-errors; runs first. */
    private static final String ERROR_RECORDER = """
            window.floeErrors=[];
            function floeShowErrors(){var el=document.getElementById('page-errors');\
            if(el&&window.floeErrors.length){el.hidden=false;el.textContent='Page errors:\\n'+window.floeErrors.join('\\n');}}
            function floeRecordError(m){window.floeErrors.push(m);floeShowErrors();}
            window.addEventListener('error',function(e){var t=e.target;\
            if(t&&t!==window&&t.tagName){floeRecordError('cannot load '+t.tagName.toLowerCase()+' '+(t.alt||t.id||''));}\
            else{floeRecordError((e.message||'script error')+' at line '+(e.lineno||'?'));}},true);
            window.addEventListener('unhandledrejection',function(e){floeRecordError('unhandled rejection: '+e.reason);});
            document.addEventListener('DOMContentLoaded',floeShowErrors);
            """;

    /** Sorts the variant table by a clicked heading: numbers by value, text by locale order, "–" last. */
    private static final String SORTER = """
            (function(){
            var table=document.getElementById('variant-table');
            var heads=table.tHead.rows[0].cells;
            function key(cell,numeric){if(!numeric)return cell.textContent.trim().toLowerCase();
            var v=cell.getAttribute('data-v');return v===null||v===''?null:parseFloat(v);}
            function sortBy(i){
            var th=heads[i];var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
            for(var h=0;h<heads.length;h++){heads[h].removeAttribute('aria-sort');}
            th.setAttribute('aria-sort',dir);
            var numeric=th.getAttribute('data-type')==='num';var body=table.tBodies[0];
            var rows=Array.prototype.slice.call(body.rows);
            rows.sort(function(a,b){var x=key(a.cells[i],numeric),y=key(b.cells[i],numeric);
            if(x===null||y===null){return x===y?0:(x===null?1:-1);}
            var c=numeric?x-y:x.localeCompare(y);return dir==='ascending'?c:-c;});
            rows.forEach(function(r){body.appendChild(r);});}
            for(var i=0;i<heads.length;i++){(function(i){heads[i].addEventListener('click',function(){sortBy(i);});
            heads[i].tabIndex=0;heads[i].addEventListener('keydown',function(e){if(e.key==='Enter'){sortBy(i);}});})(i);}
            document.body.setAttribute('data-ready','true');
            })();
            """;

    /** The page of {@code report} with {@code charts} embedded. */
    static String render(Report report, List<Charts.Chart> charts) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(report.title())).append("</title>\n")
                .append("<script>\n").append(ERROR_RECORDER).append("</script>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(esc(report.title())).append("</h1>\n");
        List<RunResult> runs = report.runs();
        long failed = runs.stream().filter(RunResult::failed).count();
        h.append("<p class=\"meta\">").append(runs.size()).append(runs.size() == 1 ? " run" : " runs")
                .append(" (").append(runs.size() - failed).append(" finished, ").append(failed).append(" failed) in ")
                .append(report.variants().size()).append(report.variants().size() == 1 ? " variant" : " variants")
                .append("; generated at ").append(esc(report.generatedAt().toString()))
                .append(". Numbers are mean ± sample standard deviation over a variant's finished seeds (no ± when "
                        + "there is one seed or all seeds gave the same value); failed runs are left out; – means not"
                        + " recorded.</p>\n");
        h.append("<div id=\"page-errors\" hidden></div>\n");
        summary(h, report);
        table(h, report);
        figures(h, charts, Charts.Section.PARETO, "pareto", "Accuracy against cost");
        figures(h, charts, Charts.Section.ACCURACY, "accuracy", "Accuracy per variant");
        figures(h, charts, Charts.Section.CURVES, "curves", "Learning curves per stage");
        failures(h, report);
        runTable(h, report);
        if (!report.notes().isEmpty()) {
            h.append("<section id=\"notes\"><h2>Notes</h2><ul>\n");
            report.notes().forEach(n -> h.append("<li>").append(esc(n)).append("</li>\n"));
            h.append("</ul></section>\n");
        }
        h.append("<script>\n").append(SORTER).append("</script>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void summary(StringBuilder h, Report report) {
        h.append("<section id=\"summary\"><h2>Summary</h2>\n");
        if (report.comparisons().isEmpty()) {
            h.append(report.variants().size() == 1 ? "<p>Nothing to compare: every run belongs to one variant.</p>\n"
                    : "<p>Nothing to compare: no axis has a second value.</p>\n");
        } else {
            h.append("<ul class=\"summary\">\n");
            for (Comparison c : report.comparisons()) {
                h.append("<li>").append(esc(c.summary())).append("</li>\n");
            }
            h.append("</ul>\n<p class=\"note\">").append(esc(Comparison.RULE));
            if (report.axes().isEmpty()) {
                h.append(" These runs declare no axes, so each variant is compared with the first one listed.");
            }
            h.append("</p>\n");
        }
        h.append("</section>\n");
    }

    private static void table(StringBuilder h, Report report) {
        List<Metric> metrics = report.metrics();
        List<String> axes = new ArrayList<>(report.axes().keySet());
        h.append("<section id=\"variants\"><h2>Variants</h2>\n<p class=\"note\">One row per variant; click a column"
                + " heading to sort by it (click again to reverse). Pareto-optimal: no other variant is at least as"
                + " accurate for no more train time (time) or peak memory (memory) and better in one.</p>\n");
        h.append("<div class=\"scroll\"><table id=\"variant-table\">\n<thead><tr><th data-type=\"text\">variant</th>");
        for (String a : axes) {
            h.append("<th data-type=\"text\" class=\"text\">").append(esc(a)).append("</th>");
        }
        h.append("<th data-type=\"num\">seeds ok</th><th data-type=\"num\">failed</th>"
                + "<th data-type=\"text\" class=\"text\">Pareto-optimal</th>");
        for (Metric m : metrics) {
            h.append("<th data-type=\"num\" data-key=\"").append(esc(m.key())).append("\">").append(esc(m.label()))
                    .append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Variant v : report.variants()) {
            h.append("<tr").append(v.failed() ? " class=\"failed\"" : "").append(" data-variant=\"").append(esc(v.name()))
                    .append("\"><td>").append(esc(v.name()));
            if (v.failed()) {
                h.append(" <span class=\"badge failed\" title=\"").append(esc(firstError(v))).append("\">failed</span>");
            }
            h.append("</td>");
            for (String a : axes) {
                h.append("<td class=\"text\">").append(esc(v.axes().getOrDefault(a, "–"))).append("</td>");
            }
            h.append(num(v.finished().size(), Integer.toString(v.finished().size())));
            h.append(num(v.failedRuns().size(), Integer.toString(v.failedRuns().size())));
            List<String> pareto = new ArrayList<>();
            if (report.paretoOptimal(v.name(), Metric.TRAIN_SECONDS)) {
                pareto.add("time");
            }
            if (report.paretoOptimal(v.name(), Metric.PEAK_RSS_MB)) {
                pareto.add("memory");
            }
            h.append("<td class=\"text\">");
            pareto.forEach(p -> h.append("<span class=\"badge pareto\">").append(p).append("</span>"));
            h.append("</td>");
            for (Metric m : metrics) {
                Stat s = v.stats().get(m.key());
                h.append(s == null ? "<td data-v=\"\">–</td>" : num(s.mean(), m.format(s)));
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div></section>\n");
    }

    private static String firstError(Variant v) {
        return v.failedRuns().isEmpty() ? "" : v.failedRuns().get(0).error();
    }

    private static String num(double value, String text) {
        return "<td data-v=\"" + (Double.isFinite(value) ? String.format(Locale.ROOT, "%.17g", value) : "") + "\">"
                + esc(text) + "</td>";
    }

    private static void figures(StringBuilder h, List<Charts.Chart> charts, Charts.Section section, String id,
            String heading) {
        List<Charts.Chart> these = charts.stream().filter(c -> c.section() == section).toList();
        h.append("<section id=\"").append(id).append("\"><h2>").append(esc(heading)).append("</h2>\n");
        if (these.isEmpty()) {
            h.append("<p class=\"note\">Nothing to draw: no finished run recorded these numbers.</p>\n");
        }
        for (Charts.Chart c : these) {
            h.append("<figure><img class=\"chart\" alt=\"").append(esc(c.title())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(c.png())).append("\">\n<figcaption>")
                    .append(esc(c.caption())).append("</figcaption></figure>\n");
        }
        h.append("</section>\n");
    }

    private static void failures(StringBuilder h, Report report) {
        List<RunResult> failed = report.runs().stream().filter(RunResult::failed).toList();
        if (failed.isEmpty()) {
            return;
        }
        h.append("<section id=\"failures\"><h2>Failed runs</h2>\n<p class=\"note\">Left out of every average and"
                + " comparison.</p>\n<div class=\"scroll\"><table><thead><tr><th>variant</th><th>seed</th>"
                + "<th class=\"text\">folder</th><th class=\"text\">error</th></tr></thead><tbody>\n");
        for (RunResult r : failed) {
            h.append("<tr><td>").append(esc(r.run().variant())).append("</td><td>").append(r.run().seed())
                    .append("</td><td class=\"text\">").append(esc(r.run().dir() == null ? "–" : r.run().dir().toString()))
                    .append("</td><td class=\"error\">").append(esc(r.error())).append("</td></tr>\n");
        }
        h.append("</tbody></table></div></section>\n");
    }

    private static void runTable(StringBuilder h, Report report) {
        List<Metric> metrics = report.metrics();
        h.append("<section id=\"runs\"><h2>Runs</h2>\n<details><summary>Every run's numbers (")
                .append(report.runs().size()).append(")</summary>\n<div class=\"scroll\"><table id=\"run-table\">"
                        + "<thead><tr><th>variant</th><th>seed</th><th class=\"text\">status</th>"
                        + "<th class=\"text\">folder</th>");
        for (Metric m : metrics) {
            h.append("<th>").append(esc(m.label())).append("</th>");
        }
        h.append("</tr></thead><tbody>\n");
        for (RunResult r : report.runs()) {
            h.append("<tr").append(r.failed() ? " class=\"failed\"" : "").append("><td>").append(esc(r.run().variant()))
                    .append("</td><td>").append(r.run().seed()).append("</td><td class=\"text\">")
                    .append(r.failed() ? "failed" : "finished").append("</td><td class=\"text\">")
                    .append(esc(r.run().dir() == null ? "–" : r.run().dir().toString())).append("</td>");
            for (Metric m : metrics) {
                double v = r.value(m.key());
                h.append("<td>").append(esc(m.format(v))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div></details></section>\n");
    }

    /** Text escaped for HTML content and attribute values. */
    static String esc(String s) {
        return Html.escape(s);
    }
}
