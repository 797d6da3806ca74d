package io.pgdock.datasource;

import io.pgdock.core.PgdockException;

/**
 * Thrown by {@link DataSourceFactory#get(String)} and the other by-name methods when the factory's
 * {@link TargetResolver} knows no target of that name. There is never a fallback to another database.
 *
 * <p>The message names the target and how names are looked up; it never contains a password.
 */
public final class UnknownTargetException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** The name asked for. */
    private final String name;

    /**
     * @param name the name asked for
     * @param message what was looked up and where
     */
    public UnknownTargetException(String name, String message) {
        super(message, null);
        this.name = name;
    }

    /**
     * The name that was asked for.
     *
     * @return the name
     */
    public String name() {
        return name;
    }
}
