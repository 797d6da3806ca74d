package io.pgdock.core.copy;

import io.pgdock.core.internal.Identifiers;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The name of a table, optionally qualified by its schema, as used in generated SQL.
 *
 * <p>Names are taken literally and always quoted, so they are case-sensitive and may contain any character except NUL:
 * {@code TableName.of("Events")} names the table {@code "Events"}, not {@code events}, and
 * {@code TableName.of("a.b")} names one table whose name contains a dot. A table created with an unquoted name such as
 * {@code create table Events (...)} is stored in lower case and must be given as {@code "events"}.
 * <pre>{@code
 * TableName.of("events")             // "events", found through the session's search_path
 * TableName.of("ingest", "events")   // "ingest"."events"
 * }</pre>
 *
 * <p>A name must not be empty, must not contain a NUL character and must be at most 63 bytes in UTF-8 (longer names would
 * be silently truncated by PostgreSQL).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class TableName {
    private final @Nullable String schema;
    private final String table;

    private TableName(@Nullable String schema, String table) {
        this.schema = schema;
        this.table = table;
    }

    /**
     * An unqualified table name, resolved by the server through the session's {@code search_path}.
     *
     * @param table the table's name, exactly as stored in the catalog
     * @return the name
     * @throws NullPointerException if {@code table} is null
     * @throws IllegalArgumentException if {@code table} is empty, contains NUL or is longer than 63 bytes in UTF-8
     */
    public static TableName of(String table) {
        return new TableName(null, checkIdentifier("table", table));
    }

    /**
     * A table name qualified by its schema.
     *
     * @param schema the schema's name, exactly as stored in the catalog
     * @param table the table's name, exactly as stored in the catalog
     * @return the name
     * @throws NullPointerException if either argument is null
     * @throws IllegalArgumentException if either name is empty, contains NUL or is longer than 63 bytes in UTF-8
     */
    public static TableName of(String schema, String table) {
        return new TableName(checkIdentifier("schema", schema), checkIdentifier("table", table));
    }

    /**
     * The schema, if the name is qualified.
     *
     * @return the schema, or empty for an unqualified name
     */
    public Optional<String> schema() {
        return Optional.ofNullable(schema);
    }

    /**
     * The table's own name, without the schema.
     *
     * @return the table name as given
     */
    public String table() {
        return table;
    }

    /**
     * The name as SQL: each part quoted with {@code "} doubled inside, for example {@code "ingest"."my ""odd"" table"}.
     *
     * @return the quoted, optionally qualified name
     */
    public String toSql() {
        String quoted = Identifiers.quote(table);
        return schema == null ? quoted : Identifiers.quote(schema) + '.' + quoted;
    }

    /**
     * Two names are equal when their schemas (or the lack of one) and their tables are equal, character for character.
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof TableName that && Objects.equals(schema, that.schema) && table.equals(that.table);
    }

    @Override
    public int hashCode() {
        return Objects.hash(schema, table);
    }

    /**
     * The same as {@link #toSql()}.
     */
    @Override
    public String toString() {
        return toSql();
    }

    /**
     * Checks a name that will be quoted into SQL: not null, not empty, no NUL, at most 63 bytes in UTF-8.
     *
     * @param parameter the parameter's name, used in the exception message
     */
    static String checkIdentifier(String parameter, String value) {
        if (value == null) {
            throw new NullPointerException(parameter);
        }
        String problem = Identifiers.problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(parameter + " " + problem);
        }
        return value;
    }
}
