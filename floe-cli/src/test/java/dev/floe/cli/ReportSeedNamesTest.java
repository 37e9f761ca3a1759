package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe report} on the runs of a sweep given as plain folders: the configs are named
 * {@code <variant>-s<seed>.yaml}, and the variant holding every seed is named without one.
 */
class ReportSeedNamesTest {

    @TempDir
    Path dir;

    private Path train(String name, int seed) throws Exception {
        Path config = Files.writeString(dir.resolve(name + ".yaml"), """
                seed: %d
                data: {format: csv, train: {path: train.csv}, num_classes: 2, eval_fraction: 0.25}
                model:
                  inputs: {x: "[batch, 1]"}
                  components:
                    - {name: head, type: linear_head, features: 1, classes: 2}
                  wires: [{from: x, to: head.in}]
                  outputs: {logits: head.logits}
                optimizer: {type: adamw, lr: 0.01}
                training: {epochs: 1, batch_size: 10}
                """.formatted(seed));
        Path run = dir.resolve("runs").resolve(name);
        PlanCommandTest.Result r = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    @Test
    void runsOfOneVariantWhoseConfigsNameTheirSeedsFormOneVariantNamedWithoutTheSeed() throws Exception {
        StringBuilder csv = new StringBuilder("a,label\n");
        for (int i = 0; i < 20; i++) {
            csv.append(i % 2).append('.').append(i).append(',').append(i % 2).append('\n');
        }
        Files.writeString(dir.resolve("train.csv"), csv);
        Path s1 = train("lr0.01-s1", 1);
        Path s2 = train("lr0.01-s2", 2);
        Path html = dir.resolve("report.html");
        PlanCommandTest.Result r = floe("report", s1.toString(), s2.toString(), "--out", html.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode report = new ObjectMapper().readTree(dir.resolve("sweep.json").toFile());
        assertEquals(1, report.path("variants").size(), report.path("variants").toString());
        assertEquals("lr0.01", report.path("variants").path(0).path("name").asText(),
                "not lr0.01-s1: the variant holds seeds 1 and 2");
        assertEquals(2, report.path("variants").path(0).path("seeds").size());
    }
}
