package io.pgdock.datasource;

import java.sql.SQLTransientConnectionException;

/** The factory's own connection limit was reached: SQLSTATE 53300, as the server's own "too many connections". */
final class LimitReachedException extends SQLTransientConnectionException {
    private static final long serialVersionUID = 1L;

    LimitReachedException(String message) {
        super(message, "53300");
    }
}
