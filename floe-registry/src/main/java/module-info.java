/** Floe's component registry: immutable component versions with ledgers, tags, SQLite or PostgreSQL. */
module dev.floe.registry {
    requires transitive dev.floe.core;
    requires java.sql;
    requires com.fasterxml.jackson.dataformat.yaml;
    // JDBC drivers, found by DriverManager from the registry's URL
    requires org.xerial.sqlitejdbc;
    requires org.postgresql.jdbc;

    exports dev.floe.registry;

    // ledger records read and written as JSON
    opens dev.floe.registry to com.fasterxml.jackson.databind;
}
