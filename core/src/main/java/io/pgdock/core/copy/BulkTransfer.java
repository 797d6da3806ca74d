package io.pgdock.core.copy;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.internal.Identifiers;
import io.pgdock.core.internal.Shown;
import io.pgdock.core.internal.SqlFailures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOperation;
import org.postgresql.copy.CopyOut;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Moves rows in and out of PostgreSQL with {@code COPY ... FROM STDIN} and {@code COPY ... TO STDOUT}: many times faster
 * than batched {@code INSERT}s for large loads, and streaming in both directions, so neither side ever holds the whole
 * data set in memory.
 *
 * <pre>{@code
 * BulkTransfer bulk = BulkTransfer.of(dataSource);
 * long loaded = bulk.copyIn(TableName.of("ingest", "events"), List.of("id", "name", "seen_at"),
 *         List.of(List.of(1, "first", Instant.now()), Arrays.asList(2, null, Instant.now())));
 *
 * long exported = bulk.copyOut("select id, name from ingest.events", row -> {
 *     String id = row.get(0);          // text form of each column; SQL NULL is null
 * });
 *
 * try (Reader csv = Files.newBufferedReader(path)) {
 *     bulk.copyIn(TableName.of("events"), List.of("id", "name"), csv, CopyFormat.CSV.withHeader());
 * }
 * }</pre>
 *
 * <h2>Connections and transactions</h2>
 * {@link #of(DataSource)} borrows a connection for each call and gives it back before returning: if the connection is in
 * auto-commit mode each COPY is its own transaction; otherwise it is committed on success and rolled back on failure.
 * {@link #on(Connection)} uses the caller's connection (for example a Jdbi handle's, {@code
 * BulkTransfer.on(handle.getConnection())}) and never commits, rolls back or closes it, so a COPY joins the caller's
 * transaction. Connections from a pool such as HikariCP are unwrapped to pgjdbc's {@link PGConnection}.
 *
 * <h2>Failures</h2>
 * A COPY is one statement and therefore atomic: when it fails, no row of it is stored. If {@link #of(DataSource)} cannot
 * get a connection, a {@link ConnectionFailedException} says why. A failure reported by the server
 * (a value the column type does not accept, a constraint violation, a missing table) or by the connection is thrown as a
 * {@link DataAccessException} whose message names the table or query and carries the server's message (which for a bad
 * value includes the line and column, counting rows from 1). If a row cannot be encoded, the input or output stream
 * fails, or a {@link RowCallback} throws, the COPY is ended on the wire before the exception propagates, so the
 * connection is left idle and usable. On a caller's connection inside a transaction, a failed COPY leaves that transaction
 * aborted, as any failed statement does; the caller rolls it back.
 *
 * <h2>Row values</h2>
 * {@link #copyIn(TableName, List, Iterable)} writes PostgreSQL's text format. Each row is a list with one value per
 * column, in column order. Values are converted as follows; the server then parses the text as the column's type.
 * <table>
 *   <caption>Java values and their text in a COPY</caption>
 *   <tr><th>Java value</th><th>written as</th></tr>
 *   <tr><td>{@code null}</td><td>SQL NULL</td></tr>
 *   <tr><td>{@link String}, {@link CharSequence}</td><td>the characters, escaped; a NUL character is refused with an
 *       {@link IllegalArgumentException} naming the row and column, since PostgreSQL text cannot store it</td></tr>
 *   <tr><td>{@link Boolean}</td><td>{@code t} or {@code f}</td></tr>
 *   <tr><td>{@link Integer}, {@link Long}, {@link Short}, {@link Byte}, other {@link Number}s</td>
 *       <td>{@code toString()}; {@link java.math.BigDecimal} with {@code toPlainString()}</td></tr>
 *   <tr><td>{@code byte[]}</td><td>bytea in hex format</td></tr>
 *   <tr><td>{@link java.time.LocalDate}, {@link java.time.LocalTime}, {@link java.time.LocalDateTime}</td>
 *       <td>ISO 8601 ({@code 2024-03-01 12:30:00.25}); years before 1 with the {@code BC} suffix PostgreSQL reads</td></tr>
 *   <tr><td>{@link java.time.OffsetDateTime}, {@link java.time.ZonedDateTime}, {@link java.time.Instant},
 *       {@link java.time.OffsetTime}, {@link java.util.Date}</td>
 *       <td>ISO 8601 with the offset ({@code +01:00}; {@code +00:00} for an {@code Instant} or {@code Date})</td></tr>
 *   <tr><td>arrays other than {@code byte[]}</td><td>refused with an {@link IllegalArgumentException}</td></tr>
 *   <tr><td>anything else ({@link java.util.UUID}, {@link java.time.Duration}, {@code java.sql} date-time types, ...)
 *       </td><td>{@code toString()}</td></tr>
 * </table>
 *
 * <h2>Performance</h2>
 * Rows are encoded straight into a 64 KiB buffer that is sent as one COPY data message when full: no round trip per
 * row, no per-value allocation for strings, integers, byte arrays and {@code java.time} values, and memory use bounded by
 * the buffer whatever the number of rows. Copy-out decodes each row as it arrives.
 *
 * <p><b>Thread safety.</b> An instance made by {@link #of(DataSource)} is thread-safe: concurrent calls use separate
 * connections. An instance made by {@link #on(Connection)} is as thread-safe as its connection, that is, calls must not
 * overlap. Row lists, streams and callbacks are used only on the calling thread.
 */
public final class BulkTransfer {
    private static final int CHUNK_SIZE = CopyTextEncoder.DEFAULT_BUFFER_SIZE;
    private static final String QUERY_CANCELED = "57014";

    /** Exactly one of dataSource and connection is set. */
    private final @Nullable DataSource dataSource;
    private final @Nullable Connection connection;

    private BulkTransfer(@Nullable DataSource dataSource, @Nullable Connection connection) {
        this.dataSource = dataSource;
        this.connection = connection;
    }

    /**
     * Bulk transfer that borrows a connection from {@code dataSource} for each call and returns it before the call
     * returns.
     *
     * @param dataSource where connections come from; they must be pgjdbc connections or wrap one (as HikariCP's do)
     * @return a thread-safe bulk transfer
     * @throws NullPointerException if {@code dataSource} is null
     */
    public static BulkTransfer of(DataSource dataSource) {
        return new BulkTransfer(Objects.requireNonNull(dataSource, "dataSource"), null);
    }

    /**
     * Bulk transfer on the caller's connection, so each COPY joins the connection's current transaction. The connection
     * is never committed, rolled back or closed.
     *
     * @param connection a pgjdbc connection or one that wraps it (as HikariCP's and Jdbi handles' do)
     * @return a bulk transfer whose calls must not overlap
     * @throws NullPointerException if {@code connection} is null
     */
    public static BulkTransfer on(Connection connection) {
        return new BulkTransfer(null, Objects.requireNonNull(connection, "connection"));
    }

    /**
     * Receives the rows of {@link #copyOut(String, RowCallback)} one at a time.
     *
     * @param <X> the checked exception the callback may throw, passed through to the caller unchanged
     */
    @FunctionalInterface
    public interface RowCallback<X extends Exception> {
        /**
         * Handles one row.
         *
         * @param row the columns' values in PostgreSQL's text form (as {@code ::text} would give them), SQL NULL as
         *     {@code null}; an unmodifiable list the callback may keep
         * @throws X to stop the copy; it is cancelled and the exception reaches the caller of {@code copyOut}
         */
        void accept(List<@Nullable String> row) throws X;
    }

    /**
     * Loads rows into a table with one {@code COPY ... FROM STDIN}, streaming them as they are iterated.
     *
     * @param table the table to load
     * @param columns the columns the row values are for, in order; columns not listed get their defaults
     * @param rows the rows, each a list with one value per column (see "Row values" above); iterated once
     * @return the number of rows the server stored
     * @throws NullPointerException if an argument, a column name or a row is null
     * @throws IllegalArgumentException if {@code columns} is empty, has duplicates or an invalid name, or a row has the
     *     wrong number of values or a value that cannot be written (the message names the row, counting from 1, and
     *     the column); nothing is stored
     * @throws DataAccessException if the server or the connection reports a failure; nothing is stored
     */
    public long copyIn(TableName table, List<String> columns, Iterable<? extends List<?>> rows) {
        Objects.requireNonNull(table, "table");
        List<String> names = checkColumns(columns);
        Objects.requireNonNull(rows, "rows");
        return copyInRows(table, names, rows.iterator());
    }

    /**
     * Loads rows from a stream into a table with one {@code COPY ... FROM STDIN}, consuming the stream as the rows are
     * sent. The stream is not closed.
     *
     * @param table the table to load
     * @param columns the columns the row values are for, in order; columns not listed get their defaults
     * @param rows the rows, each a list with one value per column (see "Row values" above)
     * @return the number of rows the server stored
     * @throws NullPointerException if an argument, a column name or a row is null
     * @throws IllegalArgumentException as for {@link #copyIn(TableName, List, Iterable)}; nothing is stored
     * @throws DataAccessException if the server or the connection reports a failure; nothing is stored
     */
    public long copyIn(TableName table, List<String> columns, Stream<? extends List<?>> rows) {
        Objects.requireNonNull(table, "table");
        List<String> names = checkColumns(columns);
        Objects.requireNonNull(rows, "rows");
        return copyInRows(table, names, rows.iterator());
    }

    /**
     * Loads character data that is already in COPY text or CSV format. The characters are sent as UTF-8.
     *
     * @param table the table to load
     * @param columns the columns the data's fields are for, in order
     * @param data the data, read to its end and not closed
     * @param format the data's format
     * @return the number of rows the server stored (a header line is not counted)
     * @throws NullPointerException if an argument or a column name is null
     * @throws IllegalArgumentException if {@code columns} is empty, has duplicates or an invalid name
     * @throws DataAccessException if reading {@code data} fails, it contains an unpaired surrogate, or the server or
     *     the connection reports a failure; nothing is stored
     */
    public long copyIn(TableName table, List<String> columns, Reader data, CopyFormat format) {
        Objects.requireNonNull(data, "data");
        return rawCopyIn(table, columns, format, op -> sendChars(data, op));
    }

    /**
     * Loads bytes that are already in COPY text or CSV format, encoded in UTF-8.
     *
     * @param table the table to load
     * @param columns the columns the data's fields are for, in order
     * @param data the data, read to its end and not closed
     * @param format the data's format
     * @return the number of rows the server stored (a header line is not counted)
     * @throws NullPointerException if an argument or a column name is null
     * @throws IllegalArgumentException if {@code columns} is empty, has duplicates or an invalid name
     * @throws DataAccessException if reading {@code data} fails or the server or the connection reports a failure;
     *     nothing is stored
     */
    public long copyIn(TableName table, List<String> columns, InputStream data, CopyFormat format) {
        Objects.requireNonNull(data, "data");
        return rawCopyIn(table, columns, format, op -> {
            byte[] chunk = new byte[CHUNK_SIZE];
            int n;
            while ((n = data.readNBytes(chunk, 0, chunk.length)) > 0) {
                op.writeToCopy(chunk, 0, n);
            }
        });
    }

    /** Sends raw COPY data: what the two raw {@code copyIn} forms share. */
    @FunctionalInterface
    private interface RawSender {
        void send(CopyIn op) throws IOException, SQLException;
    }

    private long rawCopyIn(TableName table, List<String> columns, CopyFormat format, RawSender sender) {
        String sql = copyInSql(table, columns, format);
        String what = "COPY into " + table;
        return this.<Long, RuntimeException>withConnection(what, pg -> {
            CopyIn op = startCopyIn(what, pg, sql);
            try {
                sender.send(op);
                return op.endCopy();
            } catch (CharacterCodingException e) {
                throw abort(op, pg, new DataAccessException(what + " failed: the input is not valid UTF-16 text ("
                        + e + ")", null, e));
            } catch (IOException e) {
                throw abort(op, pg, new DataAccessException(what + " failed: could not read the input: " + e, null, e));
            } catch (SQLException e) {
                throw abort(op, pg, failure(what + " failed", e));
            } catch (Throwable t) {
                abort(op, pg, t);
                throw t;
            }
        });
    }

    /**
     * Writes the result of a query to {@code out} in COPY text or CSV format, with {@code COPY (query) TO STDOUT}.
     *
     * @param selectQuery a {@code SELECT} (or {@code VALUES}, or {@code INSERT/UPDATE/DELETE ... RETURNING}) without
     *     parameters and without a trailing semicolon; it is placed inside {@code COPY (...)} as given
     * @param out where the data goes; flushed at the end, not closed
     * @param format the format to write
     * @return the number of rows written (a header line is not counted)
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code selectQuery} is blank
     * @throws DataAccessException if the query fails, writing to {@code out} fails, or the connection fails
     */
    public long copyOut(String selectQuery, Writer out, CopyFormat format) {
        Objects.requireNonNull(out, "out");
        Utf8Writer text = new Utf8Writer(out);
        return rawCopyOut(selectQuery, format, text::write, text::finish);
    }

    /**
     * Writes the result of a query to {@code out} in COPY text or CSV format, encoded in UTF-8, with
     * {@code COPY (query) TO STDOUT}.
     *
     * @param selectQuery as for {@link #copyOut(String, Writer, CopyFormat)}
     * @param out where the data goes; flushed at the end, not closed
     * @param format the format to write
     * @return the number of rows written (a header line is not counted)
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code selectQuery} is blank
     * @throws DataAccessException if the query fails, writing to {@code out} fails, or the connection fails
     */
    public long copyOut(String selectQuery, OutputStream out, CopyFormat format) {
        Objects.requireNonNull(out, "out");
        return rawCopyOut(selectQuery, format, out::write, out::flush);
    }

    /** Receives raw COPY output: what the two raw {@code copyOut} forms share. */
    @FunctionalInterface
    private interface RawSink {
        void accept(byte[] chunk) throws IOException;
    }

    /** Ends raw COPY output, for example by flushing. */
    @FunctionalInterface
    private interface RawFinish {
        void finish() throws IOException;
    }

    private long rawCopyOut(String selectQuery, CopyFormat format, RawSink sink, RawFinish finish) {
        String sql = copyOutSql(selectQuery, format);
        String what = "COPY out of " + Shown.show(selectQuery);
        return this.<Long, RuntimeException>withConnection(what, pg -> {
            CopyOut op = startCopyOut(what, pg, sql);
            try {
                byte[] data;
                while ((data = op.readFromCopy()) != null) {
                    sink.accept(data);
                }
                finish.finish();
                return op.getHandledRowCount();
            } catch (IOException e) {
                throw abort(op, pg, new DataAccessException(what + " failed: could not write the output: " + e, null,
                        e));
            } catch (SQLException e) {
                throw abort(op, pg, failure(what + " failed", e));
            } catch (Throwable t) {
                abort(op, pg, t);
                throw t;
            }
        });
    }

    /**
     * Streams the rows of a query to a callback, one row at a time as they arrive, with
     * {@code COPY (query) TO STDOUT}. Each value is the column's text form (what {@code ::text} gives: {@code t}/{@code
     * f} for booleans, {@code \x...} hex for bytea, ISO dates in the session's time zone for {@code timestamptz}), and
     * SQL NULL is {@code null}.
     *
     * <p>If the callback throws, the COPY is cancelled on the server, the rest of its output is discarded, and the
     * callback's exception is rethrown unchanged.
     *
     * @param selectQuery as for {@link #copyOut(String, Writer, CopyFormat)}
     * @param callback receives each row
     * @param <X> the checked exception the callback may throw
     * @return the number of rows
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code selectQuery} is blank
     * @throws DataAccessException if the query or the connection fails
     * @throws X if the callback throws it
     */
    public <X extends Exception> long copyOut(String selectQuery, RowCallback<X> callback) throws X {
        Objects.requireNonNull(callback, "callback");
        String sql = copyOutSql(selectQuery, CopyFormat.TEXT);
        String what = "COPY out of " + Shown.show(selectQuery);
        return this.<Long, X>withConnection(what, pg -> {
            CopyOut op = startCopyOut(what, pg, sql);
            try {
                CopyTextDecoder<X> decoder = new CopyTextDecoder<>(callback);
                while (true) {
                    byte[] data;
                    try {
                        data = op.readFromCopy();
                    } catch (SQLException e) {
                        throw failure(what + " failed", e);
                    }
                    if (data == null) {
                        break;
                    }
                    decoder.accept(data, 0, data.length);
                }
                decoder.finish();
                return op.getHandledRowCount();
            } catch (Throwable t) {
                abort(op, pg, t);
                throw t;
            }
        });
    }

    private long copyInRows(TableName table, List<String> columns, Iterator<? extends List<?>> rows) {
        String sql = copyInStatement(table, columns, CopyFormat.TEXT);
        String what = "COPY into " + table;
        return this.<Long, RuntimeException>withConnection(what, pg -> {
            CopyIn op = startCopyIn(what, pg, sql);
            try {
                CopyTextEncoder encoder = new CopyTextEncoder(columns, op::writeToCopy, CHUNK_SIZE);
                while (rows.hasNext()) {
                    encoder.writeRow(rows.next());
                }
                encoder.flush();
                return op.endCopy();
            } catch (SQLException e) {
                throw abort(op, pg, failure(what + " failed", e));
            } catch (Throwable t) {
                abort(op, pg, t);
                throw t;
            }
        });
    }

    /** Work done on a connection; it translates its own SQLExceptions, so only the callers' X and unchecked ones leave. */
    @FunctionalInterface
    private interface Work<R, X extends Exception> {
        R run(PGConnection pg) throws X;
    }

    /**
     * Runs {@code work} on this instance's connection, or on a borrowed one that is committed (unless in auto-commit
     * mode) and returned afterwards, or rolled back and returned if {@code work} throws. No {@code catch} here may catch
     * a checked exception type, since the caller's {@code X} could be that type.
     */
    private <R, X extends Exception> R withConnection(String what, Work<R, X> work) throws X {
        if (connection != null) {
            return work.run(unwrap(connection, what));
        }
        Connection borrowed = borrow(what);
        boolean autoCommit = true;
        Throwable failure = null;
        try {
            autoCommit = autoCommit(borrowed, what);
            R result = work.run(unwrap(borrowed, what));
            if (!autoCommit) {
                commit(borrowed, what);
            }
            return result;
        } catch (Throwable t) {
            failure = t;
            if (!autoCommit) {
                rollback(borrowed, t);
            }
            throw t;
        } finally {
            giveBack(borrowed, what, failure);
        }
    }

    private Connection borrow(String what) {
        try {
            // of() sets the data source whenever on() did not set a connection.
            return Objects.requireNonNull(dataSource, "dataSource").getConnection();
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, "the data source for " + what);
        }
    }

    private static boolean autoCommit(Connection c, String what) {
        try {
            return c.getAutoCommit();
        } catch (SQLException e) {
            throw failure(what + " failed", e);
        }
    }

    private static void commit(Connection c, String what) {
        try {
            c.commit();
        } catch (SQLException e) {
            throw failure(what + " failed: could not commit", e);
        }
    }

    private static void rollback(Connection c, Throwable failure) {
        try {
            c.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    private static void giveBack(Connection c, String what, @Nullable Throwable failure) {
        try {
            c.close();
        } catch (SQLException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                throw failure(what + " failed: could not return its connection", e);
            }
        }
    }

    private static PGConnection unwrap(Connection c, String what) {
        try {
            return c.unwrap(PGConnection.class);
        } catch (SQLException e) {
            if (isClosed(c)) {
                throw new IllegalStateException(what + " failed: the connection is closed", e);
            }
            String state = e.getSQLState();
            if (state != null && state.startsWith("08")) {
                throw failure(what + " failed", e);  // connection exception class: the connection broke
            }
            throw new IllegalArgumentException("connection is not a pgjdbc (PostgreSQL) connection and does not wrap "
                    + "one: " + c.getClass().getName(), e);
        }
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return false;
        }
    }

    private static CopyIn startCopyIn(String what, PGConnection pg, String sql) {
        try {
            return pg.getCopyAPI().copyIn(sql);
        } catch (SQLException e) {
            throw failure(what + " failed", e);
        }
    }

    private static CopyOut startCopyOut(String what, PGConnection pg, String sql) {
        try {
            return pg.getCopyAPI().copyOut(sql);
        } catch (SQLException e) {
            throw failure(what + " failed", e);
        }
    }

    /**
     * Ends a COPY that is still in progress after {@code failure}, so that the connection is idle again, and returns
     * {@code failure} for throwing. Copy-in is failed with a CopyFail message (the server discards everything it
     * received). pgjdbc's own cancel of a copy-out only sends a cancel request and leaves the rest of the output unread
     * on the wire, which breaks the next statement; here the rest is read and discarded, up to the server's
     * "canceling statement" error or the end of the data if the cancel came too late to matter (or could not be sent).
     */
    private static <T extends Throwable> T abort(CopyOperation op, PGConnection pg, T failure) {
        if (!op.isActive()) {
            return failure;
        }
        try {
            if (op instanceof CopyOut out) {
                try {
                    pg.cancelQuery();
                } catch (SQLException e) {
                    // The cancel request could not be delivered: still drain, reading the rest of the output.
                    failure.addSuppressed(e);
                }
                try {
                    while (out.isActive() && out.readFromCopy() != null) {
                        // discard
                    }
                } catch (SQLException e) {
                    if (!QUERY_CANCELED.equals(e.getSQLState())) {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (op.isActive()) {
                op.cancelCopy();
            }
        } catch (SQLException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    /**
     * A DataAccessException for a failed SQL call: {@code context} ("COPY into "t" failed"), then the server's message
     * and, for COPY, the line and column it stopped at (the first line of the server's context).
     */
    static DataAccessException failure(String context, SQLException e) {
        String detail = e.getMessage();
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage server = p.getServerErrorMessage();
            if (server.getMessage() != null) {
                detail = server.getMessage();
                String where = server.getWhere();
                if (where != null && !where.isEmpty()) {
                    int newline = where.indexOf('\n');
                    detail += " (" + (newline < 0 ? where : where.substring(0, newline)) + ")";
                }
            }
        }
        return new DataAccessException(context + ": " + detail, e.getSQLState(), e);
    }

    private static String copyInSql(TableName table, List<String> columns, CopyFormat format) {
        Objects.requireNonNull(table, "table");
        List<String> names = checkColumns(columns);
        Objects.requireNonNull(format, "format");
        return copyInStatement(table, names, format);
    }

    /** {@code COPY "s"."t" ("a", "b") FROM STDIN WITH (FORMAT ...)}, from checked arguments. */
    private static String copyInStatement(TableName table, List<String> checkedColumns, CopyFormat format) {
        return "COPY " + table.toSql() + ' ' + columnList(checkedColumns) + " FROM STDIN WITH " + format.toSqlOptions();
    }

    private static String copyOutSql(String selectQuery, CopyFormat format) {
        Objects.requireNonNull(selectQuery, "selectQuery");
        Objects.requireNonNull(format, "format");
        if (selectQuery.isBlank()) {
            throw new IllegalArgumentException("selectQuery must not be blank");
        }
        // A newline before ")" keeps a trailing "-- comment" in the query from swallowing the rest of the statement.
        return "COPY (" + selectQuery + "\n) TO STDOUT WITH " + format.toSqlOptions();
    }

    private static List<String> checkColumns(List<String> columns) {
        Objects.requireNonNull(columns, "columns");
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("columns must not be empty");
        }
        List<String> names = new ArrayList<>(columns.size());
        Set<String> seen = new HashSet<>();
        int i = 0;
        for (String name : columns) {
            String parameter = "columns[" + i++ + "]";
            TableName.checkIdentifier(parameter, name);
            if (!seen.add(name)) {
                throw new IllegalArgumentException("columns must not contain a name twice, but " + parameter + " is "
                        + Shown.show(name) + " again");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    private static String columnList(List<String> columns) {
        StringBuilder sql = new StringBuilder("(");
        for (String column : columns) {
            if (sql.length() > 1) {
                sql.append(", ");
            }
            sql.append(Identifiers.quote(column));
        }
        return sql.append(')').toString();
    }

    /** Encodes characters from a reader as UTF-8 into COPY data messages of up to CHUNK_SIZE bytes. */
    private static void sendChars(Reader in, CopyIn op) throws IOException, SQLException {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder();
        CharBuffer chars = CharBuffer.allocate(8192);
        ByteBuffer bytes = ByteBuffer.allocate(CHUNK_SIZE);
        boolean end = false;
        while (!end) {
            end = in.read(chars) < 0;
            chars.flip();
            CoderResult result = encoder.encode(chars, bytes, end);
            while (result.isOverflow()) {
                send(bytes, op);
                result = encoder.encode(chars, bytes, end);
            }
            if (result.isError()) {
                result.throwException();
            }
            chars.compact();
        }
        while (encoder.flush(bytes).isOverflow()) {
            send(bytes, op);
        }
        send(bytes, op);
    }

    private static void send(ByteBuffer bytes, CopyIn op) throws SQLException {
        if (bytes.position() > 0) {
            op.writeToCopy(bytes.array(), bytes.arrayOffset(), bytes.position());
            bytes.clear();
        }
    }

    /** Decodes copy-out data (UTF-8, split anywhere) onto a Writer. */
    private static final class Utf8Writer {
        private final Writer out;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        private final CharBuffer chars = CharBuffer.allocate(8192);
        private byte[] carry = new byte[0];

        Utf8Writer(Writer out) {
            this.out = out;
        }

        void write(byte[] data) throws IOException {
            ByteBuffer bytes;
            if (carry.length == 0) {
                bytes = ByteBuffer.wrap(data);
            } else {
                byte[] joined = new byte[carry.length + data.length];
                System.arraycopy(carry, 0, joined, 0, carry.length);
                System.arraycopy(data, 0, joined, carry.length, data.length);
                bytes = ByteBuffer.wrap(joined);
            }
            decode(bytes, false);
            carry = new byte[bytes.remaining()];
            bytes.get(carry);
        }

        void finish() throws IOException {
            decode(ByteBuffer.wrap(carry), true);
            CoderResult result = decoder.flush(chars);
            while (result.isOverflow()) {
                drain();
                result = decoder.flush(chars);
            }
            if (result.isError()) {
                result.throwException();
            }
            drain();
            out.flush();
        }

        private void decode(ByteBuffer bytes, boolean end) throws IOException {
            CoderResult result = decoder.decode(bytes, chars, end);
            while (result.isOverflow()) {
                drain();
                result = decoder.decode(bytes, chars, end);
            }
            if (result.isError()) {
                result.throwException();
            }
            drain();
        }

        private void drain() throws IOException {
            chars.flip();
            out.write(chars.array(), 0, chars.limit());
            chars.clear();
        }
    }
}
