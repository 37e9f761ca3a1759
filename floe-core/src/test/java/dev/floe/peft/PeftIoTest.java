package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.input;
import static dev.floe.peft.Fixtures.maxAbsDiff;
import static dev.floe.peft.Fixtures.outputs;
import static dev.floe.peft.Fixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.graph.ModelGraph;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.io.TensorData;
import dev.floe.peft.AdapterSpec.Activation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftIoTest {

    private static final float[] X = input(9);

    @TempDir
    Path dir;

    @Test
    void aLoraRoundTripGivesIdenticalOutputsAndTheFileHoldsOnlyTheModule() throws IOException {
        Path file = dir.resolve("task.safetensors");
        LoraSpec spec = new LoraSpec("task", 4, 8, 0.1, "encoder/{fc1,fc2}");
        float[] trained;
        String baseHash;
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, spec);
            randomize(g, "task", 5, 0.3, "/A", "/B");
            trained = outputs(g, X);
            baseHash = PeftIo.baseHash(g, "task");
            PeftIo.save(g, "task", file);
        }
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(
                Set.of("encoder/fc1/lora/task/A", "encoder/fc1/lora/task/B", "encoder/fc2/lora/task/A", "encoder/fc2/lora/task/B"),
                f.tensors().keySet());
        assertEquals(PeftIo.FORMAT, f.metadata().get(PeftIo.FORMAT_KEY));
        assertEquals(baseHash, f.metadata().get("peft.base_hash"));
        assertTrue(baseHash.matches("sha256:[0-9a-f]{64}"), baseHash);

        try (ModelGraph fresh = graph(1)) {
            float[] base = outputs(fresh, X);
            assertEquals(baseHash, PeftIo.hash(fresh, java.util.List.of("encoder")), "same seed, same base");
            assertEquals(spec, PeftIo.load(fresh, file));
            assertEquals(Set.of("task"), fresh.activeAdapters());
            assertArrayEquals(trained, outputs(fresh, X), "the loaded module reproduces the outputs bit for bit");
            assertTrue(maxAbsDiff(base, trained) > 1e-3);

            // loading again into the attached module overwrites its values and keeps its state
            Lora.deactivate(fresh, "task");
            randomize(fresh, "task", 6, 0.3, "/B");
            PeftIo.load(fresh, file);
            assertEquals(Set.of(), fresh.activeAdapters());
            Lora.activate(fresh, "task");
            assertArrayEquals(trained, outputs(fresh, X));
        }
    }

    @Test
    void anAdapterFileCarriesTheProvenanceOfTheRunThatMadeItAndStillLoads() throws IOException {
        Path file = dir.resolve("prov.safetensors");
        LoraSpec spec = new LoraSpec("task", 2, 4, 0.0, "encoder/fc1");
        Map<String, String> provenance = Map.of("floe.run_id", "run-20261130-180000-abcdef", "floe.recipe_sha256", "ab".repeat(32));
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, spec);
            PeftIo.save(g, "task", file, provenance);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.save(g, "task", dir.resolve("bad.safetensors"), Map.of("peft.base_hash", "x")));
            assertTrue(e.getMessage().contains("provenance key 'peft.base_hash'"), e.getMessage());
        }
        Map<String, String> meta = Safetensors.read(file).metadata();
        provenance.forEach((k, v) -> assertEquals(v, meta.get(k), k));
        try (ModelGraph fresh = graph(1)) {
            assertEquals(spec, PeftIo.load(fresh, file));
        }
    }

    @Test
    void anAdapterRoundTripGivesIdenticalOutputs() throws IOException {
        Path file = dir.resolve("ad.safetensors");
        AdapterSpec spec = new AdapterSpec("ad", 4, "encoder/fc2", Activation.GELU);
        float[] trained;
        try (ModelGraph g = graph(2)) {
            Adapters.inject(g, spec);
            randomize(g, "ad", 7, 0.3, "/weight", "/bias");
            trained = outputs(g, X);
            PeftIo.save(g, "ad", file);
        }
        try (ModelGraph fresh = graph(2)) {
            assertEquals(spec, PeftIo.load(fresh, file));
            assertArrayEquals(trained, outputs(fresh, X));
            assertEquals(spec, Adapters.attached(fresh).get("ad"));
        }
    }

    @Test
    void loadingOntoADifferentBaseFailsNamingBothHashesAndChangesNothing() throws IOException {
        Path file = dir.resolve("task.safetensors");
        String trainedOn;
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("task", 2, "encoder/**"));
            trainedOn = PeftIo.baseHash(g, "task");
            PeftIo.save(g, "task", file);
        }
        try (ModelGraph other = graph(2)) {
            int params = other.parameters().size();
            float[] before = outputs(other, X);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftIo.load(other, file));
            String found = PeftIo.hash(other, java.util.List.of("encoder"));
            assertNotEquals(trainedOn, found);
            assertTrue(e.getMessage().contains("trained on base " + trainedOn), e.getMessage());
            assertTrue(e.getMessage().contains("is " + found), e.getMessage());
            assertTrue(e.getMessage().contains("load it onto the base it was trained on"), e.getMessage());
            assertEquals(params, other.parameters().size(), "nothing injected");
            assertTrue(other.activeAdapters().isEmpty());
            assertArrayEquals(before, outputs(other, X));
        }
    }

    @Test
    void aTrainedBaseNoLongerMatches() throws IOException {
        Path file = dir.resolve("task.safetensors");
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("task", 2, "encoder/out"));
            PeftIo.save(g, "task", file);
        }
        try (ModelGraph g = graph(1)) {
            // fc1 is not targeted but feeds the targeted layer: the base is the whole component
            var w = g.parameters().get("encoder/fc1/bias");
            float[] v = w.toFloatArray();
            v[0] += 1e-3f;
            w.load(v, w.shape().getShape());
            assertThrows(IllegalArgumentException.class, () -> PeftIo.load(g, file));
        }
    }

    @Test
    void misShapedOrForeignFilesAreRejectedBeforeAnythingIsInjected() throws IOException {
        Path file = dir.resolve("task.safetensors");
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("task", 2, "encoder/fc1"));
            PeftIo.save(g, "task", file);
        }
        SafetensorsFile f = Safetensors.read(file);
        Map<String, TensorData> tensors = new LinkedHashMap<>(f.tensors());
        tensors.put("encoder/fc1/lora/task/B", TensorData.ofFloats(new long[] {16, 3}, new float[48]));
        Path bad = dir.resolve("bad.safetensors");
        Safetensors.write(bad, tensors, f.metadata());

        Map<String, String> newer = new LinkedHashMap<>(f.metadata());
        newer.put(PeftIo.FORMAT_KEY, "floe-peft/2");
        Path future = dir.resolve("future.safetensors");
        Safetensors.write(future, f.tensors(), newer);

        Map<String, String> extraKey = new LinkedHashMap<>(f.metadata());
        extraKey.put("peft.comment", "written by a later minor version");
        Path tolerant = dir.resolve("tolerant.safetensors");
        Safetensors.write(tolerant, f.tensors(), extraKey);

        try (ModelGraph g = graph(1)) {
            int params = g.parameters().size();
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> PeftIo.load(g, bad));
            assertTrue(shape.getMessage().contains("encoder/fc1/lora/task/B has shape [16, 3]")
                    && shape.getMessage().contains("expects [16, 2]"), shape.getMessage());
            IllegalArgumentException version = assertThrows(IllegalArgumentException.class, () -> PeftIo.load(g, future));
            assertTrue(version.getMessage().contains("upgrade Floe"), version.getMessage());
            assertEquals(params, g.parameters().size());
            assertTrue(g.activeAdapters().isEmpty());
            PeftIo.load(g, tolerant);
            assertEquals(Set.of("task"), g.activeAdapters());
        }
    }

    @Test
    void aFileOfFormatVersion1StillLoads() throws IOException {
        Path file = dir.resolve("golden-v1.safetensors");
        java.nio.file.Files.write(file, java.util.Base64.getDecoder().decode(GoldenFiles.LORA_V1_BASE64));
        try (ModelGraph g = graph(1)) {
            assertEquals(new LoraSpec("golden", 1, 2.0, 0.0, "encoder/out"), PeftIo.load(g, file));
            float[] a = g.parameters().get("encoder/out/lora/golden/A").toFloatArray();
            float[] b = g.parameters().get("encoder/out/lora/golden/B").toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals((i - 8) * 0.0625f, a[i]);
            }
            for (int i = 0; i < b.length; i++) {
                assertEquals((i + 1) * 0.125f, b[i]);
            }
        }
    }

    @Test
    void aMergedBaseCannotSaveOrLoadModules() throws IOException {
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("a", 2, "encoder/**"));
            Lora.inject(g, LoraSpec.of("b", 2, "encoder/out"));
            randomize(g, "a", 1, 0.3, "/B");
            Lora.merge(g, "a");
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> PeftIo.save(g, "b", dir.resolve("b.safetensors")));
            assertTrue(e.getMessage().contains("LoRA 'a' is merged") && e.getMessage().contains("unmerge"), e.getMessage());
            Lora.unmerge(g, "a");
            PeftIo.save(g, "b", dir.resolve("b.safetensors"));
            IllegalArgumentException unknown =
                    assertThrows(IllegalArgumentException.class, () -> PeftIo.save(g, "c", dir.resolve("c.safetensors")));
            assertTrue(unknown.getMessage().contains("[a (lora), b (lora)]"), unknown.getMessage());
        }
    }
}
