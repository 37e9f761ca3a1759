package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.io.Fingerprint;
import dev.floe.nn.Param;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Three generations of fine-tuning: parents found by weights, lineage, diff and load. */
class LineageTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void lineageFollowsThreeGenerationsAndDiffShowsWhatChanged(String kind) throws Exception {
        TestRuns.TestRun g1 = TestRuns.write(tmp.resolve("g1"), "run-g1", null, 1f, "encoder/**", 0.70);
        TestRuns.TestRun g2 = TestRuns.write(tmp.resolve("g2"), "run-g2", g1.weights(), 0.5f, "encoder/stem/**", 0.75);
        TestRuns.TestRun g3 = TestRuns.write(tmp.resolve("g3"), "run-g3", g2.weights(), 0.25f, "encoder/stem/**", 0.78);
        assertEquals(g1.encoderAfter(), g2.encoderBefore(), "generation 2 starts where generation 1 ended");
        try (Registry registry = Registry.open(TestStores.fresh(kind, tmp))) {
            registry.publish(g1.dir(), "encoder", "enc", null, null);
            registry.publish(g2.dir(), "encoder", "enc", null, null);
            ComponentVersion v3 = registry.publish(g3.dir(), "encoder", "enc", "candidate", null);
            assertEquals("enc@2", v3.ledger().parent().toString());

            List<ComponentVersion> chain = registry.lineage("enc@candidate");
            assertEquals(List.of("enc@3", "enc@2", "enc@1"), chain.stream().map(v -> v.ref().toString()).toList());
            assertEquals(List.of("run-g3", "run-g2", "run-g1"),
                    chain.stream().map(v -> v.ledger().origin().runId()).toList());

            VersionDiff d = registry.diff("enc@1", "enc@2");
            assertTrue(d.config().isEmpty() && d.ports().isEmpty() && d.shapes().isEmpty(), d.render());
            assertFalse(d.sameWeights());
            for (VersionDiff.ParamDelta p : d.weights()) {
                assertEquals(0.5 * 3 * 0.01, p.maxAbs(), 1e-6, p.path());
            }
            assertTrue(d.ledger().contains("origin.run_id: run-g1 → run-g2"), d.ledger().toString());
            assertTrue(d.ledger().contains("parent: (none) → enc@1"), d.ledger().toString());
            assertTrue(d.ledger().contains("metrics.final_accuracy: 0.7 → 0.75"), d.ledger().toString());
            assertTrue(d.ledger().stream().anyMatch(l -> l.startsWith("stages[0].groups[0].rule: encoder/** → encoder/stem/**")),
                    d.ledger().toString());
            assertTrue(d.render().contains("weights: " + d.weights().size() + " of " + d.weights().size()
                    + " parameters changed"), d.render());
            assertTrue(registry.diff("enc@3", "enc@3").sameWeights());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void loadBuildsTheComponentWithTheVersionsWeights(String kind) throws Exception {
        TestRuns.TestRun g1 = TestRuns.write(tmp.resolve("g1"), "run-g1", null, 1f, "encoder/**", 0.70);
        try (Registry registry = Registry.open(TestStores.fresh(kind, tmp))) {
            registry.publish(g1.dir(), "encoder", "fmnist-encoder", "prod", null);
            try (LoadedComponent loaded = registry.load("fmnist-encoder@prod")) {
                assertEquals("encoder", loaded.component().name());
                assertEquals(g1.encoderAfter(), Fingerprint.weights(loaded.component().parameters().values()));
                for (Param p : loaded.component().parameters().values()) {
                    assertArrayEquals(g1.weights().get(p.path()), p.toFloatArray(), p.path());
                }
                assertEquals(List.of("in"), List.copyOf(loaded.graph().inputs().keySet()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void anExplicitParentWinsOverTheWeightsMatch(String kind) throws Exception {
        TestRuns.TestRun base = TestRuns.write(tmp.resolve("b"), "run-b", null, 1f, "encoder/**", 0.6);
        TestRuns.TestRun other = TestRuns.write(tmp.resolve("o"), "run-o", null, 3f, "encoder/**", 0.6);
        try (Registry registry = Registry.open(TestStores.fresh(kind, tmp))) {
            registry.publish(base.dir(), "encoder", "base", null, null);
            ComponentVersion v = registry.publish(other.dir(), "encoder", "tuned", null, VersionRef.parse("base@1"));
            assertEquals("base@1", v.ledger().parent().toString());
            assertEquals(List.of("tuned@1", "base@1"),
                    registry.lineage("tuned@1").stream().map(c -> c.ref().toString()).toList());
        }
    }
}
