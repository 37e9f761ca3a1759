package dev.floe.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.io.Json;
import dev.floe.train.ConfusionMatrix;
import dev.floe.train.EvalResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The final evaluation's per-class scores and confusion matrix survive the manifest's JSON. */
class FinalEvalRecordTest {

    @Test
    void scoresAndConfusionRoundTripAndAbsentOnesReadAsNull() throws Exception {
        ConfusionMatrix m = new ConfusionMatrix(new long[][] {{3, 1}, {0, 0}}, List.of("ham", "spam"));
        RunManifest.FinalEval fin = RunManifest.FinalEval.of(new EvalResult(0.5, 0.75, 4, m));
        ObjectMapper json = Json.mapper();

        RunManifest.FinalEval back = json.readValue(json.writeValueAsString(fin), RunManifest.FinalEval.class);

        assertEquals(fin, back);
        assertEquals(List.of(List.of(3L, 1L), List.of(0L, 0L)), back.confusion());
        assertEquals(0.0, back.perClass().get(1).precision(), "spam predicted once, never right");
        assertEquals(m.macroF1(), back.f1Macro(), 0.0);
        RunManifest.FinalEval old = json.readValue("{\"loss\": 0.5, \"accuracy\": 0.75, \"examples\": 4}",
                RunManifest.FinalEval.class);
        assertNull(old.f1Macro());
        assertNull(old.confusion());
    }
}
