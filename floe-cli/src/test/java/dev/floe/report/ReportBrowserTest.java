package dev.floe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Json;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated report opened in headless Chromium (Debian's {@code chromium} package): its charts
 * load, its table has one row per variant and sorts when a heading is clicked, it logs nothing to the
 * console and records no page error; a screenshot goes to {@code target/report-screenshot.png}.
 *
 * <p>A probe script appended to a copy of the page clicks the accuracy heading twice and writes what
 * it saw into the DOM, which {@code --dump-dom} prints after the page has loaded. Console messages
 * reach Chromium's stderr ({@code --enable-logging=stderr}) as {@code CONSOLE} lines.
 */
class ReportBrowserTest {

    private static final List<String> HEADLESS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000");
    private static final long BROWSER_TIMEOUT_SECONDS = 60;
    private static final Pattern CONSOLE = Pattern.compile("^.*:CONSOLE[:(].*$", Pattern.MULTILINE);
    private static final Pattern PROBE_RESULT = Pattern.compile("<pre id=\"probe-result\">(.*?)</pre>", Pattern.DOTALL);

    /** Clicks the accuracy heading twice and records images, rows, orders and page errors. */
    private static final String PROBE = """
            <script>
            window.addEventListener('load', function () {
              var out = {};
              var imgs = Array.prototype.slice.call(document.querySelectorAll('img'));
              out.images = imgs.length;
              out.loaded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
              var table = document.getElementById('variant-table');
              function order() {
                return Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.getAttribute('data-variant'); });
              }
              out.rows = table.tBodies[0].rows.length;
              out.before = order();
              var heading = table.querySelector('th[data-key="final_accuracy"]');
              heading.click();
              out.ascending = order();
              out.ariaSort = heading.getAttribute('aria-sort');
              heading.click();
              out.descending = order();
              out.ready = document.body.getAttribute('data-ready');
              out.errors = window.floeErrors || ['the page\\'s error recorder is missing'];
              out.errorBox = document.getElementById('page-errors').hidden ? '' : document.getElementById('page-errors').textContent;
              var pre = document.createElement('pre');
              pre.id = 'probe-result';
              pre.textContent = JSON.stringify(out);
              document.body.appendChild(pre);
            });
            </script>
            """;

    @TempDir
    static Path tmp;

    private static String chromium;
    private static Path page;

    @BeforeAll
    static void report() throws Exception {
        chromium = onPath("chromium");
        if (chromium == null) {
            fail("the report browser test needs Debian's chromium on the PATH; install it with"
                    + " `apt-get install -y chromium` (.ci/run does this before the build)");
        }
        // variants with accuracies 0.70, 0.90, 0.80 (mean of two seeds each) and one whose runs all failed
        double[] accuracy = {0.70, 0.90, 0.80};
        String[] policy = {"frozen", "full", "lora"};
        List<ReportRun> runs = new ArrayList<>();
        for (int v = 0; v < 3; v++) {
            for (long seed = 1; seed <= 2; seed++) {
                Map<String, String> axes = new LinkedHashMap<>();
                axes.put("policy", policy[v]);
                double acc = accuracy[v] + (seed == 1 ? -0.01 : 0.01);
                Path dir = SyntheticRuns.finishedRun(tmp.resolve(policy[v] + seed), policy[v] + ".yaml", 0.01, seed,
                        SyntheticRuns.result(acc, 1 + 3 * v + seed, 300 + 100 * v));
                runs.add(new ReportRun("policy=" + policy[v], axes, seed, dir, null));
            }
        }
        runs.add(new ReportRun("policy=adapter", Map.of("policy", "adapter"), 1, null, "worker exited with code 137"));
        page = tmp.resolve("report.html");
        Report.build("Browser check <sweep>", runs).write(tmp.resolve("sweep.json"), page);
    }

    @Test
    void chartsLoadTheTableHasARowPerVariantAndSortsAndThePageHasNoErrors() throws Exception {
        Path probe = tmp.resolve("probe.html");
        Files.writeString(probe, Files.readString(page).replace("</body>", PROBE + "</body>"));
        Browser run = browse(probe, "--dump-dom");
        Matcher m = PROBE_RESULT.matcher(run.stdout());
        assertTrue(m.find(), "the probe wrote no result; chromium printed:\n" + run.stdout() + "\n" + run.stderr());
        JsonNode r = Json.mapper().readTree(m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
        assertEquals(5, r.get("images").asInt(), "two Pareto charts, accuracy bars, accuracy and loss curves");
        assertEquals(r.get("images").asInt(), r.get("loaded").asInt(), "every chart image decodes (naturalWidth > 0)");
        assertEquals(4, r.get("rows").asInt(), "one row per variant, the failed one included");
        assertEquals(List.of("policy=frozen", "policy=full", "policy=lora", "policy=adapter"), strings(r.get("before")));
        assertEquals(List.of("policy=frozen", "policy=lora", "policy=full", "policy=adapter"), strings(r.get("ascending")),
                "ascending accuracy, the failed variant (no accuracy) last");
        assertEquals("ascending", r.get("ariaSort").asText());
        assertEquals(List.of("policy=full", "policy=lora", "policy=frozen", "policy=adapter"), strings(r.get("descending")));
        assertEquals("true", r.get("ready").asText(), "the page's script ran to its end");
        assertEquals(0, r.get("errors").size(), "page errors: " + r.get("errors"));
        assertEquals("", r.get("errorBox").asText());
        List<String> console = CONSOLE.matcher(run.stderr()).results().map(x -> x.group()).toList();
        assertEquals(List.of(), console, "console messages while loading the page");
    }

    @Test
    void aScriptErrorInThePageIsRecordedWhereTheBrowserCheckReadsIt() throws Exception {
        Path broken = tmp.resolve("broken.html");
        Files.writeString(broken, Files.readString(page)
                .replace("</body>", "<script>notAFunction();</script>" + PROBE + "</body>"));
        Browser run = browse(broken, "--dump-dom");
        Matcher m = PROBE_RESULT.matcher(run.stdout());
        assertTrue(m.find(), run.stderr());
        JsonNode r = Json.mapper().readTree(m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
        assertEquals(1, r.get("errors").size(), r.toString());
        assertTrue(r.get("errors").get(0).asText().contains("notAFunction"), r.toString());
        assertTrue(r.get("errorBox").asText().startsWith("Page errors:"), r.toString());
        assertTrue(CONSOLE.matcher(run.stderr()).find(), "chromium logs the uncaught error as a CONSOLE line");
    }

    @Test
    void aScreenshotOfThePageIsSavedIntoTarget() throws Exception {
        Path shot = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        Browser run = browse(page, "--screenshot=" + shot, "--window-size=1280,1800");
        assertTrue(Files.size(shot) > 10_000, "screenshot written: " + run.stderr());
        assertEquals(List.of(), CONSOLE.matcher(run.stderr()).results().map(x -> x.group()).toList());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private record Browser(String stdout, String stderr) {}

    private static Browser browse(Path file, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(chromium);
        cmd.addAll(HEADLESS);
        cmd.add("--user-data-dir=" + Files.createTempDirectory(tmp, "profile"));
        cmd.addAll(List.of(extra));
        cmd.add(file.toUri().toString());
        Path stdout = Files.createTempFile(tmp, "stdout", ".txt");
        Path stderr = Files.createTempFile(tmp, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(BROWSER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("chromium did not finish within " + BROWSER_TIMEOUT_SECONDS + " s: " + String.join(" ", cmd));
        }
        return new Browser(Files.readString(stdout, StandardCharsets.UTF_8), Files.readString(stderr, StandardCharsets.UTF_8));
    }

    private static String onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
