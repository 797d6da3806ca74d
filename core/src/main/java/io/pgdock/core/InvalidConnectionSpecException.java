package io.pgdock.core;

/**
 * A connection setting is missing or invalid. The message names where the setting came from (the builder field, the URL
 * parameter or the environment variable, see {@link #source()}) and shows the bad value, except for passwords, which are
 * never shown.
 */
public final class InvalidConnectionSpecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Where the bad setting came from. */
    private final String source;

    InvalidConnectionSpecException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    /**
     * Where the bad setting came from: a builder field such as {@code "port"}, a URL part such as {@code "url parameter
     * sslmode"}, or an environment variable such as {@code "PGDOCK_PORT"}.
     *
     * @return the name of the field, URL part or variable
     */
    public String source() {
        return source;
    }
}
