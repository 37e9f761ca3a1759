/**
 * The component registry: versioned, immutable components with their ledger, movable tags with
 * their history, and weights stored as content-addressed safetensors blobs.
 *
 * <p>{@link dev.floe.registry.Registry} is the way in. Metadata lives in SQL (SQLite in a registry
 * folder by default, or PostgreSQL); blobs are files named by their SHA-256 beside it. Stores,
 * schema migrations and blob handling are package-private.
 */
package dev.floe.registry;
