package io.pgdock.core;

import java.util.HexFormat;
import java.util.Objects;

/**
 * One versioned change to a module's tables: plain SQL, applied once, in version order, inside the storage schema (the
 * session's {@code search_path} starts with it, so the SQL names tables without a schema).
 *
 * @param version a positive number; versions of one module are applied in ascending order
 * @param description a short human description, for example {@code "create config tables"}
 * @param sql the statements, separated by semicolons; they run in one transaction with the module's other pending
 *     migrations, so they must not contain {@code COMMIT} or statements that cannot run in a transaction
 */
public record Migration(int version, String description, String sql) {
    /**
     * Validates the parts.
     *
     * @param version a positive number; versions of one module are applied in ascending order
     * @param description a short human description, for example {@code "create config tables"}
     * @param sql the statements, separated by semicolons; they run in one transaction with the module's other pending
     *     migrations, so they must not contain {@code COMMIT} or statements that cannot run in a transaction
     * @throws IllegalArgumentException if the version is not positive or the description or SQL is blank
     */
    public Migration {
        if (version < 1) {
            throw new IllegalArgumentException("version: must be positive, but was " + version);
        }
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(sql, "sql");
        if (description.isBlank()) {
            throw new IllegalArgumentException("description: must not be blank (migration version " + version + ")");
        }
        if (sql.isBlank()) {
            throw new IllegalArgumentException("sql: must not be blank (migration version " + version + ")");
        }
    }

    /**
     * A SHA-256 of the SQL text, recorded when the migration is applied so that a later change to an applied migration
     * is noticed.
     *
     * @return the checksum as lower-case hex
     */
    public String checksum() {
        return HexFormat.of().formatHex(Values.sha256(sql));
    }

    /** {@code V<version> <description>}; the SQL is left out. */
    @Override
    public String toString() {
        return "V" + version + " " + description;
    }
}
