package dev.floe.peft;

import static dev.floe.peft.Fixtures.graph;
import static dev.floe.peft.Fixtures.input;
import static dev.floe.peft.Fixtures.maxAbsDiff;
import static dev.floe.peft.Fixtures.outputs;
import static dev.floe.peft.Fixtures.randomize;
import static dev.floe.peft.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.freeze.FreezePlan;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.io.Safetensors;
import dev.floe.optim.OptimizerSpec;
import dev.floe.peft.CompositionSpec.Kind;
import dev.floe.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compositions save and load like modules: a trained fusion's attention weights reload onto the same
 * base and members to the same outputs, and a different base or different members are refused
 * before anything changes; a module loads under a new name so two same-named files sit side by side.
 */
class PeftIoCompositionTest {

    private static final float[] X = input(13);

    @TempDir
    Path dir;

    /** A LoRA module and an adapter on encoder/fc1, both with non-zero updates. */
    private static ModelGraph members(long seed) {
        ModelGraph g = graph(seed);
        Lora.inject(g, LoraSpec.of("a", 2, "encoder/fc1"));
        Adapters.inject(g, AdapterSpec.of("b", 4, "encoder/fc1"));
        randomize(g, "a", 3, 0.4, "/A", "/B");
        randomize(g, "b", 4, 0.4, "/up/weight", "/down/weight", "/down/bias");
        return g;
    }

    @Test
    void aTrainedFusionSavesItsAttentionAloneAndReloadsOntoTheSameMembersToTheSameOutputs() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        Path fuse = dir.resolve("fuse.safetensors");
        float[] trained;
        try (ModelGraph g = members(1)) {
            PeftIo.save(g, "a", a);
            PeftIo.save(g, "b", b);
            Composition.compose(g, new CompositionSpec("fuse", Kind.FUSION, List.of("a", "b")), true);
            Lora.deactivate(g, "a");
            Adapters.deactivate(g, "b");
            FreezePlan plan = FreezePolicy.builder().build().resolve(g);
            Map<String, float[]> before = snapshot(g);
            try (Trainer t = Trainer.builder().plan(plan).optimizer(OptimizerSpec.adamW(1e-2)).output("logits")
                    .batchSize(16).epochs(1).seed(3).build()) {
                t.fit(Fixtures.blobs(96, 1), null);
            }
            for (String path : before.keySet()) {
                boolean same = Arrays.equals(before.get(path), g.parameters().get(path).toFloatArray());
                assertEquals(!path.contains("/fusion/fuse/") && !path.startsWith("head/"), same,
                        path + ": only the fusion (and the head) train; the members stay frozen");
            }
            trained = outputs(g, X);
            PeftIo.save(g, "fuse", fuse, Map.of("floe.run_id", "run-1"));
        }
        var file = Safetensors.read(fuse);
        assertEquals(Set.of("encoder/fc1/fusion/fuse/query", "encoder/fc1/fusion/fuse/key",
                "encoder/fc1/fusion/fuse/value"), file.tensors().keySet(), "only the fusion's own parameters");
        assertEquals("composition", file.metadata().get("peft.kind"));
        assertEquals("fusion", file.metadata().get("peft.type"));
        assertEquals("a,b", file.metadata().get("peft.members"));
        assertEquals("run-1", file.metadata().get("floe.run_id"));

        try (ModelGraph fresh = graph(1)) {
            PeftIo.load(fresh, a);
            PeftIo.load(fresh, b);
            assertEquals(new CompositionSpec("fuse", Kind.FUSION, List.of("a", "b")), PeftIo.loadComposition(fresh, fuse));
            int features = Fixtures.BATCH * 8; // the head trained too and is not part of the adapter files
            assertArrayEquals(Arrays.copyOf(trained, features), Arrays.copyOf(outputs(fresh, X), features),
                    "the reloaded fusion reproduces the features bit for bit");
            assertTrue(fresh.activeAdapters().contains("fuse"));
            // loading again into the existing composition overwrites its values
            randomize(fresh, "fuse", 8, 0.5, "/key");
            PeftIo.loadComposition(fresh, fuse);
            assertArrayEquals(Arrays.copyOf(trained, features), Arrays.copyOf(outputs(fresh, X), features));
        }
    }

    @Test
    void aStackFileHoldsNoTensorsAndReloadsToTheSameOutputs() throws IOException {
        float[] stacked;
        try (ModelGraph g = members(2)) {
            Composition.compose(g, new CompositionSpec("ab", Kind.STACK, List.of("b", "a")), true);
            stacked = outputs(g, X);
            PeftIo.save(g, "a", dir.resolve("a.safetensors"));
            PeftIo.save(g, "b", dir.resolve("b.safetensors"));
            PeftIo.save(g, "ab", dir.resolve("ab.safetensors"));
        }
        assertEquals(Set.of(), Safetensors.read(dir.resolve("ab.safetensors")).tensors().keySet());
        try (ModelGraph fresh = graph(2)) {
            PeftIo.load(fresh, dir.resolve("a.safetensors"));
            PeftIo.load(fresh, dir.resolve("b.safetensors"));
            float[] uncomposed = outputs(fresh, X);
            assertEquals(Kind.STACK, PeftIo.loadComposition(fresh, dir.resolve("ab.safetensors")).kind());
            assertArrayEquals(stacked, outputs(fresh, X));
            assertTrue(maxAbsDiff(uncomposed, stacked) > 1e-4, "the order b then a is what the file restored");
        }
    }

    @Test
    void otherMembersOrAnotherBaseOrMissingMembersAreRefusedBeforeAnythingChanges() throws IOException {
        Path fuse = dir.resolve("fuse.safetensors");
        try (ModelGraph g = members(1)) {
            PeftIo.save(g, "a", dir.resolve("a.safetensors"));
            PeftIo.save(g, "b", dir.resolve("b.safetensors"));
            Composition.compose(g, new CompositionSpec("fuse", Kind.FUSION, List.of("a", "b")), true);
            PeftIo.save(g, "fuse", fuse);
        }
        try (ModelGraph g = graph(1)) {
            PeftIo.load(g, dir.resolve("a.safetensors"));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.loadComposition(g, fuse));
            assertTrue(missing.getMessage().contains("fusion 'fuse'") && missing.getMessage().contains("member 'b' is"
                    + " not attached") && missing.getMessage().contains("load the members' files"), missing.getMessage());

            PeftIo.load(g, dir.resolve("b.safetensors"));
            randomize(g, "b", 99, 0.4, "/up/weight");
            IllegalArgumentException others = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.loadComposition(g, fuse));
            assertTrue(others.getMessage().contains("trained over members [a, b]")
                    && others.getMessage().contains("load the member files saved with it"), others.getMessage());
            assertEquals(Map.of(), Composition.attached(g), "a refused load composes nothing");
        }
        try (ModelGraph g = graph(1)) {
            PeftIo.load(g, dir.resolve("a.safetensors"));
            PeftIo.load(g, dir.resolve("b.safetensors"));
            var bias = g.parameters().get("encoder/out/bias"); // same component, not targeted: still the base
            float[] v = bias.toFloatArray();
            v[0] += 1e-3f;
            bias.load(v, bias.shape().getShape());
            int params = g.parameters().size();
            IllegalArgumentException base = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.loadComposition(g, fuse));
            assertTrue(base.getMessage().contains("fusion 'fuse'") && base.getMessage().contains("trained on base sha256:")
                    && base.getMessage().contains("load it onto the base it was trained on"), base.getMessage());
            assertEquals(params, g.parameters().size(), "no fusion parameter was made");
            assertFalse(g.activeAdapters().contains("fuse"));
        }
        try (ModelGraph g = graph(1)) {
            IllegalArgumentException wrongCall = assertThrows(IllegalArgumentException.class, () -> PeftIo.load(g, fuse));
            assertTrue(wrongCall.getMessage().contains("PeftIo.loadComposition"), wrongCall.getMessage());
            IllegalArgumentException notAComposition = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.loadComposition(g, dir.resolve("a.safetensors")));
            assertTrue(notAComposition.getMessage().contains("holds a lora module 'a'; load it with PeftIo.load"),
                    notAComposition.getMessage());
        }
    }

    @Test
    void twoFilesOfTheSameModuleNameLoadSideBySideUnderNewNames() throws IOException {
        float[] first;
        float[] second;
        try (ModelGraph g = graph(1)) {
            Lora.inject(g, LoraSpec.of("task", 2, "encoder/{fc1,fc2}"));
            randomize(g, "task", 1, 0.4, "/A", "/B");
            first = outputs(g, X);
            PeftIo.save(g, "task", dir.resolve("one.safetensors"));
            randomize(g, "task", 2, 0.4, "/A", "/B");
            second = outputs(g, X);
            PeftIo.save(g, "task", dir.resolve("two.safetensors"));
        }
        try (ModelGraph g = graph(1)) {
            assertEquals(LoraSpec.of("one", 2, "encoder/{fc1,fc2}"), PeftIo.load(g, dir.resolve("one.safetensors"), "one"));
            assertEquals("two", PeftIo.load(g, dir.resolve("two.safetensors"), "two").name());
            assertTrue(g.parameters().containsKey("encoder/fc2/lora/two/B"));
            Lora.deactivate(g, "two");
            assertArrayEquals(first, outputs(g, X));
            Lora.deactivate(g, "one");
            Lora.activate(g, "two");
            assertArrayEquals(second, outputs(g, X));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> PeftIo.load(g, dir.resolve("one.safetensors"), "a/b"));
            assertTrue(bad.getMessage().contains("name 'a/b' is not allowed"), bad.getMessage());
        }
    }
}
