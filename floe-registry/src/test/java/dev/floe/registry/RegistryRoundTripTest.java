package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Publish, list, show, tag and rollback on both stores. */
class RegistryRoundTripTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void publishListShowTagRollbackRoundTrip(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        TestRuns.TestRun r1 = TestRuns.write(tmp.resolve("run1"), "run-1", null, 1f, "encoder/**", 0.71);
        TestRuns.TestRun r2 = TestRuns.write(tmp.resolve("run2"), "run-2", null, 2f, "encoder/**", 0.74);
        try (Registry registry = Registry.open(where)) {
            ComponentVersion v1 = registry.publish(r1.dir(), "encoder", "fmnist-encoder", "candidate", null);
            ComponentVersion v2 = registry.publish(r2.dir(), "encoder", "fmnist-encoder", null, null);
            registry.publish(r1.dir(), "head", "fmnist-head", null, null);
            assertEquals(1, v1.version());
            assertEquals(2, v2.version());

            List<Registry.Summary> list = registry.list();
            assertEquals(List.of("fmnist-encoder", "fmnist-head"), list.stream().map(Registry.Summary::name).toList());
            assertEquals(2, list.get(0).versions());
            assertEquals(2, list.get(0).latest());
            assertEquals(Map.of("candidate", 1), list.get(0).tags());

            ComponentVersion shown = registry.resolve("fmnist-encoder@candidate");
            assertEquals(Json.write(v1), Json.write(shown), "what show reads back is what publish wrote");
            assertEquals("conv_encoder", shown.type());
            assertEquals("encoder", shown.component());
            assertEquals(r1.encoderAfter(), shown.weightsHash());
            assertEquals(Map.of("in", "[batch, 1, 8, 8]"), shown.inputs());
            assertEquals(Map.of("features", "[batch, 4]"), shown.outputs());
            assertTrue(shown.params().keySet().stream().allMatch(p -> p.startsWith("encoder/")), shown.params().toString());
            Ledger l = shown.ledger();
            assertEquals(Ledger.RUN, l.origin().kind());
            assertEquals("run-1", l.origin().runId());
            assertEquals(0.71, l.metrics().get("final_accuracy"), 1e-12);
            assertEquals("encoder/**", l.stages().get(0).groups().get(0).rule());
            assertEquals(1, l.stages().get(0).groups().size(), "only the encoder's own parameters are in its ledger");
            assertEquals("fp-run-1", l.data().get(0).fingerprint());
            assertEquals("adamw", l.optimizer().get("type").asText());
            assertEquals(System.getProperty("user.name"), l.published().user());
            assertNull(l.parent(), "the first run started from weights no version holds");
            assertEquals(2, registry.resolve("fmnist-encoder").version(), "a bare name is the newest version");

            TagEvent moved = registry.tag("fmnist-encoder@2", "candidate");
            assertEquals(2, moved.version());
            assertEquals(1, moved.previous());
            registry.tag("fmnist-encoder@2", "prod");
            assertEquals(2, registry.resolve("fmnist-encoder@candidate").version());

            TagEvent back = registry.rollback("fmnist-encoder", "candidate");
            assertEquals(TagEvent.ROLLBACK, back.action());
            assertEquals(1, back.version());
            assertEquals(2, back.previous());
            assertEquals(1, registry.resolve("fmnist-encoder@candidate").version());
            List<TagEvent> history = registry.tagHistory("fmnist-encoder", "candidate");
            assertEquals(List.of(1, 2, 1), history.stream().map(TagEvent::version).toList());
            assertEquals(List.of(TagEvent.SET, TagEvent.SET, TagEvent.ROLLBACK),
                    history.stream().map(TagEvent::action).toList());

            IllegalArgumentException nothingLeft = assertThrows(IllegalArgumentException.class,
                    () -> registry.rollback("fmnist-encoder", "candidate"));
            assertTrue(nothingLeft.getMessage().contains("no earlier version"), nothingLeft.getMessage());
            IllegalArgumentException prodOnce = assertThrows(IllegalArgumentException.class,
                    () -> registry.rollback("fmnist-encoder", "prod"));
            assertTrue(prodOnce.getMessage().contains("fmnist-encoder@prod has no earlier version"), prodOnce.getMessage());
        }
        try (Registry again = Registry.open(where)) {
            assertEquals(1, again.resolve("fmnist-encoder@candidate").version(), "tags survive reopening");
            assertEquals(2, again.versions("fmnist-encoder").size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void amongManyNamesTagsAndVersionsAnErrorNamesTheNearestInsteadOfAll(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        String mlp = "{name: mlp, type: mlp, inputs: 2, hidden: [], outputs: 2}";
        try (Registry registry = Registry.open(where)) {
            for (String n : List.of("fmnist-encoder", "fmnist-head", "cifar-encoder", "cifar-head", "text-encoder",
                    "text-head", "audio-encoder", "audio-head", "video-encoder")) {
                registry.initialise(TestRuns.yaml(mlp), 1, n, null);
            }
            for (int seed = 2; seed <= 12; seed++) {
                registry.initialise(TestRuns.yaml(mlp), seed, "fmnist-encoder", "t" + seed);
            }
            IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                    () -> registry.resolve("fmnist-encodr@1"));
            assertTrue(name.getMessage().endsWith("has no component named 'fmnist-encodr'; the 3 of its 9 components"
                    + " nearest to 'fmnist-encodr' are [fmnist-encoder, fmnist-head, audio-encoder] (floe registry list"
                    + " lists them all)"), name.getMessage());
            IllegalArgumentException tag = assertThrows(IllegalArgumentException.class,
                    () -> registry.resolve("fmnist-encoder@t55"));
            assertEquals("fmnist-encoder has no tag 't55'; the 3 of its 11 tags nearest to 't55' are t5 → 5, t10 → 10,"
                    + " t11 → 11 (floe registry list fmnist-encoder lists them all); versions are 1-12", tag.getMessage());
            IllegalArgumentException version = assertThrows(IllegalArgumentException.class,
                    () -> registry.resolve("fmnist-encoder@13"));
            assertEquals("fmnist-encoder@13 does not exist; versions of fmnist-encoder are 1-12, 11 tags",
                    version.getMessage());
            IllegalArgumentException rollback = assertThrows(IllegalArgumentException.class,
                    () -> registry.rollback("fmnist-encoder", "t55"));
            assertTrue(rollback.getMessage().startsWith("fmnist-encoder has no tag 't55'; the 3 of its 11 tags nearest"),
                    rollback.getMessage());
        }
        assertEquals("1-3, 5, 7-12", Hints.versions(List.of(1, 2, 3, 5, 7, 8, 9, 10, 11, 12)));
        assertEquals("[1, 3]", Hints.versions(List.of(1, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void missingVersionsAndTagsAreNamedWithTheOnesThatExist(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        TestRuns.TestRun r1 = TestRuns.write(tmp.resolve("run1"), "run-1", null, 1f, "encoder/**", 0.7);
        TestRuns.TestRun r2 = TestRuns.write(tmp.resolve("run2"), "run-2", null, 1f, "encoder/**", 0.7);
        try (Registry registry = Registry.open(where)) {
            registry.publish(r1.dir(), "encoder", "enc", "prod", null);
            registry.publish(r2.dir(), "encoder", "enc", null, null);
            IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> registry.resolve("enc@7"));
            assertEquals("enc@7 does not exist; versions of enc are [1, 2], tags prod → 1", v.getMessage());
            IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> registry.resolve("enc@staging"));
            assertTrue(t.getMessage().contains("enc has no tag 'staging'; its tags are prod → 1"), t.getMessage());
            IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> registry.resolve("other@1"));
            assertTrue(n.getMessage().contains("no component named 'other'; its components are [enc]"), n.getMessage());
            IllegalArgumentException tagMissing = assertThrows(IllegalArgumentException.class,
                    () -> registry.tag("enc@9", "prod"));
            assertTrue(tagMissing.getMessage().startsWith("enc@9 does not exist"), tagMissing.getMessage());
            assertEquals(1, registry.resolve("enc@prod").version(), "a failed tag leaves the tag where it was");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void theDatabaseItselfRefusesATagOnAMissingVersion(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        TestRuns.TestRun r1 = TestRuns.write(tmp.resolve("run1"), "run-1", null, 1f, "encoder/**", 0.7);
        try (Registry registry = Registry.open(where)) {
            registry.publish(r1.dir(), "encoder", "enc", "prod", null);
        }
        java.util.Properties props = new java.util.Properties();
        if (!where.isPostgres()) {
            props.setProperty("foreign_keys", "true");
        }
        try (Connection c = DriverManager.getConnection(where.jdbcUrl(), props); Statement s = c.createStatement()) {
            assertThrows(SQLException.class, () -> s.executeUpdate("UPDATE tags SET version = 5 WHERE name = 'enc'"));
            assertThrows(SQLException.class,
                    () -> s.executeUpdate("INSERT INTO tags (name, tag, version) VALUES ('enc', 'x', 2)"));
        }
    }

    @ParameterizedTest(name = "{index}: ''{0}''")
    @ValueSource(strings = {"a/b", "..", "a..b", "has space", "tab\tname", "ctl\u0007", "", "x@1"})
    void namesAndTagsWithPathsWhitespaceOrControlCharactersAreRefused(String bad) throws Exception {
        TestRuns.TestRun r1 = TestRuns.write(tmp.resolve("run1"), "run-1", null, 1f, "encoder/**", 0.7);
        try (Registry registry = Registry.open(TestStores.fresh(TestStores.SQLITE, tmp))) {
            IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                    () -> registry.publish(r1.dir(), "encoder", bad, null, null));
            assertTrue(name.getMessage().startsWith("component name"), name.getMessage());
            assertTrue(name.getMessage().lines().count() <= 1 && !name.getMessage().contains("\u0007"), name.getMessage());
            IllegalArgumentException tag = assertThrows(IllegalArgumentException.class,
                    () -> registry.publish(r1.dir(), "encoder", "enc", bad, null));
            assertTrue(tag.getMessage().startsWith("tag"), tag.getMessage());
            assertTrue(registry.list().isEmpty(), "nothing was published");
        }
    }
}
