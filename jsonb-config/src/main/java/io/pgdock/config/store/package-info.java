/**
 * The store over a backend (not exported): {@link io.pgdock.config.store.DefaultConfigStore} implements
 * {@link io.pgdock.config.ConfigStore} once for every backend (validation, binding, secrets on write, scope views) and
 * its facets ({@code StoreParts}, {@code StoreTransfer} with {@code ImportPlan}, {@code StorePolicy});
 * {@link io.pgdock.config.store.ConfigBackend} is what a backend provides. The read cache and snapshots are backends
 * that wrap another; {@link io.pgdock.config.store.ConfigKeys} holds the key, scope and fallback rules; the history
 * chain's verifier is {@link io.pgdock.config.store.HistoryChain}.
 */
@NullMarked
package io.pgdock.config.store;

import org.jspecify.annotations.NullMarked;
