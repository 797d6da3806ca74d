package io.pgdock.testing;

import io.pgdock.core.PgdockException;
import org.jspecify.annotations.Nullable;

/**
 * A test server could not be used: the embedded PostgreSQL did not start, the server named by
 * {@value TestPostgres#URL_VARIABLE} could not be reached or is unsuitable, a test database could not be created or
 * dropped, a {@link ThrowawayPostgres} did not start or stop (or its standby did not stream, or a promotion did not finish),
 * or a {@link PgBouncer} is not installed (in CI, where its tests must not be skipped) or did not start.
 * The message says what failed and what to do, and quotes the server's log where there is one; the cause is the
 * underlying failure (often a {@link java.sql.SQLException}). Messages never contain a password.
 *
 * <p>A malformed {@value TestPostgres#URL_VARIABLE} is a configuration mistake and is reported as an
 * {@link IllegalArgumentException} instead.
 */
public final class TestPostgresException extends PgdockException {
    private static final long serialVersionUID = 1L;

    TestPostgresException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
