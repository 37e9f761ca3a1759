package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.io.Fingerprint;
import dev.floe.io.Hashing;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions from a weights file and from a seed. */
class ImportTest {

    @TempDir
    Path tmp;

    @Test
    void aSafetensorsFileIsImportedWithItsHashAsTheOrigin() throws Exception {
        TestRuns.TestRun run = TestRuns.write(tmp.resolve("run"), "run-1", null, 1f, "encoder/**", 0.7);
        Path file = run.dir().resolve(Registry.RUN_WEIGHTS);
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            ComponentVersion v = registry.importWeights(file, TestRuns.SNAKE.valueToTree(TestRuns.ENCODER), null,
                    "imported", "base", null);
            assertEquals("imported@1", v.ref().toString());
            assertEquals(Ledger.IMPORT, v.ledger().origin().kind());
            assertEquals(Hashing.sha256Hex(file), v.ledger().origin().fileSha256());
            assertTrue(v.ledger().origin().describe().startsWith("imported from " + file), v.ledger().origin().describe());
            assertEquals(run.encoderAfter(), v.weightsHash(), "the same weights hash as the run recorded");
            try (LoadedComponent c = registry.load("imported@base")) {
                assertEquals(run.encoderAfter(), Fingerprint.weights(c.component().parameters().values()));
            }
            // the head's tensors renamed as an encoder do not fit it
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.importWeights(file,
                    TestRuns.SNAKE.valueToTree(TestRuns.ENCODER), "head/", "wrong", null, null));
            assertTrue(e.getMessage().startsWith("cannot import " + file + " as encoder (conv_encoder): "), e.getMessage());
            assertTrue(e.getMessage().contains("parameter(s) without a tensor (expected encoder/"), e.getMessage());
            assertEquals(1, registry.list().size(), "nothing was recorded for the failed import");
        }
    }

    @Test
    void aComponentTrainedInTheProgramIsPublishedWithItsWeightsAndLedgerAndItsConfigMustBuildIt() throws Exception {
        TestRuns.TestRun run = TestRuns.write(tmp.resolve("run"), "run-1", null, 1f, "encoder/**", 0.7);
        dev.floe.graph.Component encoder = TestRuns.ENCODER.toComponent();
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp));
                dev.floe.graph.ModelGraph graph = dev.floe.graph.ModelGraph.builder()
                        .input("image", dev.floe.graph.TensorSpec.of("[batch, 1, 8, 8]")).add(encoder)
                        .wire("image", "encoder.in").output("features", "encoder.features").build()) {
            dev.floe.io.ModelWeights.restore(graph, run.weights().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("encoder/"))
                    .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey, java.util.Map.Entry::getValue)));
            Ledger.Origin origin = new Ledger.Origin(Ledger.RUN, "run-demo", "ab".repeat(32), "demo images", "encoder",
                    null, null, null, null);
            Registry.Trained trained = new Registry.Trained(origin, java.util.List.of(), 16,
                    java.util.Map.of("source_accuracy", 0.5));
            ComponentVersion v = registry.publishComponent(encoder, TestRuns.SNAKE.valueToTree(TestRuns.ENCODER), trained,
                    "own", "pretrained");
            assertEquals(run.encoderAfter(), v.weightsHash());
            assertEquals(16, v.ledger().steps());
            assertEquals(0.5, v.ledger().metrics().get("source_accuracy"));
            assertEquals("run run-demo (demo images, recipe abababababab), component encoder",
                    v.ledger().origin().describe());
            try (LoadedComponent c = registry.load("own@pretrained")) {
                assertEquals(run.encoderAfter(), Fingerprint.weights(c.component().parameters().values()));
            }
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> registry.publishComponent(encoder, TestRuns.yaml("{name: encoder, type: conv_encoder, input:"
                            + " [1, 8, 8], widths: [6]}"), trained, "own", null));
            assertTrue(wrong.getMessage().contains("does not build component encoder")
                    && wrong.getMessage().contains("expected [6, 1, 3, 3], found [4, 1, 3, 3]"), wrong.getMessage());
            assertEquals(1, registry.versions("own").size(), "nothing was recorded for the wrong config");
        }
    }

    @Test
    void initialisingFromASeedIsRepeatableAndRecordsTheSeed() throws Exception {
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            ComponentVersion a = registry.initialise(TestRuns.yaml("{name: encoder, type: conv_encoder, input: [1, 8, 8],"
                    + " widths: [4]}"), 7, "fresh", null);
            ComponentVersion b = registry.initialise(TestRuns.yaml("{name: encoder, type: conv_encoder, input: [1, 8, 8],"
                    + " widths: [4]}"), 7, "fresh", null);
            ComponentVersion c = registry.initialise(TestRuns.yaml("{name: encoder, type: conv_encoder, input: [1, 8, 8],"
                    + " widths: [4]}"), 8, "fresh", null);
            assertEquals("initialised with seed 7", a.ledger().origin().describe());
            assertEquals(a.weightsHash(), b.weightsHash());
            assertEquals(a.blobSha256(), b.blobSha256(), "equal weights share one blob");
            assertNotEquals(a.weightsHash(), c.weightsHash());
            assertEquals(2, registry.verify().blobs(), "two blobs for three versions");
            assertEquals("[1,8,8]", a.config().get("input").toString(), "the stored config has every key");
        }
    }

    @Test
    void anInvalidComponentConfigIsNamedWithAnExample() throws Exception {
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> registry.initialise(TestRuns.yaml("{name: encoder, type: conv_encoder, widths: []}"), 1, "x",
                            null));
            assertTrue(e.getMessage().contains("widths is empty"), e.getMessage());
            assertTrue(e.getMessage().contains("e.g. {name: encoder, type: conv_encoder"), e.getMessage());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> registry.initialise(TestRuns.yaml("{name: encoder, type: transformer_xl}"), 1, "x", null));
            assertTrue(unknown.getMessage().startsWith("component config"), unknown.getMessage());
        }
    }
}
