package dev.floe.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Manifests written by earlier Floe versions still read, and their recipe hash still verifies: a
 * run made before a change can still be resumed, compared and reproduced after it.
 */
class GoldenManifestTest {

    private static RunManifest golden() throws Exception {
        return RunManifests.read(Path.of(GoldenManifestTest.class.getResource("golden/manifest-v1.json").toURI()));
    }

    @Test
    void aFirstLayoutManifestReadsWithEveryPart() throws Exception {
        RunManifest m = golden();
        assertEquals(RunManifests.FORMAT, m.format());
        assertEquals("train", m.command());
        assertEquals(List.of("encoder", "head"),
                m.recipe().graph().components().stream().map(RunManifest.ComponentRecord::name).toList());
        assertEquals(List.of("head", "top"), m.recipe().stages().stream().map(RunManifest.StageRecord::name).toList());
        RunManifest.StageRecord top = m.recipe().stages().get(1);
        assertTrue(top.groups().stream().anyMatch(g -> g.state().equals("train") && g.paths().contains("encoder/out/weight")
                && Math.abs(g.lr() - 0.001) < 1e-12), top.groups().toString());
        assertEquals(2, m.recipe().data().size());
        assertEquals("data.train.path", m.recipe().files().get(0).key());
        assertNotNull(m.outcome());
        assertEquals(2, m.outcome().stages().size());
        assertTrue(m.versions().containsKey("cpu_flags"));
    }

    @Test
    void itsRecipeHashStillVerifies() throws Exception {
        RunManifest m = golden();
        assertEquals(m.recipeSha256(), RunManifests.recipeSha256(m.recipe()),
                "the recipe hash is computed the same way as when the manifest was written");
    }

    @Test
    void itComparesEqualToItselfAndNamesWhatAnEditChanges() throws Exception {
        RunManifest m = golden();
        assertTrue(RunDiff.of(m, m).sameRecipeAndResults());
        RunManifest.Recipe r = m.recipe();
        RunManifest.Recipe reseeded = new RunManifest.Recipe(r.config(), r.graph(), r.stages(), r.data(), r.files(),
                r.seed() + 1, r.engineThreads(), r.settings());
        RunDiff d = RunDiff.of(m, new RunManifest(m.format(), m.id(), m.command(), m.startedAt(), reseeded,
                RunManifests.recipeSha256(reseeded), m.versions(), m.reproduces(), m.outcome()));
        assertEquals(List.of(new RunDiff.Difference("seed", "1", "2")), d.in("run"));
        assertTrue(d.in("config").isEmpty());
    }
}
