package io.pgdock.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/**
 * How HikariCP's pool timeout is told apart: the exception is HikariCP 7.1's (its message format, no cause and no
 * SQLSTATE when none of the pool's own connection attempts has failed yet); the pool-level behaviour is covered against
 * a real server by core-it's StorageTest and the reliability suite.
 */
class SqlFailuresTest {
    private static SQLTransientConnectionException poolTimeout(int total, int active, int idle, int waiting) {
        return new SQLTransientConnectionException("pgdock-storage - Connection is not available, request timed out "
                + "after 2001ms (total=" + total + ", active=" + active + ", idle=" + idle + ", waiting=" + waiting
                + ")");
    }

    @Test
    void aPoolWhoseConnectionsAreAllLentIsBusy() {
        ConnectionFailedException e = SqlFailures.connectFailure(poolTimeout(4, 4, 0, 2), "postgresql://app@db/app");
        assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS);
        assertThat(e.getMessage()).contains("all open connections were lent", "raise the pool's maximum size");
    }

    @Test
    void aPoolThatNeverOpenedAConnectionIsAServerThatDidNotAnswer() {
        ConnectionFailedException e = SqlFailures.connectFailure(poolTimeout(0, 0, 0, 1), "postgresql://app@db/app");
        assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(e.getMessage()).contains("the server did not answer in time").doesNotContain("lent");
    }

    @Test
    void aTimeoutWithTheLastConnectionFailureAsCauseIsClassifiedByThatFailure() {
        SQLException refused = new SQLException("password authentication failed for user \"app\"", "28P01");
        SQLTransientConnectionException timeout = new SQLTransientConnectionException(
                poolTimeout(0, 0, 0, 1).getMessage(), "28P01", refused);
        assertThat(SqlFailures.classify(timeout)).isEqualTo(Reason.AUTHENTICATION);
    }

    @Test
    void otherTransientFailuresAreNotMistakenForAPoolTimeout() {
        assertThat(SqlFailures.classify(new SQLTransientConnectionException("connection reset"))).isEqualTo(Reason.OTHER);
        assertThat(SqlFailures.classify(poolTimeout(3, 2, 1, 0))).isEqualTo(Reason.OTHER);
    }
}
