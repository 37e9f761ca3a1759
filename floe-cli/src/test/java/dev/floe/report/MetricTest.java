package dev.floe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the page writes numbers: shares as percent, bytes in binary units, "–" for what was not recorded. */
class MetricTest {

    @Test
    void eachUnitIsWrittenTheWayItsColumnSays() {
        assertEquals("82.2", Metric.forKey("final_accuracy").format(0.82167));
        assertEquals("75.0", Metric.forKey("final_f1_macro").format(0.75), "a task metric named like a share");
        assertEquals("453.5 KiB", Metric.forKey("optimizer_state_bytes").format(464_424));
        assertEquals("58,053", Metric.forKey("trainable_params").format(58_053));
        assertEquals("0.56", Metric.forKey("train_seconds").format(0.5596));
        assertEquals("19.90", Metric.forKey("latency_ms_per_example").format(19.9), "milliseconds by name");
        assertEquals("10", Metric.forKey("steps").format(10), "a whole number of an unknown key");
        assertEquals("0.611", Metric.forKey("final_loss").format(0.61122));
        assertEquals("–", Metric.forKey("final_loss").format(Double.NaN));
    }

    @Test
    void meanAndSpreadAreWrittenOnlyWhenTheSeedsDiffer() {
        Metric acc = Metric.forKey("final_accuracy");
        assertEquals("80.0 ± 1.4", acc.format(Stat.of(List.of(0.79, 0.81))));
        assertEquals("80.0", acc.format(Stat.of(List.of(0.8))), "one seed: no spread");
        assertEquals("80.0", acc.format(Stat.of(List.of(0.8, 0.8))), "equal values: no spread");
        assertEquals("–", acc.format((Stat) null));
    }
}
