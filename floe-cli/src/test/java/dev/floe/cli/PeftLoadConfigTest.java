package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.config.ExperimentConfig;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.io.TensorData;
import dev.floe.nn.Param;
import dev.floe.peft.LoraMerge;
import dev.floe.peft.PeftIo;
import dev.floe.run.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft.load} and {@code peft.merge_lora}: a config starts from adapters a first run trained
 * and {@code floe peft save} wrote — a fusion trains over a frozen loaded LoRA module and a fresh
 * adapter, two loaded modules merge as {@link LoraMerge} merges them, and bad entries are refused in
 * one line at their YAML key.
 */
class PeftLoadConfigTest {

    private static final String FIRST = """
            peft:
              lora:
                - {name: a, target: "encoder/**/attention/self/{query,value}", rank: 2}
                - {name: b, target: "encoder/**/attention/self/{query,value}", rank: 2}
            """;

    @TempDir
    Path dir;

    private Path adapters;

    private String withPeft(String peft, int seed) {
        String text = PredictTextLoraTest.CONFIG.replace("seed: 4", "seed: " + seed);
        return text.substring(0, text.indexOf("peft:")) + peft + text.substring(text.indexOf("policy:"));
    }

    private Path train(String config, String name) throws Exception {
        Path file = Files.writeString(dir.resolve(name + ".yaml"), config);
        Path run = dir.resolve(name);
        Result r = floe("train", file.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    /** Trains the first run (LoRA a and b) and saves its modules to {@code adapters/}. */
    @BeforeEach
    void firstRun() throws Exception {
        String spam = "{\"text\": \"win money fast\", \"label\": \"spam\"}\n{\"text\": \"free prize now\", \"label\": \"spam\"}\n";
        String ham = "{\"text\": \"meeting at noon\", \"label\": \"ham\"}\n{\"text\": \"notes from the call\", \"label\": \"ham\"}\n";
        Files.writeString(dir.resolve("train.jsonl"), spam + ham);
        Files.writeString(dir.resolve("test.jsonl"), spam + ham);
        Path run = train(withPeft(FIRST, 4), "first");
        adapters = dir.resolve("adapters");
        Result r = floe("peft", "save", run.toString(), "--out", adapters.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void aFusionTrainsOverAFrozenLoadedLoraAndAFreshAdapter() throws Exception {
        String peft = """
                peft:
                  load:
                    - {name: t1, file: adapters/a.safetensors}
                  adapters:
                    - {name: fresh, target: "encoder/**/attention/self/{query,value}", bottleneck: 2}
                  compose:
                    - {name: fuse, type: fusion, members: [t1, fresh]}
                  active: [fuse, fresh]
                """;
        Result plan = floe("plan", Files.writeString(dir.resolve("plan.yaml"), withPeft(peft, 4)).toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("peft: loaded lora 't1' from adapters/a.safetensors, 64 parameters, frozen"),
                plan.out());

        Path run = train(withPeft(peft, 4), "second");
        SafetensorsFile trained = Safetensors.read(run.resolve(TrainCommand.WEIGHTS_FILE));
        SafetensorsFile saved = Safetensors.read(adapters.resolve("a.safetensors"));
        int loaded = 0;
        for (Map.Entry<String, TensorData> e : saved.tensors().entrySet()) {
            String path = e.getKey().replace("/lora/a/", "/lora/t1/");
            assertArrayEquals(e.getValue().toFloats(), trained.tensors().get(path).toFloats(), path);
            loaded++;
        }
        assertEquals(4, loaded, "A and B on 2 layers");

        Path fresh = Files.writeString(dir.resolve("fresh.yaml"), withPeft(peft, 4));
        int fusion = 0;
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(fresh), fresh)) {
            for (Param p : e.graph().parameters().values()) {
                if ("fuse".equals(p.adapter())) {
                    assertFalse(java.util.Arrays.equals(p.toFloatArray(), trained.tensors().get(p.path()).toFloats()),
                            "fusion parameter " + p.path() + " did not change in training");
                    fusion++;
                }
            }
        }
        assertEquals(6, fusion, "query, key and value on 2 layers");
    }

    @Test
    void mergeLoraOfTwoLoadedModulesEqualsLoraMerge() throws Exception {
        for (String method : new String[] {"linear", "svd"}) {
            String peft = """
                    peft:
                      load:
                        - {name: t1, file: adapters/a.safetensors}
                        - {name: t2, file: adapters/b.safetensors}
                      merge_lora:
                        - {name: both, from: [t1, t2], weights: [0.7, 0.3], method: METHOD, rank: 2}
                    """.replace("METHOD", method);
            Path config = Files.writeString(dir.resolve(method + ".yaml"), withPeft(peft, 4));
            Result plan = floe("plan", config.toString());
            assertEquals(0, plan.code(), plan.err());
            assertTrue(plan.out().contains("peft: merge_lora 'both' = " + method + " merge of {t1=0.7, t2=0.3}, rank "
                    + (method.equals("svd") ? 2 : 4)), plan.out());
            assertTrue(plan.out().contains("relative reconstruction error max"), plan.out());
            assertEquals(method.equals("svd"), plan.out().contains("(per layer: encoder/"), plan.out());

            Path bare = Files.writeString(dir.resolve("bare.yaml"), withPeft("", 4));
            Map<String, float[]> expected = new LinkedHashMap<>();
            try (Experiment e = PlanCommand.build(ExperimentConfig.load(bare), bare)) {
                PeftIo.load(e.graph(), adapters.resolve("a.safetensors"), "t1");
                PeftIo.load(e.graph(), adapters.resolve("b.safetensors"), "t2");
                Map<String, Double> weights = new LinkedHashMap<>();
                weights.put("t1", 0.7);
                weights.put("t2", 0.3);
                if (method.equals("svd")) {
                    LoraMerge.svd(e.graph(), "both", weights, 2);
                } else {
                    LoraMerge.linear(e.graph(), "both", weights);
                }
                e.graph().parameters().values().stream().filter(p -> "both".equals(p.adapter()))
                        .forEach(p -> expected.put(p.path(), p.toFloatArray()));
            }
            assertEquals(4, expected.size(), "A and B on 2 layers");
            try (Experiment e = PlanCommand.build(ExperimentConfig.load(config), config)) {
                for (Map.Entry<String, float[]> x : expected.entrySet()) {
                    float[] got = e.graph().parameters().get(x.getKey()).toFloatArray();
                    assertEquals(x.getValue().length, got.length, x.getKey());
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(x.getValue()[i], got[i], 1e-5, x.getKey() + "[" + i + "]");
                    }
                }
                assertTrue(e.graph().activeAdapters().contains("both"), "a merge_lora module is active by default");
                assertFalse(e.graph().activeAdapters().contains("t1"), "a loaded module is frozen by default");
            }
        }
    }

    @Test
    void aPeftFolderLoadsWithItsFactorsAndTrainableMakesItActive() throws Exception {
        Path bare = Files.writeString(dir.resolve("bare.yaml"), withPeft("", 4));
        Path folder = dir.resolve("hf-a");
        Map<String, float[]> expected = new LinkedHashMap<>();
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(bare), bare)) {
            PeftIo.load(e.graph(), adapters.resolve("a.safetensors"));
            dev.floe.peft.PeftFormat.write(e.graph(), "a", folder, "org/tiny");
            e.graph().parameters().values().stream().filter(p -> "a".equals(p.adapter()))
                    .forEach(p -> expected.put(p.path().replace("/lora/a/", "/lora/imp/"), p.toFloatArray()));
        }
        String peft = "peft:\n  load:\n    - {name: imp, file: hf-a, trainable: true}\n";
        Path config = Files.writeString(dir.resolve("folder.yaml"), withPeft(peft, 4));
        Result plan = floe("plan", config.toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("peft: loaded lora 'imp' from hf-a, 64 parameters, trainable, active"), plan.out());
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(config), config)) {
            assertEquals(4, expected.size());
            for (Map.Entry<String, float[]> x : expected.entrySet()) {
                float[] got = e.graph().parameters().get(x.getKey()).toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(x.getValue()[i], got[i], 1e-6, x.getKey() + "[" + i + "]");
                }
            }
            assertTrue(e.graph().activeAdapters().contains("imp"), "trainable: true makes a loaded module active");
        }

        // base_model is checked against the folder's base_model_name_or_path ("org/tiny")
        Path same = Files.writeString(dir.resolve("same.yaml"), withPeft(
                "peft:\n  load:\n    - {name: imp, file: hf-a, trainable: true, base_model: ORG/Tiny}\n", 4));
        Result sameBase = floe("plan", same.toString());
        assertEquals(0, sameBase.code(), sameBase.err());
        Path other = Files.writeString(dir.resolve("other-base.yaml"), withPeft(
                "peft:\n  load:\n    - {name: imp, file: hf-a, base_model: bert-base-uncased}\n", 4));
        Result otherBase = floe("plan", other.toString());
        assertEquals(2, otherBase.code(), otherBase.out() + otherBase.err());
        assertEquals(1, otherBase.err().strip().lines().count(), otherBase.err());
        assertTrue(otherBase.err().contains("peft.load[0].file") && otherBase.err().contains("org/tiny")
                && otherBase.err().contains("bert-base-uncased"), otherBase.err());
        Path onFile = Files.writeString(dir.resolve("file-base.yaml"), withPeft(
                "peft:\n  load:\n    - {name: t1, file: adapters/a.safetensors, base_model: org/tiny}\n", 4));
        Result fileBase = floe("plan", onFile.toString());
        assertEquals(2, fileBase.code(), fileBase.out() + fileBase.err());
        assertTrue(fileBase.err().contains("peft.load[0].base_model") && fileBase.err().contains("Floe adapter file"),
                fileBase.err());
    }

    @Test
    void badEntriesAreRefusedInOneLineAtTheirKey() throws Exception {
        String load = """
                peft:
                  load:
                    - {name: t1, file: adapters/a.safetensors}
                    - {name: t2, file: adapters/b.safetensors}
                  adapters:
                    - {name: ffn, target: "encoder/**/output/dense", bottleneck: 2}
                  lora:
                    - {name: out, target: "encoder/**/output/dense", rank: 2}
                """;
        String[][] cases = {
                {"    - {name: t1, file: adapters/missing.safetensors}\n", "peft.load[0].file", "found nothing at"},
                {"    - {name: ffn, file: adapters/a.safetensors}\n", "peft.load[0].name", "already has that name"},
                {"  merge_lora:\n    - {name: m, from: [t1, nope], weights: [1, 1]}\n", "peft.merge_lora[0].from[1]",
                        "which is no peft module"},
                {"  merge_lora:\n    - {name: m, from: [t1, t2], weights: [1]}\n", "peft.merge_lora[0].weights",
                        "expected one weight per module of from (2), found 1"},
                {"  merge_lora:\n    - {name: m, from: [t1, ffn], weights: [1, 1]}\n", "peft.merge_lora[0].from[1]",
                        "which is not a LoRA module"},
                {"  merge_lora:\n    - {name: m, from: [t1, out], weights: [1, 1]}\n", "peft.merge_lora[0].from",
                        "layers"},
                {"  merge_lora:\n    - {name: m, from: [t1, t2], weights: [1, 1], method: svd}\n",
                        "peft.merge_lora[0].rank", "method svd needs rank"},
                {"  active: [t1]\n", "peft.active[0]", "set trainable: true"},
        };
        for (String[] c : cases) {
            String peft = c[0].startsWith("    - {name: t1") || c[0].startsWith("    - {name: ffn")
                    ? load.replace("    - {name: t1, file: adapters/a.safetensors}\n", c[0])
                    : load + c[0];
            Path bad = Files.writeString(dir.resolve("bad.yaml"), withPeft(peft, 4));
            Result r = floe("plan", bad.toString());
            assertEquals(2, r.code(), c[1] + ": " + r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("floe: ") && r.err().contains(c[1]) && r.err().contains(c[2]), r.err());
        }
        Path otherBase = Files.writeString(dir.resolve("other.yaml"), withPeft(load, 5));
        Result r = floe("plan", otherBase.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("peft.load[0].file") && r.err().contains("trained on base"), r.err());
    }
}
