package io.pgdock.core;

/**
 * How a module contributes its migrations to every {@link Storage} opened with automatic migration: implement it and
 * register the class in {@code META-INF/services/io.pgdock.core.MigrationProvider}. {@link Storage#open} finds the
 * providers on the class path with {@link java.util.ServiceLoader}.
 */
@FunctionalInterface
public interface MigrationProvider {
    /**
     * The module's migrations.
     *
     * @return the migration set
     */
    MigrationSet migrations();
}
