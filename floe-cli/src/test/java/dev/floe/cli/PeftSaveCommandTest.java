package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.config.ExperimentConfig;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.nn.Param;
import dev.floe.peft.PeftIo;
import dev.floe.run.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe peft save}: a trained run's modules and its fusion come out as adapter-only files that
 * load onto a fresh copy of the base with the trained values, and onto no other base.
 */
class PeftSaveCommandTest {

    private static final String PEFT = """
            peft:
              lora:
                - {name: a, target: "encoder/**/attention/self/{query,value}", rank: 2}
                - {name: b, target: "encoder/**/attention/self/{query,value}", rank: 2}
              prompts:
                - {name: soft, type: prompt, virtual_tokens: 2}
              compose:
                - {name: fuse, type: fusion, members: [a, b]}
              active: [fuse, soft, a]
            """;

    @TempDir
    Path dir;

    private String withPeft(String peft, int seed) {
        String text = PredictTextLoraTest.CONFIG.replace("seed: 4", "seed: " + seed);
        return text.substring(0, text.indexOf("peft:")) + peft + text.substring(text.indexOf("policy:"));
    }

    private Path train(String config, String name) throws Exception {
        String spam = "{\"text\": \"win money fast\", \"label\": \"spam\"}\n{\"text\": \"free prize now\", \"label\": \"spam\"}\n";
        String ham = "{\"text\": \"meeting at noon\", \"label\": \"ham\"}\n{\"text\": \"notes from the call\", \"label\": \"ham\"}\n";
        Files.writeString(dir.resolve("train.jsonl"), spam + ham);
        Files.writeString(dir.resolve("test.jsonl"), spam + ham);
        Path file = Files.writeString(dir.resolve(name + ".yaml"), config);
        Path run = dir.resolve(name);
        Result r = floe("train", file.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    @Test
    void aRunsModulesAndFusionSaveAndReloadOntoAFreshBaseWithTheTrainedValues() throws Exception {
        Path run = train(withPeft(PEFT, 4), "fusion");
        Path out = dir.resolve("adapters");
        Result r = floe("peft", "save", run.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fuse.safetensors: fusion 'fuse' of [a, b], 384 parameters, base sha256:"), r.out());
        assertTrue(r.out().contains("soft.safetensors: prompt 'soft'"), r.out());

        SafetensorsFile trained = Safetensors.read(run.resolve(TrainCommand.WEIGHTS_FILE));
        Path bare = Files.writeString(dir.resolve("bare.yaml"), withPeft("", 4));
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(bare), bare)) {
            for (String m : List.of("a", "b", "soft")) {
                PeftIo.load(e.graph(), out.resolve(m + ".safetensors"));
            }
            PeftIo.loadComposition(e.graph(), out.resolve("fuse.safetensors"));
            int adapterParams = 0;
            for (Param p : e.graph().parameters().values()) {
                if (p.adapter() != null) {
                    assertArrayEquals(trained.tensors().get(p.path()).toFloats(), p.toFloatArray(), p.path());
                    adapterParams++;
                }
            }
            assertEquals(4 * 2 + 2 * 3 + 1, adapterParams, "A and B of a and b on 2 layers, the fusion's 3 per layer,"
                    + " the prompt");
        }
        Path otherBase = Files.writeString(dir.resolve("other.yaml"), withPeft("", 5));
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(otherBase), otherBase)) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.load(e.graph(), out.resolve("a.safetensors")));
            assertTrue(refused.getMessage().contains("trained on base"), refused.getMessage());
        }

        Result again = floe("peft", "save", run.toString(), "--out", out.toString(), "--module", "a");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("a.safetensors already exists") && again.err().contains("--force"), again.err());
        Result unknown = floe("peft", "save", run.toString(), "--out", out.toString(), "--module", "c");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("has no peft module or composition 'c'; it has [a, b, soft, fuse]"),
                unknown.err());
    }

    @Test
    void aMergedRunIsRefusedInOneLineAndNothingIsWritten() throws Exception {
        Path run = train(PredictTextLoraTest.CONFIG.replace("MERGE", "true"), "merged");
        Path out = dir.resolve("none");
        Result r = floe("peft", "save", run.toString(), "--out", out.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("peft.merge: true") && r.err().contains("train with merge: false"), r.err());
        assertFalse(Files.exists(out));
    }
}
