package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The external server named by {@value TestPostgres#URL_VARIABLE}, read from a system property first and an environment
 * variable second. A value that is empty or blank counts as unset (CI systems often export missing secrets as empty
 * strings). Both sources are passed in, so tests can supply their own.
 *
 * @param adminSpec the admin account's connection, on the maintenance database the URL names
 * @param source where the URL came from, for messages: {@code "environment variable PGDOCK_TEST_URL"} or
 *     {@code "system property PGDOCK_TEST_URL"}
 */
record ServerUrl(ConnectionSpec adminSpec, String source) {

    static final String EXAMPLE = "postgresql://postgres@127.0.0.1:5432/postgres";

    ServerUrl {
        Objects.requireNonNull(adminSpec, "adminSpec");
        Objects.requireNonNull(source, "source");
    }

    /**
     * Finds and parses {@value TestPostgres#URL_VARIABLE}.
     *
     * @param systemProperties looks up a system property, usually {@code System::getProperty}
     * @param env the environment, usually {@code System.getenv()}
     * @return the server, or empty when neither source sets the variable
     * @throws IllegalArgumentException if the value is not a valid URL; the message names the variable and its source and
     *     shows the value with any password masked
     */
    static Optional<ServerUrl> find(UnaryOperator<String> systemProperties, Map<String, String> env) {
        Objects.requireNonNull(systemProperties, "systemProperties");
        Objects.requireNonNull(env, "env");
        String name = TestPostgres.URL_VARIABLE;
        String property = systemProperties.apply(name);
        if (property != null && !property.isBlank()) {
            return Optional.of(parse(property, "system property " + name, env));
        }
        String variable = env.get(name);
        if (variable != null && !variable.isBlank()) {
            return Optional.of(parse(variable, "environment variable " + name, env));
        }
        return Optional.empty();
    }

    /** Parses the URL; without a password in it, the password file's (pgdock reads it, pgjdbc is kept from it). */
    private static ServerUrl parse(String url, String source, Map<String, String> env) {
        try {
            return new ServerUrl(ConnectionSpec.parse(url.strip()).withPasswordFile(env), source);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not a valid PostgreSQL URL: \"" + redact(url.strip())
                    + "\" (" + e.getMessage() + "). Set it to an admin account's URL, for example " + EXAMPLE
                    + " or jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres, or unset it to use an embedded"
                    + " PostgreSQL", e);
        }
    }

    /**
     * The URL with anything that may be a password replaced by {@code ***}. Errs towards hiding too much: for a URL this
     * class could not parse, the user info may not be where a parser would look for it.
     *
     * <ul>
     *   <li>user info: everything between the first {@code ':'} after the scheme's {@code "//"} and the last {@code '@'};
     *   <li>parameters: everything after the first {@code password=} (which also catches {@code sslpassword=}), since a
     *       raw {@code '&'} in a password would otherwise end the masking early.
     * </ul>
     */
    static String redact(String url) {
        String masked = url;
        int password = masked.toLowerCase(Locale.ROOT).indexOf("password=");
        if (password >= 0) {
            masked = masked.substring(0, password + "password=".length()) + "***";
        }
        int start = masked.indexOf("//");
        start = start < 0 ? 0 : start + 2;
        int at = masked.lastIndexOf('@');
        int colon = masked.indexOf(':', start);
        if (at > start && colon >= 0 && colon < at) {
            masked = masked.substring(0, colon + 1) + "***" + masked.substring(at);
        }
        return masked;
    }
}
