package io.pgdock.core;

/**
 * How a module contributes its migrations to every {@link Storage} opened with automatic migration: implement it and
 * register the class in {@code META-INF/services/io.pgdock.core.MigrationProvider}. {@link Storage#open} finds the
 * providers on the class path with {@link java.util.ServiceLoader}, on every open (unless
 * {@link StorageOptions#discoverMigrations()} is off), so a provider must be cheap to create, free of side effects and
 * thread-safe. A provider whose module name is also given through {@link StorageOptions.Builder#addMigrations} is
 * ignored in favour of that set.
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
