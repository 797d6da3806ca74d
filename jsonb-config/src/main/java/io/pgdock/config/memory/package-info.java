/**
 * The in-memory backend (not exported): the fake behind {@link io.pgdock.config.ConfigStore#inMemory()}, following the
 * PostgreSQL backend's jsonb rules, versions, history and hash chain, held to it by the same contract suite.
 */
@NullMarked
package io.pgdock.config.memory;

import org.jspecify.annotations.NullMarked;
