/**
 * Per-deployment user configuration kept as JSONB in PostgreSQL: {@code ConfigStore}, its PostgreSQL implementation and an
 * in-memory fake that passes the same contract tests.
 *
 * <p>Not built yet: this package is reserved for the configuration-store issue. See {@code DESIGN.md}, "User configuration".
 */
package io.pgdock.config;
