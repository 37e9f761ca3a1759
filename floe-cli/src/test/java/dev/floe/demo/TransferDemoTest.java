package dev.floe.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.data.FashionMnist;
import dev.floe.registry.RegistryLocation;
import dev.floe.train.TrainingListener;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transfer demo is reproducible: one seed on one engine thread gives the same numbers every run. */
class TransferDemoTest {

    /** Two source and two target classes, a stem and one block, two draws of three labels per class. */
    private static final TransferDemo.Settings SMALL = new TransferDemo.Settings(
            new int[] {0, 1}, new int[] {5, 7}, 1, 256, 3, 3, 6, 2, new long[] {4, 8}, 2e-3, 7);

    @TempDir
    Path tmp;

    private TransferDemo.Report run(String registry) {
        return new TransferDemo(SMALL, line -> { }, TrainingListener.NONE).run(FashionMnist.locateDatasets(),
                new TransferDemo.Publish(RegistryLocation.folder(tmp.resolve(registry)), "enc", "run-test", "0".repeat(64),
                        "demo images"));
    }

    @Test
    void theFullSettingsUseTheModelTheStressDeterminismAndSoakRunsUse() {
        // floe-core's ConvGradientStressTest and TrainerTest, and floe-bench's soak, name the demo's
        // model themselves (they cannot depend on floe-cli)
        TransferDemo.Settings full = TransferDemo.Settings.full();
        assertArrayEquals(new long[] {16, 32, 64}, full.widths());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, full.sourceClasses());
        assertEquals(5, full.targetClasses().length);
        assertEquals(25, full.fewShotBatch());
        assertEquals(2e-3, full.lr());
        assertEquals(42, full.seed());
    }

    @Test
    void theSameSeedGivesBitIdenticalAccuraciesAndTheMeanAndStdAreThoseOfTheDraws() {
        TransferDemo.Report first = run("first");
        TransferDemo.Report second = run("second");
        assertEquals(first.encoder(), second.encoder(), "the same pretrained weights, published as enc@1 in each");
        assertEquals(first.sourceAccuracy(), second.sourceAccuracy());
        List<String> names = first.results().stream().map(TransferDemo.ConfigResult::name).toList();
        assertEquals(List.of("scratch", "frozen_encoder", "full_finetune", "top_block"), names);
        for (int i = 0; i < names.size(); i++) {
            TransferDemo.ConfigResult a = first.results().get(i);
            TransferDemo.ConfigResult b = second.results().get(i);
            assertArrayEquals(a.accuracies(), b.accuracies(), a.name());
            assertEquals(SMALL.repeats(), a.accuracies().length, a.name());
            double mean = Arrays.stream(a.accuracies()).average().orElseThrow();
            double d0 = a.accuracies()[0] - mean;
            double d1 = a.accuracies()[1] - mean;
            assertEquals(mean, a.accuracy(), 1e-12, a.name());
            assertEquals(Math.sqrt(d0 * d0 + d1 * d1), a.accuracyStd(), 1e-12, a.name() + ": sample std of two draws");
        }
    }
}
