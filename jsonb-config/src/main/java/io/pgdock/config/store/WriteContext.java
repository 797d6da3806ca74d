package io.pgdock.config.store;

import io.pgdock.config.HistoryRetention;


import org.jspecify.annotations.Nullable;

/**
 * Who writes and why, and how much history to keep, passed to a {@link ConfigBackend} with each write.
 *
 * @param actor who is writing, or null for the backend's default
 * @param reason why, or null
 * @param retention how much history to keep
 */
public record WriteContext(@Nullable String actor, @Nullable String reason, HistoryRetention retention) {
}
