package io.pgdock.cli;

/**
 * A run-time failure the CLI itself detects (a missing key, pending migrations, a health check that is down): exit
 * code {@value PgdockCli#FAILURE}. The message is shown as it is, after {@code pgdock: }.
 */
final class CliFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliFailure(String message) {
        super(message);
    }
}
