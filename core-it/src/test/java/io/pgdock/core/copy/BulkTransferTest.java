package io.pgdock.core.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.DataAccessException;
import io.pgdock.testing.PgdockExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * BulkTransfer against a real PostgreSQL (embedded, or the server in PGDOCK_TEST_URL). Most tests go through a HikariCP
 * pool of one connection, so a connection left mid-COPY or inside a transaction would break the very next call.
 */
class BulkTransferTest {
    @RegisterExtension
    static final PgdockExtension pg = PgdockExtension.create();

    private static final TableName ITEMS = TableName.of("items");
    private static final List<String> ITEM_COLUMNS = List.of("id", "name", "qty");

    private HikariDataSource pool;
    private BulkTransfer bulk;

    @BeforeEach
    void setUp() throws SQLException {
        execute("drop table if exists items; create table items (id int primary key, name text not null, qty int)");
        pool = pool(pg.dataSource(), true);
        bulk = BulkTransfer.of(pool);
    }

    @AfterEach
    void tearDown() {
        pool.close();
    }

    private static HikariDataSource pool(DataSource dataSource, boolean autoCommit) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(dataSource);
        config.setMaximumPoolSize(1);
        config.setAutoCommit(autoCommit);
        config.setPoolName("bulk-test");
        return new HikariDataSource(config);
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = pg.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** A plain SELECT through JDBC, every value as the server's text (getString), NULL as null. */
    private static List<List<String>> select(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            ResultSetMetaData meta = r.getMetaData();
            List<List<String>> rows = new ArrayList<>();
            while (r.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.add(r.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static long count(DataSource dataSource, String table) throws SQLException {
        return Long.parseLong(select(dataSource, "select count(*) from " + table).get(0).get(0));
    }

    private List<List<String>> copyOutRows(String query) {
        List<List<String>> rows = new ArrayList<>();
        long n = bulk.copyOut(query, rows::add);
        assertThat(n).isEqualTo(rows.size());
        return rows;
    }

    /**
     * The pool's one connection works and, seen from another session, is idle and not "idle in transaction" (or, after
     * a copy-out left half read, "active").
     */
    private void assertPoolConnectionIsClean() throws SQLException {
        String pid;
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select 42, pg_backend_pid()")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getInt(1)).isEqualTo(42);
            pid = r.getString(2);
        }
        assertThat(select(pg.dataSource(), "select state from pg_stat_activity where pid = " + pid))
                .containsExactly(List.of("idle"));
    }

    @Nested
    class RoundTrip {
        private static final List<String> COLUMNS = List.of("id", "t", "b", "flag", "n", "f", "big", "d", "ts", "tz",
                "tm", "u", "j");

        @BeforeEach
        void createTable() throws SQLException {
            execute("drop table if exists tricky; create table tricky (id int primary key, t text, b bytea, flag boolean,"
                    + " n numeric, f float8, big bigint, d date, ts timestamp, tz timestamptz, tm time, u uuid, j jsonb)");
        }

        private static final String[] TRICKY_TEXT = {
            "", "\\N", "\\", "\\\\", "a\tb", "line1\nline2", "cr\rlf\r\n", "back\\slash", "\\.", ".",
            "é ü ß € 中文 😀 \uD835\uDD04", "\b\f\u000b\u0001\u001f\u007f", "'quoted' \"double\"", " leading and trailing ",
            "NULL", "x".repeat(200_000),
        };

        private List<List<?>> trickyRows() {
            byte[] allBytes = new byte[256];
            for (int i = 0; i < 256; i++) {
                allBytes[i] = (byte) i;
            }
            List<List<?>> rows = new ArrayList<>();
            for (int i = 0; i < TRICKY_TEXT.length; i++) {
                rows.add(List.of(i, TRICKY_TEXT[i], allBytes, i % 2 == 0, new BigDecimal("-12345678901234567890.000000001"),
                        1.5e-300, Long.MIN_VALUE + i, LocalDate.of(2024, 2, 29).plusDays(i),
                        LocalDateTime.of(2024, 3, 1, 12, 30, 0, 123_456_000), Instant.parse("2024-03-01T12:30:00.5Z"),
                        LocalTime.of(1, 2, 3, 4000), UUID.nameUUIDFromBytes(new byte[] {(byte) i}),
                        "{\"k\": \"v\\t" + i + "\"}"));
            }
            rows.add(Arrays.asList(100, null, null, null, null, null, null, null, null, null, null, null, null));
            rows.add(Arrays.asList(101, "", new byte[0], false, BigDecimal.ZERO, Double.NaN, 0L, LocalDate.of(-43, 3, 15),
                    LocalDateTime.of(12345, 1, 1, 0, 0), OffsetDateTime.of(1999, 12, 31, 23, 59, 59, 0,
                            ZoneOffset.ofHoursMinutes(-3, -30)), LocalTime.MIDNIGHT, new UUID(0, 0), "null"));
            return rows;
        }

        @Test
        void trickyValuesComeBackAsAPlainSelectSeesThem() throws SQLException {
            List<List<?>> rows = trickyRows();

            long loaded = bulk.copyIn(TableName.of("tricky"), COLUMNS, rows);

            assertThat(loaded).isEqualTo(rows.size());
            String query = "select " + String.join(", ", COLUMNS) + " from tricky order by id";
            List<List<String>> copied = copyOutRows(query);
            List<List<String>> selected = select(pg.dataSource(), query);
            assertThat(copied).hasSize(rows.size()).isEqualTo(selected);
        }

        @Test
        void valuesAreStoredAsTheJavaValuesTheyCameFrom() throws SQLException {
            List<List<?>> rows = trickyRows();
            bulk.copyIn(TableName.of("tricky"), COLUMNS, rows);

            try (Connection c = pg.dataSource().getConnection(); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("select t, b, n, big, tz, d, ts from tricky where id < 100 order by id")) {
                for (List<?> row : rows.subList(0, TRICKY_TEXT.length)) {
                    assertThat(r.next()).isTrue();
                    assertThat(r.getString(1)).isEqualTo(row.get(1));
                    assertThat(r.getBytes(2)).isEqualTo((byte[]) row.get(2));
                    assertThat(r.getBigDecimal(3)).isEqualTo(row.get(4));
                    assertThat(r.getLong(4)).isEqualTo(row.get(6));
                    assertThat(r.getObject(5, OffsetDateTime.class).toInstant()).isEqualTo(row.get(9));
                    assertThat(r.getObject(6, LocalDate.class)).isEqualTo(row.get(7));
                    assertThat(r.getObject(7, LocalDateTime.class)).isEqualTo(row.get(8));
                }
                assertThat(r.next()).isFalse();
            }
            List<List<String>> special = select(pg.dataSource(),
                    "select t, d::text, ts::text, tz = '1999-12-31 23:59:59-03:30', f::text from tricky"
                            + " where id >= 100 order by id");
            assertThat(special).containsExactly(
                    Arrays.asList(null, null, null, null, null),
                    List.of("", "0044-03-15 BC", "12345-01-01 00:00:00", "t", "NaN"));
        }

        @Test
        void sqlNullAndTheTextBackslashNStayDistinct() throws SQLException {
            bulk.copyIn(TableName.of("tricky"), List.of("id", "t"), List.of(Arrays.asList(1, null), List.of(2, "\\N")));

            assertThat(copyOutRows("select t, t is null from tricky order by id"))
                    .containsExactly(Arrays.asList(null, "t"), List.of("\\N", "f"));
        }

        @Test
        void aStreamOfRowsIsLoaded() {
            try (Stream<List<?>> rows = IntStream.rangeClosed(1, 3).mapToObj(i -> List.of(i, "item " + i, i * 10))) {
                assertThat(bulk.copyIn(ITEMS, ITEM_COLUMNS, rows)).isEqualTo(3);
            }
            assertThat(copyOutRows("select * from items order by id")).containsExactly(
                    List.of("1", "item 1", "10"), List.of("2", "item 2", "20"), List.of("3", "item 3", "30"));
        }

        @Test
        void anUnpooledDataSourceAndNoRowsWork() throws SQLException {
            BulkTransfer unpooled = BulkTransfer.of(pg.dataSource());

            assertThat(unpooled.copyIn(ITEMS, ITEM_COLUMNS, List.of())).isZero();
            assertThat(unpooled.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "one", 1)))).isEqualTo(1);
            assertThat(unpooled.copyOut("select name from items where false", row -> { })).isZero();
            assertThat(count(pg.dataSource(), "items")).isEqualTo(1);
        }

        @Test
        void unlistedColumnsGetTheirDefaults() throws SQLException {
            execute("alter table items alter column qty set default 7");

            bulk.copyIn(ITEMS, List.of("name", "id"), List.of(List.of("a", 1)));

            assertThat(copyOutRows("select id, name, qty from items")).containsExactly(List.of("1", "a", "7"));
        }

        @Test
        void oddIdentifiersAreQuotedNotInjected() throws SQLException {
            execute("create schema if not exists \"Odd Schema\"; drop table if exists \"Odd Schema\".\"we\"\"ird; tab\";"
                    + " create table \"Odd Schema\".\"we\"\"ird; tab\" (\"Sel\"\"ect;\" text, \"a b\" int)");
            TableName odd = TableName.of("Odd Schema", "we\"ird; tab");

            long n = bulk.copyIn(odd, List.of("Sel\"ect;", "a b"), List.of(List.of("x", 1)));

            assertThat(n).isEqualTo(1);
            assertThat(select(pg.dataSource(), "select \"Sel\"\"ect;\", \"a b\" from \"Odd Schema\".\"we\"\"ird; tab\""))
                    .containsExactly(List.of("x", "1"));
            assertThatThrownBy(() -> bulk.copyIn(TableName.of("items\"; drop table items; --"), ITEM_COLUMNS, List.of()))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("does not exist")
                    .extracting(e -> ((DataAccessException) e).sqlState()).isEqualTo("42P01");
            assertThat(count(pg.dataSource(), "items")).isZero();
        }

        @Test
        void hundredThousandRowsStreamInAndOut() throws SQLException {
            Stream<List<?>> rows = IntStream.rangeClosed(1, 100_000).mapToObj(i -> List.of(i, "name\t" + i, i % 1000));

            assertThat(bulk.copyIn(ITEMS, ITEM_COLUMNS, rows)).isEqualTo(100_000);

            assertThat(select(pg.dataSource(), "select count(*), sum(id), sum(qty),"
                    + " count(*) filter (where name = 'name' || chr(9) || id) from items"))
                    .containsExactly(List.of("100000", "5000050000", "49950000", "100000"));
            AtomicLong rowsSeen = new AtomicLong();
            AtomicLong idSum = new AtomicLong();
            long n = bulk.copyOut("select id, name from items", row -> {
                rowsSeen.incrementAndGet();
                idSum.addAndGet(Long.parseLong(row.get(0)));
                assertThat(row.get(1)).isEqualTo("name\t" + row.get(0));
            });
            assertThat(n).isEqualTo(100_000);
            assertThat(rowsSeen).hasValue(100_000);
            assertThat(idSum).hasValue(5_000_050_000L);
        }
    }

    @Nested
    class RawFormats {
        @Test
        void csvWithHeaderFromAReader() throws SQLException {
            String csv = "id,name,qty\n1,\"comma, and \"\"quote\"\"\",3\n2,\"multi\nline\",\n3,plain,0\n";

            long n = bulk.copyIn(ITEMS, ITEM_COLUMNS, new StringReader(csv), CopyFormat.CSV.withHeader());

            assertThat(n).isEqualTo(3);
            assertThat(select(pg.dataSource(), "select * from items order by id")).containsExactly(
                    List.of("1", "comma, and \"quote\"", "3"), Arrays.asList("2", "multi\nline", null),
                    List.of("3", "plain", "0"));
        }

        @Test
        void csvWithDelimiterAndNullMarker() throws SQLException {
            String csv = "1;a;NULL\n2;b;5\n";

            bulk.copyIn(ITEMS, ITEM_COLUMNS, new StringReader(csv), CopyFormat.CSV.withDelimiter(';').withNull("NULL"));

            assertThat(select(pg.dataSource(), "select * from items order by id"))
                    .containsExactly(Arrays.asList("1", "a", null), List.of("2", "b", "5"));
        }

        @Test
        void textFromAnInputStream() throws SQLException {
            byte[] text = "1\ttab\\there\t\\N\n2\tünï😀\t4\n".getBytes(StandardCharsets.UTF_8);

            long n = bulk.copyIn(ITEMS, ITEM_COLUMNS, new ByteArrayInputStream(text), CopyFormat.TEXT);

            assertThat(n).isEqualTo(2);
            assertThat(select(pg.dataSource(), "select * from items order by id"))
                    .containsExactly(Arrays.asList("1", "tab\there", null), List.of("2", "ünï😀", "4"));
        }

        @Test
        void readerInputLongerThanAChunkWithMultiByteCharacters() throws SQLException {
            StringBuilder text = new StringBuilder();
            for (int i = 1; i <= 20_000; i++) {
                text.append(i).append("\tname 😀 ").append(i).append('\t').append(i).append('\n');
            }

            assertThat(bulk.copyIn(ITEMS, ITEM_COLUMNS, new StringReader(text.toString()), CopyFormat.TEXT))
                    .isEqualTo(20_000);
            assertThat(select(pg.dataSource(), "select count(*) from items where name = 'name 😀 ' || id"))
                    .containsExactly(List.of("20000"));
        }

        @Test
        void csvWithHeaderToAWriterAndTextToAnOutputStream() {
            bulk.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "a,b", 2), Arrays.asList(2, "é\t\"x\"", null)));

            StringWriter csv = new StringWriter();
            long n = bulk.copyOut("select * from items order by id", csv, CopyFormat.CSV.withHeader());
            assertThat(n).isEqualTo(2);
            assertThat(csv).hasToString("id,name,qty\n1,\"a,b\",2\n2,\"é\t\"\"x\"\"\",\n");

            ByteArrayOutputStream text = new ByteArrayOutputStream();
            assertThat(bulk.copyOut("select * from items order by id", text, CopyFormat.TEXT)).isEqualTo(2);
            assertThat(text.toString(StandardCharsets.UTF_8)).isEqualTo("1\ta,b\t2\n2\té\\t\"x\"\t\\N\n");
        }

        @Test
        void writerOutputLongerThanOneMessage() {
            bulk.copyIn(ITEMS, ITEM_COLUMNS, IntStream.rangeClosed(1, 5000).mapToObj(i -> List.of(i, "中文😀" + i, i)));

            StringWriter out = new StringWriter();
            assertThat(bulk.copyOut("select name from items order by id", out, CopyFormat.TEXT)).isEqualTo(5000);

            String[] lines = out.toString().split("\n");
            assertThat(lines).hasSize(5000);
            assertThat(lines[4999]).isEqualTo("中文😀5000");
        }
    }

    @Nested
    class Failures {
        private Stream<List<?>> rowsWithBadQtyAt(int badRow, int total) {
            return IntStream.rangeClosed(1, total).mapToObj(i -> List.of(i, "n" + i, i == badRow ? "not a number" : i));
        }

        @Test
        void aTypeErrorOnRowNStoresNothingAndSaysWhere() throws SQLException {
            assertThatThrownBy(() -> bulk.copyIn(ITEMS, ITEM_COLUMNS, rowsWithBadQtyAt(500, 1000)))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageStartingWith("COPY into \"items\" failed: invalid input syntax for type integer")
                    .hasMessageContaining("line 500, column qty")
                    .extracting(e -> ((DataAccessException) e).sqlState()).isEqualTo("22P02");

            assertThat(count(pg.dataSource(), "items")).isZero();
            assertPoolConnectionIsClean();
            assertThat(bulk.copyIn(ITEMS, ITEM_COLUMNS, rowsWithBadQtyAt(-1, 10))).isEqualTo(10);
        }

        @Test
        void aConstraintViolationStoresNothing() throws SQLException {
            List<List<?>> rows = List.of(List.of(1, "a", 1), List.of(1, "duplicate", 2));

            assertThatThrownBy(() -> bulk.copyIn(ITEMS, ITEM_COLUMNS, rows))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("duplicate key value")
                    .extracting(e -> ((DataAccessException) e).sqlState()).isEqualTo("23505");
            assertThat(count(pg.dataSource(), "items")).isZero();
            assertPoolConnectionIsClean();
        }

        @Test
        void aNulCharacterIsRefusedBeforeItReachesTheServer() throws SQLException {
            List<List<?>> rows = List.of(List.of(1, "ok", 1), List.of(2, "bad\0name", 2), List.of(3, "never sent", 3));

            assertThatThrownBy(() -> bulk.copyIn(ITEMS, ITEM_COLUMNS, rows))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("row 2, column \"name\"")
                    .hasMessageContaining("NUL");

            assertThat(count(pg.dataSource(), "items")).isZero();
            assertPoolConnectionIsClean();
        }

        @Test
        void aFailingRowSourceStoresNothingAndItsExceptionPassesThrough() throws SQLException {
            IllegalStateException boom = new IllegalStateException("source failed");
            Iterable<List<?>> rows = () -> new Iterator<>() {
                private int i;

                @Override
                public boolean hasNext() {
                    return true;
                }

                @Override
                public List<?> next() {
                    if (++i == 50_000) {
                        throw boom;
                    }
                    return List.of(i, "n", i);
                }
            };

            assertThatThrownBy(() -> bulk.copyIn(ITEMS, ITEM_COLUMNS, rows)).isSameAs(boom);
            assertThat(count(pg.dataSource(), "items")).isZero();
            assertPoolConnectionIsClean();
        }

        @Test
        void aFailingInputStreamStoresNothing() throws SQLException {
            @SuppressWarnings("InputStreamSlowMultibyteRead") // a byte at a time is fast enough for 200 kB
            InputStream failing = new InputStream() {
                private int sent;

                @Override
                public int read() throws IOException {
                    if (sent == 200_000) {
                        throw new IOException("disk gone");
                    }
                    return "1\tx\t1\n".charAt(sent++ % 6);
                }
            };

            assertThatThrownBy(() -> bulk.copyIn(ITEMS, ITEM_COLUMNS, failing, CopyFormat.TEXT))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("COPY into \"items\" failed: could not read the input")
                    .hasMessageContaining("disk gone")
                    .hasCauseInstanceOf(IOException.class);
            assertThat(count(pg.dataSource(), "items")).isZero();
            assertPoolConnectionIsClean();
        }

        @Test
        void anUnpairedSurrogateInAReaderStoresNothing() throws SQLException {
            assertThatThrownBy(() -> bulk.copyIn(ITEMS, ITEM_COLUMNS, new StringReader("1\ta\uD800\t1\n"), CopyFormat.TEXT))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("not valid UTF-16");
            assertThat(count(pg.dataSource(), "items")).isZero();
            assertPoolConnectionIsClean();
        }

        @Test
        void aRowCallbackExceptionCancelsTheCopyAndPassesThroughUnwrapped() throws SQLException {
            String big = "select g, repeat('x', 1000) from generate_series(1, 1000000) g";
            IOException stop = new IOException("stop");
            List<String> seen = new ArrayList<>();

            assertThatThrownBy(() -> bulk.copyOut(big, row -> {
                seen.add(row.get(0));
                if (seen.size() == 1000) {
                    throw stop;
                }
            })).isSameAs(stop);

            assertThat(seen).hasSize(1000);
            assertPoolConnectionIsClean();
            assertThat(copyOutRows("select 1")).containsExactly(List.of("1"));
        }

        @Test
        void aCallbackSqlExceptionIsNotMistakenForTheDriversOwn() {
            SQLException own = new SQLException("callback's own", "99999");

            assertThatThrownBy(() -> bulk.copyOut("select 1", row -> {
                throw own;
            })).isSameAs(own);
        }

        @Test
        void aFailingWriterCancelsTheCopy() throws SQLException {
            Writer failing = new Writer() {
                private int written;

                @Override
                public void write(char[] cbuf, int off, int len) throws IOException {
                    written += len;
                    if (written > 100_000) {
                        throw new IOException("pipe closed");
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };

            assertThatThrownBy(() -> bulk.copyOut("select g from generate_series(1, 1000000) g", failing, CopyFormat.CSV))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("could not write the output")
                    .hasMessageContaining("pipe closed");
            assertPoolConnectionIsClean();
        }

        @Test
        void aQueryThatFailsMidStreamIsADataAccessException() throws SQLException {
            List<String> seen = new ArrayList<>();

            assertThatThrownBy(() -> bulk.copyOut("select 1 / (g - 5000) from generate_series(1, 10000) g",
                    row -> seen.add(row.get(0))))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageStartingWith("COPY out of \"select 1 / (g - 5000)")
                    .hasMessageContaining("division by zero")
                    .extracting(e -> ((DataAccessException) e).sqlState()).isEqualTo("22012");
            assertThat(seen).hasSizeLessThan(5000);
            assertPoolConnectionIsClean();
        }

        @Test
        void aMissingColumnIsReportedBeforeAnyRowIsSent() throws SQLException {
            assertThatThrownBy(() -> bulk.copyIn(ITEMS, List.of("id", "nope"), List.of(List.of(1, 2))))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("column \"nope\" of relation \"items\" does not exist")
                    .extracting(e -> ((DataAccessException) e).sqlState()).isEqualTo("42703");
            assertPoolConnectionIsClean();
        }
    }

    @Nested
    class Transactions {
        @Test
        void onTheCallersConnectionARolledBackTransactionLeavesNothing() throws SQLException {
            try (Connection c = pg.dataSource().getConnection()) {
                c.setAutoCommit(false);
                BulkTransfer inTx = BulkTransfer.on(c);

                assertThat(inTx.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "a", 1), List.of(2, "b", 2)))).isEqualTo(2);
                assertThat(inTx.copyOut("select count(*) from items", row -> assertThat(row).containsExactly("2")))
                        .isEqualTo(1);
                assertThat(count(pg.dataSource(), "items")).as("not visible outside the transaction").isZero();

                c.rollback();
                assertThat(c.isClosed()).isFalse();
            }
            assertThat(count(pg.dataSource(), "items")).isZero();
        }

        @Test
        void withAJdbiHandleTheCopyJoinsTheHandlesTransaction() throws SQLException {
            Jdbi jdbi = Jdbi.create(pool);

            assertThatThrownBy(() -> jdbi.useTransaction(h -> {
                h.execute("insert into items values (0, 'by jdbi', 0)");
                BulkTransfer.on(h.getConnection()).copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "by copy", 1)));
                throw new IllegalStateException("roll it all back");
            })).hasMessage("roll it all back");
            assertThat(count(pool, "items")).isZero();

            jdbi.useTransaction(h -> {
                h.execute("insert into items values (0, 'by jdbi', 0)");
                BulkTransfer.on(h.getConnection()).copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "by copy", 1)));
            });
            assertThat(select(pool, "select name from items order by id"))
                    .containsExactly(List.of("by jdbi"), List.of("by copy"));
        }

        @Test
        void onAutoCommitConnectionEachCopyCommitsAndTheConnectionStaysOpen() throws SQLException {
            try (Connection c = pool.getConnection()) {
                BulkTransfer.on(c).copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "a", 1)));
                assertThat(c.isClosed()).isFalse();
            }
            try (HikariDataSource other = pool(pg.dataSource(), true)) {
                assertThat(count(other, "items")).isEqualTo(1);
            }
        }

        @Test
        void aFailedCopyOnTheCallersConnectionLeavesItUsableAfterRollback() throws SQLException {
            try (Connection c = pg.dataSource().getConnection()) {
                c.setAutoCommit(false);
                BulkTransfer inTx = BulkTransfer.on(c);
                inTx.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "kept?", 1)));

                assertThatThrownBy(() -> inTx.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(2, "bad\0", 2))))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("row 1, column \"name\": contains a NUL character");
                assertThatThrownBy(() -> inTx.copyOut("select 1", row -> { }))
                        .isInstanceOf(DataAccessException.class)
                        .extracting(e -> ((DataAccessException) e).sqlState()).isEqualTo("25P02");

                c.rollback();
                assertThat(inTx.copyOut("select count(*) from items", row -> assertThat(row).containsExactly("0")))
                        .isEqualTo(1);
            }
        }

        @Test
        void aPoolWithoutAutoCommitIsCommittedOnSuccessAndRolledBackOnFailure() throws SQLException {
            try (HikariDataSource manual = pool(pg.dataSource(), false)) {
                BulkTransfer manualBulk = BulkTransfer.of(manual);

                assertThat(manualBulk.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(1, "a", 1)))).isEqualTo(1);
                assertThat(count(pg.dataSource(), "items")).as("committed, visible elsewhere").isEqualTo(1);

                assertThatThrownBy(() -> manualBulk.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(2, "b", "x"))))
                        .isInstanceOfSatisfying(DataAccessException.class,
                                e -> assertThat(e.sqlState()).isEqualTo("22P02"))   // invalid_text_representation
                        .hasMessageContaining("COPY into \"items\" failed").hasMessageContaining("column qty");
                assertThatThrownBy(() -> manualBulk.copyOut("select 1", row -> {
                    throw new IllegalStateException("callback");
                })).hasMessage("callback");

                assertThat(manualBulk.copyIn(ITEMS, ITEM_COLUMNS, List.of(List.of(3, "c", 3)))).isEqualTo(1);
                assertThat(select(pg.dataSource(), "select id from items order by id"))
                        .containsExactly(List.of("1"), List.of("3"));
            }
        }

        @Test
        void aClosedConnectionIsRefused() throws SQLException {
            Connection c = pool.getConnection();
            c.close();

            assertThatThrownBy(() -> BulkTransfer.on(c).copyOut("select 1", row -> { }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("COPY out of \"select 1\" failed: the connection is closed");
        }
    }
}
