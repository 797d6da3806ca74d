package io.pgdock.cli;

/**
 * Bad input found once a command ran (a bad key, invalid JSON, a bad file name): exit code {@value PgdockCli#USAGE}.
 * The message is shown as it is, after {@code pgdock: }, so it names the bad argument and never holds a secret.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
