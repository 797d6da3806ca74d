package io.pgdock.spring;

/**
 * The application gives pgdock too little to start: no connection for the storage, or no schema for storage over the
 * application's DataSource. Spring Boot's startup failure report names {@link #property()} and what to set (see the
 * failure analyzer this starter registers). The message holds no value of any setting.
 */
public final class PgdockNotConfiguredException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** The property to set first. */
    private final String property;

    PgdockNotConfiguredException(String property, String message) {
        super(message);
        this.property = property;
    }

    /**
     * The property to set first.
     *
     * @return for example {@code pgdock.url}
     */
    public String property() {
        return property;
    }
}
