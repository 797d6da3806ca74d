package io.pgdock.spring;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.InvalidConnectionSpecException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * Spring Boot's startup failure report for pgdock: what is missing or wrong, named as the {@code pgdock.*} property
 * (with the library's variable beside it), and what to do. Registered in {@code META-INF/spring.factories}. Handles
 * {@link PgdockNotConfiguredException}, {@link InvalidConnectionSpecException} (a connection setting),
 * {@link ConnectionFailedException} (the storage could not be opened) and a refused option value. Shows no setting's
 * value beyond what the library's messages show, and those never show a password.
 */
final class PgdockFailureAnalyzer implements FailureAnalyzer {
    private static final Pattern VARIABLE = Pattern.compile("\\bPGDOCK_[A-Z0-9_]+");
    private static final List<String> TWO_WORD_FIELDS = List.of("CONNECT_TIMEOUT", "CONFIG_KEYS", "ADMIN_URL",
            "OWNER_URL");

    @Override
    public @Nullable FailureAnalysis analyze(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PgdockNotConfiguredException e) {
                return new FailureAnalysis("pgdock: " + e.getMessage(), "Set " + e.property()
                        + " (see the pgdock.* properties in the README of pgdock-spring-boot-starter).", e);
            }
            if (t instanceof InvalidConnectionSpecException e) {
                return new FailureAnalysis("pgdock: a connection setting is missing or invalid: "
                        + withProperties(String.valueOf(e.getMessage())),
                        "Fix " + withProperties(e.source()) + "; pgdock reads pgdock.url (PGDOCK_URL) first, then "
                        + "its service, then each field (pgdock.host, pgdock.port, pgdock.database, pgdock.user, "
                        + "pgdock.password, pgdock.schema, ...), then libpq's PG* variables.", e);
            }
            if (t instanceof ConnectionFailedException e) {
                return new FailureAnalysis("pgdock: the storage could not be opened (" + e.reason() + "): "
                        + withProperties(String.valueOf(e.getMessage())),
                        "Check the storage's connection (pgdock.url or the application's spring.datasource.*) "
                        + "and that the server, database, role and schema exist as the message says; "
                        + "pgdock.storage.create-schema=true creates a missing schema.", e);
            }
            String message = t.getMessage();
            if (t instanceof IllegalArgumentException && message != null && message.startsWith("pgdock.")) {
                String property = message.substring(0, message.indexOf(':') < 0 ? message.length()
                        : message.indexOf(':'));
                return new FailureAnalysis("pgdock: a property's value is refused: " + message,
                        "Change " + property + ".", t);
            }
        }
        return null;
    }

    /** Adds the property beside each of the library's variables in a message: {@code PGDOCK_PORT (pgdock.port)}. */
    static String withProperties(String message) {
        Matcher m = VARIABLE.matcher(message);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(property(m.group()) + " (" + m.group() + ")"));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The property of one of the library's variables: {@code PGDOCK_CONNECT_TIMEOUT} is {@code pgdock.connect-timeout},
     * {@code PGDOCK_TARGET_WAREHOUSE_URL} is {@code pgdock.target.warehouse.url}, {@code PGDOCK_CONFIG_KEYS} is
     * {@code pgdock.config.keys}.
     */
    static String property(String variable) {
        String rest = variable.substring("PGDOCK_".length());
        String prefix = "pgdock.";
        if (rest.startsWith("TARGET_")) {
            rest = rest.substring("TARGET_".length());
            String field = field(rest);
            String name = rest.length() > field.length() ? rest.substring(0, rest.length() - field.length() - 1) : "";
            return prefix + "target." + name.toLowerCase(Locale.ROOT).replace('_', '-') + "." + dashed(field);
        }
        if ("CONFIG_KEYS".equals(rest)) {
            return prefix + "config.keys";
        }
        return prefix + dashed(rest);
    }

    private static String field(String rest) {
        for (String two : TWO_WORD_FIELDS) {
            if (rest.endsWith("_" + two)) {
                return two;
            }
        }
        int last = rest.lastIndexOf('_');
        return last < 0 ? rest : rest.substring(last + 1);
    }

    private static String dashed(String field) {
        return field.toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
