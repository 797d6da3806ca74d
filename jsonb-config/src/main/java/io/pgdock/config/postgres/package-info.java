/**
 * The PostgreSQL backend (not exported): entries, history and the hash chain in the storage schema (migrations V1-V7 of
 * module {@code config}), and the change feed that turns {@code LISTEN} notifications into watch events.
 */
@NullMarked
package io.pgdock.config.postgres;

import org.jspecify.annotations.NullMarked;
