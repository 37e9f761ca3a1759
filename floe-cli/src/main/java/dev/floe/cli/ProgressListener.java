package dev.floe.cli;

import dev.floe.train.EpochMetrics;
import dev.floe.train.TrainingListener;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Draws one progress bar per epoch with loss, accuracy and examples/s; silent when disabled. */
final class ProgressListener implements TrainingListener {

    private final boolean enabled;
    private final String task;
    private ProgressBar bar;

    ProgressListener(String task, boolean enabled) {
        this.task = task;
        this.enabled = enabled;
    }

    private int epochs;

    /** Epochs of the stage in progress. */
    int epochs() {
        return epochs;
    }

    @Override
    public void epochStarted(int epoch, int epochs, int batches) {
        this.epochs = epochs;
        if (!enabled) {
            return;
        }
        bar = new ProgressBarBuilder()
                .setTaskName(String.format(Locale.ROOT, "%s %d/%d", task, epoch, epochs))
                .setInitialMax(batches)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(new PrintStream(System.err, true)))
                .build();
    }

    @Override
    public void batchFinished(int epoch, int batch, int batches, double loss, double accuracy, double examplesPerSecond) {
        if (bar != null) {
            bar.stepTo(batch);
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f acc %.3f %.0f ex/s", loss, accuracy, examplesPerSecond));
        }
    }

    @Override
    public void epochFinished(EpochMetrics metrics) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
