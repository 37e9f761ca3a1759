package dev.floe.sweep;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Reports a sweep's progress: one line per run that ends on {@code out}, and, when bars are on, a
 * bar for the sweep (runs done) and one per running run (its epochs, read from the
 * {@code epoch N/M} lines {@code floe train} prints); with bars, the lines are printed when the bars
 * close.
 */
public final class SweepProgress implements RunListener, AutoCloseable {

    private static final Pattern EPOCH = Pattern.compile("^epoch (\\d+)/(\\d+)\\b");
    private static final int UPDATE_MILLIS = 250;

    private final PrintWriter out;
    private final boolean bars;
    private final int total;
    private final ProgressBar sweepBar;
    private final Map<String, ProgressBar> runBars = new LinkedHashMap<>();
    private final java.util.List<String> held = new java.util.ArrayList<>();
    private int done;
    private int failed;

    /**
     * @param out where the progress lines go
     * @param total runs in the sweep
     * @param alreadyDone runs finished by an earlier invocation
     * @param bars whether to draw bars on the terminal (stderr)
     */
    public SweepProgress(PrintWriter out, int total, int alreadyDone, boolean bars) {
        this.out = out;
        this.bars = bars;
        this.total = total;
        this.done = alreadyDone;
        this.sweepBar = bars ? bar("sweep", total).build() : null;
        if (sweepBar != null) {
            sweepBar.stepTo(alreadyDone);
        }
    }

    private static ProgressBarBuilder bar(String name, int max) {
        return new ProgressBarBuilder().setTaskName(name).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(UPDATE_MILLIS)
                .setConsumer(new InteractiveConsoleProgressBarConsumer(new PrintStream(System.err, true)));
    }

    @Override
    public synchronized void output(RunSpec run, String line) {
        Matcher m = EPOCH.matcher(line);
        if (!bars || !m.find()) {
            return;
        }
        int epoch = Integer.parseInt(m.group(1));
        int epochs = Integer.parseInt(m.group(2));
        ProgressBar b = runBars.computeIfAbsent(run.id(), id -> bar(id, epochs).build());
        if (b.getMax() != epochs) {
            b.maxHint(epochs); // the next stage of a staged run
        }
        b.stepTo(epoch);
    }

    @Override
    public synchronized void ended(RunResult r) {
        done++;
        failed += r.finished() ? 0 : 1;
        ProgressBar b = runBars.remove(r.spec().id());
        if (b != null) {
            b.close();
        }
        if (sweepBar != null) {
            sweepBar.stepTo(done);
            sweepBar.setExtraMessage(failed == 0 ? "" : " " + failed + " failed");
        }
        String line = String.format(Locale.ROOT, "[%d/%d] %s %s in %.1f s%s", done, total, r.spec().id(),
                r.finished() ? "finished" : "FAILED", r.seconds(), r.finished() ? "" : ": " + r.error());
        if (bars) {
            held.add(line); // a line printed now would shift the bars, which redraw by moving the cursor up
        } else {
            out.println(line);
            out.flush();
        }
    }

    @Override
    public synchronized void close() {
        runBars.values().forEach(ProgressBar::close);
        runBars.clear();
        if (sweepBar != null) {
            sweepBar.close();
        }
        held.forEach(out::println);
        held.clear();
        out.flush();
    }
}
