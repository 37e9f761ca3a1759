package dev.floe.registry;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The metadata store: one JDBC connection to SQLite or PostgreSQL, the schema migrations, and the
 * SQL of every query. The same SQL runs on both; only connecting, locking and transactions differ.
 *
 * <p>Writes run in one transaction that first takes the registry's write lock (SQLite:
 * {@code BEGIN IMMEDIATE}, waiting up to {@link #BUSY_TIMEOUT_MS}; PostgreSQL: a transaction-scoped
 * advisory lock), so concurrent publishers are serialised and each sees the versions committed
 * before it. Not thread-safe; {@link Registry} synchronises.
 */
final class Store implements AutoCloseable {

    /** The newest schema version this code reads and writes. */
    static final int SCHEMA_VERSION = 1;
    /** How long a writer waits for another process's write lock on SQLite, in milliseconds. */
    static final int BUSY_TIMEOUT_MS = 60_000;
    /** Seconds to wait for a PostgreSQL server to answer a connection. */
    static final int CONNECT_TIMEOUT_S = 10;
    /** Advisory lock key of registry writes in a PostgreSQL database ("floe" in ASCII). */
    private static final long PG_LOCK_KEY = 0x666c6f65L;

    /** The migrations, in order: schema version, description, resource. */
    private static final List<String[]> MIGRATIONS = List.<String[]>of(
            new String[] {"1", "component versions, tags and tag history", "schema/V1__registry.sql"});

    enum Dialect { SQLITE, POSTGRES }

    /** SQL run in a transaction. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final RegistryLocation location;
    private final Dialect dialect;
    private final Connection conn;

    private Store(RegistryLocation location, Dialect dialect, Connection conn) {
        this.location = location;
        this.dialect = dialect;
        this.conn = conn;
    }

    /**
     * Connects, creating the SQLite database when it does not exist, and brings the schema up to
     * {@link #SCHEMA_VERSION}.
     *
     * @throws RegistryException when the database cannot be reached or was written by a newer schema
     * @throws IllegalArgumentException when a registry folder is another kind of folder
     */
    static Store open(RegistryLocation location) {
        Store store = location.isPostgres() ? openPostgres(location) : openSqlite(location);
        try {
            store.migrate();
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static Store openSqlite(RegistryLocation location) {
        Path dir = location.folder();
        Path db = dir.resolve(RegistryLocation.DATABASE_FILE);
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new IllegalArgumentException("registry " + dir + " is a file; expected a registry folder — give a"
                        + " new or existing registry folder");
            }
            if (Files.isDirectory(dir) && !Files.exists(db)) {
                try (Stream<Path> entries = Files.list(dir)) {
                    List<String> found = entries.map(p -> p.getFileName().toString())
                            .filter(n -> !n.equals(RegistryLocation.BLOBS_DIR))
                            // another process may be creating the registry right now (the database and its journals)
                            .filter(n -> !n.startsWith(RegistryLocation.DATABASE_FILE))
                            .sorted().limit(5).toList();
                    if (!found.isEmpty()) {
                        throw new IllegalArgumentException("folder " + dir + " is not a Floe registry: it has no "
                                + RegistryLocation.DATABASE_FILE + " but holds " + found
                                + "; give an empty or new folder, or the folder of an existing registry");
                    }
                }
            }
            Files.createDirectories(location.blobs());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create registry folder " + dir + ": " + e.getMessage(), e);
        }
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.enforceForeignKeys(true);
        try {
            Connection c = DriverManager.getConnection(location.jdbcUrl(), config.toProperties());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MS);
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA foreign_keys = ON");
            }
            return new Store(location, Dialect.SQLITE, c);
        } catch (SQLException e) {
            throw new RegistryException("cannot open the registry database " + db + ": " + e.getMessage()
                    + "; check that the folder is writable and the file is a SQLite database written by Floe", e);
        }
    }

    private static Store openPostgres(RegistryLocation location) {
        String url = location.jdbcUrl();
        Properties given = org.postgresql.Driver.parseURL(url, new Properties());
        if (given == null) {
            throw new IllegalArgumentException("registry URL " + RegistryLocation.redact(url) + " is not a valid"
                    + " PostgreSQL JDBC URL; write jdbc:postgresql://HOST:PORT/DATABASE?user=USER");
        }
        String host = given.getProperty("PGHOST", "localhost");
        String port = given.getProperty("PGPORT", "5432");
        String database = given.getProperty("PGDBNAME", "");
        Properties props = new Properties();
        String password = given.getProperty("password");
        if (password == null && System.getenv("PGPASSWORD") != null) {
            password = System.getenv("PGPASSWORD");
            props.setProperty("password", password);
        }
        if (given.getProperty("user") == null && System.getenv("PGUSER") != null) {
            props.setProperty("user", System.getenv("PGUSER"));
        }
        props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_S));
        props.setProperty("ApplicationName", "floe-registry");
        try {
            Files.createDirectories(location.blobs());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create blob folder " + location.blobs() + ": " + e.getMessage(), e);
        }
        try {
            return new Store(location, Dialect.POSTGRES, DriverManager.getConnection(url, props));
        } catch (SQLException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (password != null && !password.isEmpty()) {
                reason = reason.replace(password, "***");
            }
            throw new RegistryException("cannot connect to the registry database " + database + " at " + host + ":"
                    + port + " (" + RegistryLocation.redact(url) + "): " + reason + "; check that PostgreSQL runs"
                    + " there, that the database exists and that the user and password (in the URL or PGPASSWORD)"
                    + " are right");
        }
    }

    Dialect dialect() {
        return dialect;
    }

    /** Runs {@code work} in one write transaction holding the registry's write lock. */
    <T> T write(Work<T> work) {
        try {
            begin();
            boolean done = false;
            try {
                T result = work.run(conn);
                commit();
                done = true;
                return result;
            } finally {
                if (!done) {
                    rollback();
                }
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /** Runs {@code work} outside a write transaction. */
    <T> T read(Work<T> work) {
        try {
            return work.run(conn);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private void begin() throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement s = conn.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
            }
        } else {
            conn.setAutoCommit(false);
            try (PreparedStatement s = conn.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                s.setLong(1, PG_LOCK_KEY);
                s.execute();
            }
        }
    }

    private void commit() throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement s = conn.createStatement()) {
                s.execute("COMMIT");
            }
        } else {
            conn.commit();
            conn.setAutoCommit(true);
        }
    }

    private void rollback() {
        try {
            if (dialect == Dialect.SQLITE) {
                if (!conn.getAutoCommit()) {
                    conn.rollback();
                } else {
                    try (Statement s = conn.createStatement()) {
                        s.execute("ROLLBACK");
                    }
                }
            } else {
                conn.rollback();
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            // The failure that led here matters more; a dropped connection rolls back by itself.
        }
    }

    private RegistryException failure(SQLException e) {
        String msg = e.getMessage();
        if (dialect == Dialect.SQLITE && msg != null && (msg.contains("SQLITE_BUSY") || msg.contains("locked"))) {
            return new RegistryException("registry " + location.display() + " stayed locked by another process for "
                    + BUSY_TIMEOUT_MS / 1000 + " s: " + msg + "; retry when the other publish has finished", e);
        }
        return new RegistryException("registry " + location.display() + ": database error " + e.getSQLState() + ": "
                + msg + "; run floe registry verify, and check the database server", e);
    }

    // ---- schema ---------------------------------------------------------------------------------------------------

    private void migrate() {
        write(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS floe_schema (version INTEGER PRIMARY KEY,"
                        + " description TEXT NOT NULL, applied_at TEXT NOT NULL)");
            }
            int current = schemaVersion(c);
            if (current > SCHEMA_VERSION) {
                throw new RegistryException("registry " + location.display() + " has schema version " + current
                        + ", written by a newer Floe; this Floe reads schema versions up to " + SCHEMA_VERSION
                        + "; use that newer Floe with this registry, or export bundles with it (floe registry export)"
                        + " and import them into a registry of this Floe");
            }
            for (String[] m : MIGRATIONS) {
                int v = Integer.parseInt(m[0]);
                if (v <= current) {
                    continue;
                }
                for (String sql : statements(m[2])) {
                    try (Statement s = c.createStatement()) {
                        s.execute(sql);
                    }
                }
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO floe_schema (version, description, applied_at) VALUES (?, ?, ?)")) {
                    p.setInt(1, v);
                    p.setString(2, m[1]);
                    p.setString(3, Instant.now().toString());
                    p.executeUpdate();
                }
            }
            return null;
        });
    }

    /** The schema version recorded in the database, 0 for a new one. */
    static int schemaVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM floe_schema")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** The statements of a migration resource, split at semicolons that end a line; comment lines dropped. */
    private static List<String> statements(String resource) {
        String text;
        try (InputStream in = Store.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration " + resource + " is missing from the floe-registry jar");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migration " + resource + ": " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String sql = current.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        return out;
    }

    // ---- versions --------------------------------------------------------------------------------------------------

    private static final String VERSION_COLUMNS = "name, version, type, config, inputs, outputs, layer_order, params,"
            + " blob_sha256, weights_hash, ledger";

    /** The highest version number of {@code name}, 0 when it has none. */
    static int maxVersion(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT MAX(version) FROM versions WHERE name = ?")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    /** Inserts a version row; {@code importedFrom} names the bundle it came from, or null. */
    static void insert(Connection c, ComponentVersion v, String importedFrom) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO versions (" + VERSION_COLUMNS
                + ", origin, parent, published_by, published_at, imported_from)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            Ledger l = v.ledger();
            p.setString(1, v.name());
            p.setInt(2, v.version());
            p.setString(3, v.type());
            p.setString(4, Json.write(v.config()));
            p.setString(5, Json.write(v.inputs()));
            p.setString(6, Json.write(v.outputs()));
            p.setString(7, Json.write(v.layerOrder()));
            p.setString(8, Json.write(v.params()));
            p.setString(9, v.blobSha256());
            p.setString(10, v.weightsHash());
            p.setString(11, Json.write(l));
            p.setString(12, l.origin().kind());
            p.setString(13, l.parent() == null ? null : l.parent().toString());
            p.setString(14, l.published().user() + "@" + l.published().host());
            p.setString(15, l.published().at());
            p.setString(16, importedFrom);
            p.executeUpdate();
        }
    }

    /** The version, or null. */
    static ComponentVersion version(Connection c, String name, int version) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT " + VERSION_COLUMNS + " FROM versions WHERE name = ? AND version = ?")) {
            p.setString(1, name);
            p.setInt(2, version);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? row(rs) : null;
            }
        }
    }

    /** Every version of {@code name}, oldest first. */
    static List<ComponentVersion> versions(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT " + VERSION_COLUMNS + " FROM versions WHERE name = ? ORDER BY version")) {
            p.setString(1, name);
            return rows(p);
        }
    }

    /** Every version in the registry, by name and version. */
    static List<ComponentVersion> all(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT " + VERSION_COLUMNS + " FROM versions ORDER BY name, version")) {
            return rows(p);
        }
    }

    /** Versions whose weights hash is {@code hash}, newest first. */
    static List<ComponentVersion> withWeights(Connection c, String hash) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT " + VERSION_COLUMNS + " FROM versions WHERE weights_hash = ? ORDER BY version DESC, name")) {
            p.setString(1, hash);
            return rows(p);
        }
    }

    /** Version numbers of {@code name}, ascending. */
    static List<Integer> numbers(Connection c, String name) throws SQLException {
        List<Integer> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT version FROM versions WHERE name = ? ORDER BY version")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1));
                }
            }
        }
        return out;
    }

    /** Component names, sorted. */
    static List<String> names(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT DISTINCT name FROM versions ORDER BY name")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Where a version was imported from, or null when it was published in this registry. */
    static String importedFrom(Connection c, String name, int version) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT imported_from FROM versions WHERE name = ? AND version = ?")) {
            p.setString(1, name);
            p.setInt(2, version);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static List<ComponentVersion> rows(PreparedStatement p) throws SQLException {
        List<ComponentVersion> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
                out.add(row(rs));
            }
        }
        return out;
    }

    private static ComponentVersion row(ResultSet rs) throws SQLException {
        String where = "the row of " + rs.getString("name") + "@" + rs.getInt("version");
        return new ComponentVersion(
                rs.getString("name"),
                rs.getInt("version"),
                rs.getString("type"),
                Json.tree(rs.getString("config"), where),
                readMap(rs.getString("inputs"), where),
                readMap(rs.getString("outputs"), where),
                readList(rs.getString("layer_order"), where),
                readShapes(rs.getString("params"), where),
                rs.getString("blob_sha256"),
                rs.getString("weights_hash"),
                Json.read(rs.getString("ledger"), Ledger.class, where));
    }

    private static Map<String, String> readMap(String json, String where) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {});
        } catch (IOException e) {
            throw new RegistryException(where + " holds damaged JSON: " + e.getMessage(), e);
        }
    }

    private static List<String> readList(String json, String where) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<List<String>>() {});
        } catch (IOException e) {
            throw new RegistryException(where + " holds damaged JSON: " + e.getMessage(), e);
        }
    }

    private static Map<String, List<Long>> readShapes(String json, String where) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, List<Long>>>() {});
        } catch (IOException e) {
            throw new RegistryException(where + " holds damaged JSON: " + e.getMessage(), e);
        }
    }

    // ---- tags -----------------------------------------------------------------------------------------------------

    /** The version {@code tag} points to, or null. */
    static Integer tagTarget(Connection c, String name, String tag) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT version FROM tags WHERE name = ? AND tag = ?")) {
            p.setString(1, name);
            p.setString(2, tag);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
    }

    /** Tags of {@code name} and the versions they point to, by tag. */
    static Map<String, Integer> tags(Connection c, String name) throws SQLException {
        Map<String, Integer> out = new LinkedHashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT tag, version FROM tags WHERE name = ? ORDER BY tag")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    /** The history of a tag, oldest first. */
    static List<TagEvent> tagEvents(Connection c, String name, String tag) throws SQLException {
        List<TagEvent> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT seq, action, version, previous, by_user, host, at"
                + " FROM tag_events WHERE name = ? AND tag = ? ORDER BY seq")) {
            p.setString(1, name);
            p.setString(2, tag);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    int previous = rs.getInt(4);
                    Integer prev = rs.wasNull() ? null : previous;
                    out.add(new TagEvent(name, tag, rs.getInt(1), rs.getString(2), rs.getInt(3), prev, rs.getString(5),
                            rs.getString(6), rs.getString(7)));
                }
            }
        }
        return out;
    }

    /**
     * Creates a tag that does not exist here with a history brought from another registry: the tag
     * points to the last event's version, the events keep their action, versions, user, host and
     * time and are numbered 1, 2, ... in order.
     */
    static void restoreTag(Connection c, String name, String tag, List<TagEvent> history) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO tags (name, tag, version) VALUES (?, ?, ?)")) {
            p.setString(1, name);
            p.setString(2, tag);
            p.setInt(3, history.get(history.size() - 1).version());
            p.executeUpdate();
        }
        int seq = 0;
        for (TagEvent e : history) {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO tag_events (name, tag, seq, action, version,"
                    + " previous, by_user, host, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                p.setString(1, name);
                p.setString(2, tag);
                p.setInt(3, ++seq);
                p.setString(4, e.action());
                p.setInt(5, e.version());
                if (e.previous() == null) {
                    p.setNull(6, java.sql.Types.INTEGER);
                } else {
                    p.setInt(6, e.previous());
                }
                p.setString(7, e.user());
                p.setString(8, e.host());
                p.setString(9, e.at());
                p.executeUpdate();
            }
        }
    }

    /** Points {@code tag} at {@code version} and appends the event to its history. */
    static TagEvent moveTag(Connection c, String name, String tag, int version, String action,
            Ledger.Published who) throws SQLException {
        Integer previous = tagTarget(c, name, tag);
        if (previous == null) {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO tags (name, tag, version) VALUES (?, ?, ?)")) {
                p.setString(1, name);
                p.setString(2, tag);
                p.setInt(3, version);
                p.executeUpdate();
            }
        } else {
            try (PreparedStatement p = c.prepareStatement("UPDATE tags SET version = ? WHERE name = ? AND tag = ?")) {
                p.setInt(1, version);
                p.setString(2, name);
                p.setString(3, tag);
                p.executeUpdate();
            }
        }
        int seq;
        try (PreparedStatement p = c.prepareStatement("SELECT MAX(seq) FROM tag_events WHERE name = ? AND tag = ?")) {
            p.setString(1, name);
            p.setString(2, tag);
            try (ResultSet rs = p.executeQuery()) {
                seq = (rs.next() ? rs.getInt(1) : 0) + 1;
            }
        }
        TagEvent e = new TagEvent(name, tag, seq, action, version, previous, who.user(), who.host(), who.at());
        try (PreparedStatement p = c.prepareStatement("INSERT INTO tag_events (name, tag, seq, action, version, previous,"
                + " by_user, host, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, name);
            p.setString(2, tag);
            p.setInt(3, seq);
            p.setString(4, action);
            p.setInt(5, version);
            if (previous == null) {
                p.setNull(6, java.sql.Types.INTEGER);
            } else {
                p.setInt(6, previous);
            }
            p.setString(7, who.user());
            p.setString(8, who.host());
            p.setString(9, who.at());
            p.executeUpdate();
        }
        return e;
    }

    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            // Closing a connection that failed already; nothing to add.
        }
    }
}
