package dev.floe.registry;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a registry lives: a folder (SQLite database {@value #DATABASE_FILE} with the blobs in
 * {@value #BLOBS_DIR}/ beside it), or a PostgreSQL database plus a blob folder.
 *
 * <p>{@link #toString()} and {@link #display()} never show a password.
 *
 * @param jdbcUrl the JDBC URL of the metadata database
 * @param blobs the folder of weight blobs
 * @param folder the registry folder for SQLite, null for PostgreSQL
 */
public record RegistryLocation(String jdbcUrl, Path blobs, Path folder) {

    /** Environment variable naming the registry: a folder or a {@code jdbc:postgresql:} URL. */
    public static final String ENV = "FLOE_REGISTRY";
    /** Environment variable naming the blob folder of a PostgreSQL registry. */
    public static final String BLOBS_ENV = "FLOE_REGISTRY_BLOBS";
    /** The SQLite database's file name in a registry folder. */
    public static final String DATABASE_FILE = "registry.db";
    /** The blob folder's name in a registry folder. */
    public static final String BLOBS_DIR = "blobs";
    static final String POSTGRES_PREFIX = "jdbc:postgresql:";
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&;]password=)[^&;]*");
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@:]*):[^/@]*@");

    /**
     * Checks that the URL and the blob folder are given.
     *
     * @param jdbcUrl the JDBC URL of the metadata database
     * @param blobs the folder of weight blobs
     * @param folder the registry folder for SQLite, null for PostgreSQL
     * @throws NullPointerException if either is null
     */
    public RegistryLocation {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(blobs, "blobs");
    }

    /**
     * A registry in a folder: {@code DIR/registry.db} and {@code DIR/blobs/}.
     *
     * @param dir the registry folder
     * @return the location
     */
    public static RegistryLocation folder(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        return new RegistryLocation("jdbc:sqlite:" + abs.resolve(DATABASE_FILE), abs.resolve(BLOBS_DIR), abs);
    }

    /**
     * A registry in PostgreSQL with its blobs in a folder.
     *
     * @param blobs the blob folder
     * @return the location
     * @param url a {@code jdbc:postgresql:} URL; the password may be in it or in {@code PGPASSWORD}
     */
    public static RegistryLocation postgres(String url, Path blobs) {
        if (!url.startsWith(POSTGRES_PREFIX)) {
            throw new IllegalArgumentException("registry URL " + redact(url) + " is not a " + POSTGRES_PREFIX
                    + " URL; give jdbc:postgresql://HOST:PORT/DATABASE or a registry folder");
        }
        return new RegistryLocation(url, blobs.toAbsolutePath().normalize(), null);
    }

    /**
     * The registry named by {@code --registry} (or null), else {@code FLOE_REGISTRY}, else
     * {@code ~/.floe/registry}; for a PostgreSQL URL the blob folder is {@code --blobs} (or null),
     * else {@code FLOE_REGISTRY_BLOBS}.
     *
     * @param option the {@code --registry} value, or null
     * @param blobsOption the {@code --blobs} value, or null
     * @param env the environment, for {@code FLOE_REGISTRY} and {@code FLOE_REGISTRY_BLOBS}
     * @return the location
     * @throws IllegalArgumentException for a JDBC URL of another database, or a PostgreSQL URL
     *     without a blob folder
     */
    public static RegistryLocation resolve(String option, Path blobsOption, Map<String, String> env) {
        String where = option != null && !option.isBlank() ? option : env.get(ENV);
        if (where == null || where.isBlank()) {
            return folder(Path.of(System.getProperty("user.home"), ".floe", "registry"));
        }
        if (where.startsWith(POSTGRES_PREFIX)) {
            Path blobs = blobsOption;
            if (blobs == null && env.get(BLOBS_ENV) != null && !env.get(BLOBS_ENV).isBlank()) {
                blobs = Path.of(env.get(BLOBS_ENV));
            }
            if (blobs == null) {
                throw new IllegalArgumentException("registry " + redact(where) + " is a PostgreSQL database, which keeps"
                        + " no weights; give the folder for its blobs with --blobs DIR or " + BLOBS_ENV);
            }
            return postgres(where, blobs);
        }
        if (where.toLowerCase(Locale.ROOT).startsWith("jdbc:")) {
            throw new IllegalArgumentException("registry " + redact(where) + " is a JDBC URL of a database Floe does not"
                    + " support; give a registry folder or a " + POSTGRES_PREFIX + " URL");
        }
        return folder(Path.of(where));
    }

    /**
     * Whether the metadata is in PostgreSQL.
     *
     * @return true for PostgreSQL, false for SQLite
     */
    public boolean isPostgres() {
        return jdbcUrl.startsWith(POSTGRES_PREFIX);
    }

    /**
     * The folder, or the URL without its password; for messages.
     *
     * @return the display text; never contains the password
     */
    public String display() {
        return folder != null ? folder.toString() : redact(jdbcUrl) + " (blobs in " + blobs + ")";
    }

    @Override
    public String toString() {
        return display();
    }

    /** A JDBC URL with any password replaced by {@code ***}. */
    static String redact(String url) {
        String s = PASSWORD_PARAM.matcher(url).replaceAll("$1***");
        return USER_INFO.matcher(s).replaceAll("$1:***@");
    }
}
