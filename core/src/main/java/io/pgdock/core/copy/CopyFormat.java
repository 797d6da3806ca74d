package io.pgdock.core.copy;

import io.pgdock.core.internal.Shown;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The data format of a raw COPY: PostgreSQL's {@linkplain #TEXT text} format or {@linkplain #CSV CSV}, with an optional
 * header line, delimiter and NULL marker.
 * <pre>{@code
 * CopyFormat.TEXT                                     // tab-separated, \N for NULL, backslash escapes
 * CopyFormat.CSV                                      // comma-separated, empty unquoted field for NULL
 * CopyFormat.CSV.withHeader()                         // first line holds column names (skipped on input)
 * CopyFormat.CSV.withDelimiter(';').withNull("NULL")  // a typical export from a spreadsheet or another database
 * }</pre>
 *
 * <p>The options map one-to-one onto {@code COPY ... WITH (FORMAT ..., HEADER ..., DELIMITER ..., NULL ...)}; see
 * <a href="https://www.postgresql.org/docs/current/sql-copy.html">the COPY reference</a>. A header in text format needs
 * PostgreSQL 15 or later. The data's character encoding is always UTF-8.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CopyFormat {
    /** PostgreSQL's text format: tab-separated, {@code \N} for NULL, backslash escapes, no header. */
    public static final CopyFormat TEXT = new CopyFormat(Kind.TEXT, false, '\t', null);

    /** CSV as PostgreSQL writes it: comma-separated, {@code "} quotes, an empty unquoted field for NULL, no header. */
    public static final CopyFormat CSV = new CopyFormat(Kind.CSV, false, ',', null);

    /** Characters the server refuses as a text-format delimiter (they would be read as escapes or data). */
    private static final String TEXT_FORBIDDEN_DELIMITERS = "\\.abcdefghijklmnopqrstuvwxyz0123456789";

    private enum Kind { TEXT, CSV }

    private final Kind kind;
    private final boolean header;
    private final char delimiter;
    private final @Nullable String nullString;

    private CopyFormat(Kind kind, boolean header, char delimiter, @Nullable String nullString) {
        this.kind = kind;
        this.header = header;
        this.delimiter = delimiter;
        this.nullString = nullString;
    }

    /**
     * The same format with a header line: on input the first line is skipped, on output a line of column names is
     * written first.
     *
     * @return a format with a header line
     */
    public CopyFormat withHeader() {
        return new CopyFormat(kind, true, delimiter, nullString);
    }

    /**
     * The same format with another field delimiter.
     *
     * @param delimiter a single ASCII character; not a newline or carriage return, not {@code "} in CSV, and in text
     *     format not a backslash, a period, a lower-case letter or a digit
     * @return a format with this delimiter
     * @throws IllegalArgumentException if the server would refuse the delimiter, or it appears in the NULL marker
     */
    public CopyFormat withDelimiter(char delimiter) {
        if (delimiter == '\n' || delimiter == '\r' || delimiter == '\0' || delimiter > 0x7f) {
            throw new IllegalArgumentException("delimiter must be a single ASCII character other than newline, "
                    + "carriage return and NUL, but was " + Shown.show(String.valueOf(delimiter)));
        }
        if (kind == Kind.CSV && delimiter == '"') {
            throw new IllegalArgumentException("delimiter must not be the CSV quote character, but was \"\\\"\"");
        }
        if (kind == Kind.TEXT && TEXT_FORBIDDEN_DELIMITERS.indexOf(delimiter) >= 0) {
            throw new IllegalArgumentException("delimiter must not be a backslash, period, lower-case letter or digit "
                    + "in text format, but was " + Shown.show(String.valueOf(delimiter)));
        }
        checkDelimiterNotInNull(delimiter, nullString);
        return new CopyFormat(kind, header, delimiter, nullString);
    }

    /**
     * The same format with another marker for SQL NULL (by default {@code \N} in text format and an empty unquoted field
     * in CSV).
     *
     * @param nullString the marker; must not contain a newline, carriage return, NUL or the delimiter
     * @return a format with this NULL marker
     * @throws NullPointerException if {@code nullString} is null
     * @throws IllegalArgumentException if the server would refuse the marker
     */
    public CopyFormat withNull(String nullString) {
        Objects.requireNonNull(nullString, "nullString");
        if (nullString.indexOf('\n') >= 0 || nullString.indexOf('\r') >= 0 || nullString.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("nullString must not contain a newline, carriage return or NUL, but was "
                    + Shown.show(nullString));
        }
        checkDelimiterNotInNull(delimiter, nullString);
        return new CopyFormat(kind, header, delimiter, nullString);
    }

    private static void checkDelimiterNotInNull(char delimiter, @Nullable String nullString) {
        if (nullString != null && nullString.indexOf(delimiter) >= 0) {
            throw new IllegalArgumentException("nullString must not contain the delimiter "
                    + Shown.show(String.valueOf(delimiter)) + ", but was " + Shown.show(nullString));
        }
    }

    /**
     * Whether this is CSV rather than PostgreSQL's text format.
     *
     * @return true for CSV
     */
    public boolean isCsv() {
        return kind == Kind.CSV;
    }

    /**
     * Whether the data has a header line.
     *
     * @return true if the first line holds column names
     */
    public boolean header() {
        return header;
    }

    /**
     * The field delimiter.
     *
     * @return the delimiter: tab for text format and comma for CSV unless changed
     */
    public char delimiter() {
        return delimiter;
    }

    /**
     * The NULL marker, if one was set with {@link #withNull(String)}.
     *
     * @return the marker; empty means the format's default ({@code \N} in text, an empty unquoted field in CSV)
     */
    public Optional<String> nullString() {
        return Optional.ofNullable(nullString);
    }

    /** The option list for COPY, for example {@code (FORMAT csv, HEADER true)}. String values are E'' literals. */
    String toSqlOptions() {
        StringBuilder sql = new StringBuilder("(FORMAT ").append(kind == Kind.CSV ? "csv" : "text");
        if (header) {
            sql.append(", HEADER true");
        }
        if (delimiter != (kind == Kind.CSV ? ',' : '\t')) {
            sql.append(", DELIMITER ").append(literal(String.valueOf(delimiter)));
        }
        if (nullString != null) {
            sql.append(", NULL ").append(literal(nullString));
        }
        return sql.append(')').toString();
    }

    /** An escape-string literal, correct whatever standard_conforming_strings is set to. */
    private static String literal(String value) {
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CopyFormat that && kind == that.kind && header == that.header
                && delimiter == that.delimiter && Objects.equals(nullString, that.nullString);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, header, delimiter, nullString);
    }

    /**
     * The format as COPY options, for example {@code (FORMAT csv, HEADER true)}.
     */
    @Override
    public String toString() {
        return toSqlOptions();
    }
}
