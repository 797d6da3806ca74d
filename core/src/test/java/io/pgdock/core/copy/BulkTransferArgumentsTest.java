package io.pgdock.core.copy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionFailedException;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Argument checks happen before any connection is borrowed, so these run without a server: the data source points at a
 * port nothing listens on, and any attempt to connect would fail the test with a DataAccessException.
 */
class BulkTransferArgumentsTest {
    private static final TableName TABLE = TableName.of("t");
    private final BulkTransfer bulk = BulkTransfer.of(unreachable());

    private static PGSimpleDataSource unreachable() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {1});
        ds.setConnectTimeout(1);
        return ds;
    }

    @Test
    void factoriesRefuseNull() {
        assertThatThrownBy(() -> BulkTransfer.of(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("dataSource");
        assertThatThrownBy(() -> BulkTransfer.on(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("connection");
    }

    @Test
    void copyInChecksEveryArgument() {
        List<List<?>> rows = List.of(List.of(1));
        assertThatThrownBy(() -> bulk.copyIn(null, List.of("a"), rows)).isInstanceOf(NullPointerException.class)
                .hasMessage("table");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, null, rows)).isInstanceOf(NullPointerException.class)
                .hasMessage("columns");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a"), (Iterable<List<?>>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("rows");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a"), (Stream<List<?>>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("rows");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of(), rows)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("columns must not be empty");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, Arrays.asList("a", null), rows))
                .isInstanceOf(NullPointerException.class).hasMessage("columns[1]");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a", ""), rows))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("columns[1] must not be empty");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a", "b", "a"), rows))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("columns must not contain a name twice, but columns[2] is \"a\" again");
    }

    @Test
    void rawCopyInChecksEveryArgument() {
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a"), (StringReader) null, CopyFormat.CSV))
                .isInstanceOf(NullPointerException.class).hasMessage("data");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a"), new StringReader(""), null))
                .isInstanceOf(NullPointerException.class).hasMessage("format");
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of(), new ByteArrayInputStream(new byte[0]), CopyFormat.CSV))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("columns must not be empty");
    }

    @Test
    void copyOutChecksEveryArgument() {
        assertThatThrownBy(() -> bulk.copyOut(null, new StringWriter(), CopyFormat.CSV))
                .isInstanceOf(NullPointerException.class).hasMessage("selectQuery");
        assertThatThrownBy(() -> bulk.copyOut(" \n", new StringWriter(), CopyFormat.CSV))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("selectQuery must not be blank");
        assertThatThrownBy(() -> bulk.copyOut("select 1", (StringWriter) null, CopyFormat.CSV))
                .isInstanceOf(NullPointerException.class).hasMessage("out");
        assertThatThrownBy(() -> bulk.copyOut("select 1", new StringWriter(), null))
                .isInstanceOf(NullPointerException.class).hasMessage("format");
        assertThatThrownBy(() -> bulk.copyOut("select 1", (BulkTransfer.RowCallback<RuntimeException>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("callback");
    }

    @Test
    void aConnectionFailureIsAConnectionFailedExceptionNamingTheOperation() {
        assertThatThrownBy(() -> bulk.copyIn(TABLE, List.of("a"), List.of(List.of(1))))
                .isInstanceOf(ConnectionFailedException.class)
                .hasMessageStartingWith("cannot connect to the data source for COPY into \"t\": no server answered")
                .extracting(e -> ((ConnectionFailedException) e).reason())
                .isEqualTo(ConnectionFailedException.Reason.UNREACHABLE);
    }
}
