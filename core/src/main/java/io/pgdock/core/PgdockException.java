package io.pgdock.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The root of every exception pgdock throws for a failure at run time (a server that cannot be reached, a migration that
 * cannot be applied, a COPY that fails). Unchecked, like Jdbi's {@code JdbiException}.
 *
 * <p>Caller mistakes are not reported with this type: a bad argument or bad configuration gets a plain JDK exception
 * ({@link IllegalArgumentException}, {@link NullPointerException} naming the parameter), for example
 * {@link InvalidConnectionSpecException}.
 *
 * <p>Messages never contain a password or secret value.
 */
public abstract class PgdockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, in words a user can act on
     * @param cause the underlying failure, usually a {@link java.sql.SQLException}; may be null
     */
    protected PgdockException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * What failed; never null, since every pgdock exception is made with a message.
     *
     * @return the message
     */
    @Override
    public String getMessage() {
        return Objects.requireNonNullElse(super.getMessage(), getClass().getName());
    }
}
