package io.pgdock.core;

/**
 * Work that needs a database session of its own, such as {@code LISTEN} for the config store's watches and read cache,
 * was asked of storage that has none to give: storage behind a transaction-mode pooler
 * ({@link StorageOptions.Builder#transactionPooling(boolean)}) without a
 * {@link StorageOptions.Builder#dedicatedConnectionSpec(ConnectionSpec) dedicatedConnectionSpec}. A transaction-mode
 * pooler keeps no session for a client between transactions, so a {@code LISTEN} through it would return and then hear
 * nothing. The message names the fix: a dedicated connection spec that reaches PostgreSQL directly.
 */
public class SessionRequiredException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what needed a session, and how to give it one
     */
    public SessionRequiredException(String message) {
        super(message, null);
    }
}
