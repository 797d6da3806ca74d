/**
 * Per-deployment user configuration kept as JSONB in PostgreSQL: {@code ConfigStore}, its PostgreSQL implementation and an
 * in-memory fake that passes the same contract tests.
 *
 * <p>The PostgreSQL store keeps its data in two tables of the storage schema, {@code config_entry} and
 * {@code config_history}, created by pgdock's migrations (module {@code config}, see {@link io.pgdock.config.ConfigMigrations});
 * database triggers keep versions and history, so edits made with plain SQL are versioned and audited too. See
 * {@code DESIGN.md}, "User configuration".
 *
 * <p>Secrets ({@link io.pgdock.config.Secret}) are encrypted in the application with master keys from a
 * {@link io.pgdock.config.KeyProvider}; the database holds only their ciphertext.
 */
@NullMarked
package io.pgdock.config;

import org.jspecify.annotations.NullMarked;
