package io.pgdock.core;

import org.jspecify.annotations.Nullable;

/**
 * Migrations could not be applied, or the database is in a state this library refuses to work with: a recorded
 * migration was changed after it was applied, or the database was migrated by a newer version of the library. Nothing of
 * a failed run is kept: all pending migrations are applied in one transaction.
 */
public final class MigrationException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed and what to do about it
     * @param cause the underlying failure, or null
     */
    public MigrationException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
