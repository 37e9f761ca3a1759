package dev.floe.train;

/** Receives progress during {@link Trainer#fit}; the CLI draws its progress bar from it. */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() {};

    /**
     * Before the first batch of an epoch.
     *
     * @param epoch the epoch within its stage, 1-based
     * @param epochs the number of epochs in the stage
     * @param batches the number of batches in the epoch
     */
    default void epochStarted(int epoch, int epochs, int batches) {}

    /**
     * After each optimizer step.
     *
     * @param epoch the epoch within its stage, 1-based
     * @param batch batches of the epoch done so far
     * @param batches the number of batches in the epoch
     * @param loss the batch's mean loss
     * @param accuracy running training accuracy over the epoch so far
     * @param examplesPerSecond running throughput over the epoch so far
     */
    default void batchFinished(int epoch, int batch, int batches, double loss, double accuracy, double examplesPerSecond) {}

    /**
     * After an epoch's last step, before its evaluation, when the trainer times phases
     * ({@link Trainer.Builder#profilePhases(boolean)}); never called otherwise.
     *
     * @param epoch the epoch, 1-based within its stage
     * @param phases where the time of the epoch's steps went
     */
    default void phasesMeasured(int epoch, StepPhases phases) {}

    /**
     * After an epoch and its evaluation (and after {@link #phasesMeasured}, when that is called).
     *
     * @param metrics what the epoch measured: training loss and accuracy, evaluation numbers
     *     (NaN without an evaluation set), time and throughput
     */
    default void epochFinished(EpochMetrics metrics) {}

    /**
     * After a checkpoint is complete and named in the folder's {@code LATEST} file (it follows
     * {@link #epochFinished}). A process killed from here on resumes from this checkpoint.
     *
     * @param checkpoint the checkpoint's folder
     * @param step optimizer steps taken in the run so far
     */
    default void checkpointSaved(java.nio.file.Path checkpoint, long step) {}
}
