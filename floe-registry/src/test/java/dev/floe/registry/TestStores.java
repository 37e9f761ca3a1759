package dev.floe.registry;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * The two stores every registry test runs against: SQLite in a temporary folder, and PostgreSQL on
 * one embedded server per test JVM (started on first use, stopped at exit) with a new database per
 * registry.
 */
final class TestStores {

    static final String SQLITE = "sqlite";
    static final String POSTGRES = "postgres";

    private static EmbeddedPostgres server;
    private static String unavailable;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private TestStores() {}

    /** A new, empty registry location of the given kind under {@code tmp}. */
    static RegistryLocation fresh(String kind, Path tmp) throws Exception {
        int n = DATABASES.incrementAndGet();
        if (SQLITE.equals(kind)) {
            return RegistryLocation.folder(tmp.resolve("registry-" + n));
        }
        EmbeddedPostgres pg = server();
        String db = "registry_" + n;
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + db);
        }
        return RegistryLocation.postgres(pg.getJdbcUrl("postgres", db), tmp.resolve("blobs-" + n));
    }

    /** The shared server; skips the calling test, saying why, when PostgreSQL cannot run here. */
    static synchronized EmbeddedPostgres server() {
        if (server == null && unavailable == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (Exception | Error e) {
                unavailable = e.toString();
                System.err.println("PostgreSQL registry tests skipped: the embedded server did not start: " + unavailable);
            }
        }
        Assumptions.assumeTrue(server != null, "PostgreSQL registry tests skipped: " + unavailable);
        return server;
    }
}
