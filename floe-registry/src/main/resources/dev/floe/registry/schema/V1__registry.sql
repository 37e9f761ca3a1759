-- Schema version 1 of the Floe component registry. Plain SQL that SQLite and PostgreSQL both run.
-- Versions are immutable: the registry inserts rows and never updates or deletes them.
CREATE TABLE versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    config TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    layer_order TEXT NOT NULL,
    params TEXT NOT NULL,
    blob_sha256 TEXT NOT NULL,
    weights_hash TEXT NOT NULL,
    origin TEXT NOT NULL,
    parent TEXT,
    ledger TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    imported_from TEXT,
    PRIMARY KEY (name, version)
);
CREATE INDEX versions_by_weights ON versions (weights_hash);
CREATE INDEX versions_by_blob ON versions (blob_sha256);
-- A tag points at an existing version of its component; the foreign key makes anything else impossible.
CREATE TABLE tags (
    name TEXT NOT NULL,
    tag TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, tag),
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
);
-- Every move of a tag, in order.
CREATE TABLE tag_events (
    name TEXT NOT NULL,
    tag TEXT NOT NULL,
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    version INTEGER NOT NULL,
    previous INTEGER,
    by_user TEXT NOT NULL,
    host TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (name, tag, seq),
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
);
