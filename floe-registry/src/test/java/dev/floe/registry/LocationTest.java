package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Where registries are, and refusing the ones that cannot be used — without leaking passwords. */
class LocationTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void aRegistryWrittenByANewerSchemaIsRefusedNamingBothVersions(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        Registry.open(where).close();
        try (Connection c = DriverManager.getConnection(where.jdbcUrl()); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO floe_schema (version, description, applied_at) VALUES (7, 'future', 'then')");
        }
        RegistryException e = assertThrows(RegistryException.class, () -> Registry.open(where));
        assertTrue(e.getMessage().contains("has schema version 7, written by a newer Floe; this Floe reads schema"
                + " versions up to " + Store.SCHEMA_VERSION), e.getMessage());
    }

    @Test
    void anUnreachableDatabaseIsNamedByHostAndPortWithoutItsPassword() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RegistryLocation where = RegistryLocation.postgres(
                "jdbc:postgresql://127.0.0.1:" + port + "/models?user=floe&password=hunter2", tmp.resolve("blobs"));
        RegistryException e = assertThrows(RegistryException.class, () -> Registry.open(where));
        assertTrue(e.getMessage().startsWith("cannot connect to the registry database models at 127.0.0.1:" + port),
                e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertFalse(where.toString().contains("hunter2"), where.toString());
        assertTrue(where.display().contains("password=***"), where.display());
    }

    @Test
    void aPasswordInTheUrlReachesNoLedgerAndNoListing() throws Exception {
        TestStores.server();
        RegistryLocation plain = TestStores.fresh(TestStores.POSTGRES, tmp);
        RegistryLocation where = RegistryLocation.postgres(plain.jdbcUrl() + "&password=hunter2", plain.blobs());
        TestRuns.TestRun run = TestRuns.write(tmp.resolve("run"), "run-1", null, 1f, "encoder/**", 0.5);
        try (Registry registry = Registry.open(where)) { // the embedded server trusts any password
            ComponentVersion v = registry.publish(run.dir(), "encoder", "enc", "prod", null);
            assertFalse(Json.write(v).contains("hunter2"));
            assertFalse(Json.write(registry.tagHistory("enc", "prod")).contains("hunter2"));
            assertFalse(registry.location().display().contains("hunter2"));
        }
    }

    @Test
    void redactHidesPasswordsInQueryAndUserInfo() {
        assertEquals("jdbc:postgresql://h:5432/db?user=u&password=***&ssl=true",
                RegistryLocation.redact("jdbc:postgresql://h:5432/db?user=u&password=p%40ss&ssl=true"));
        assertEquals("jdbc:postgresql://u:***@h/db", RegistryLocation.redact("jdbc:postgresql://u:secret@h/db"));
    }

    @Test
    void theOptionWinsOverTheEnvironmentWhichWinsOverTheHomeFolder() {
        Path home = Path.of(System.getProperty("user.home"), ".floe", "registry").toAbsolutePath();
        assertEquals(home, RegistryLocation.resolve(null, null, Map.of()).folder());
        assertEquals(tmp.resolve("env"), RegistryLocation.resolve(null, null,
                Map.of(RegistryLocation.ENV, tmp.resolve("env").toString())).folder());
        assertEquals(tmp.resolve("opt"), RegistryLocation.resolve(tmp.resolve("opt").toString(), null,
                Map.of(RegistryLocation.ENV, tmp.resolve("env").toString())).folder());
        RegistryLocation pg = RegistryLocation.resolve("jdbc:postgresql://h/db", null,
                Map.of(RegistryLocation.BLOBS_ENV, tmp.resolve("b").toString()));
        assertTrue(pg.isPostgres());
        assertNull(pg.folder());
        assertEquals(tmp.resolve("b"), pg.blobs());
    }

    @Test
    void aPostgresUrlNeedsABlobFolderAndOtherDatabasesAreRefused() {
        IllegalArgumentException noBlobs = assertThrows(IllegalArgumentException.class,
                () -> RegistryLocation.resolve("jdbc:postgresql://h/db?password=x", null, Map.of()));
        assertTrue(noBlobs.getMessage().contains("--blobs DIR or FLOE_REGISTRY_BLOBS"), noBlobs.getMessage());
        assertFalse(noBlobs.getMessage().contains("password=x"), noBlobs.getMessage());
        IllegalArgumentException mysql = assertThrows(IllegalArgumentException.class,
                () -> RegistryLocation.resolve("jdbc:mysql://h/db", null, Map.of()));
        assertTrue(mysql.getMessage().contains("a database Floe does not support"), mysql.getMessage());
    }

    @Test
    void aFolderWithOtherFilesIsNotMadeIntoARegistry() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("cat.jpg"), "meow");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Registry.open(RegistryLocation.folder(dir)));
        assertTrue(e.getMessage().contains("is not a Floe registry: it has no registry.db but holds [cat.jpg]"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("registry.db")));
    }
}
