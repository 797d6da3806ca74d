package io.pgdock.core.internal;

import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.GT;

/**
 * The refusals pgjdbc raises with SQLSTATE {@code 08004} ({@code PSQLState.CONNECTION_REJECTED}) that pgdock tells
 * apart. They share that SQLSTATE and carry no cause, so the message is all there is; it is compared with the driver's
 * own rendering of the same template ({@link GT#tr}, which translates it as the driver does for the JVM's locale), never
 * with English text, and a placeholder is matched as anything. Each template is pinned by a test that makes the real
 * driver raise it ({@code DriverRejectionTest}), so a driver upgrade that changes one fails the build, not the
 * classification.
 */
enum DriverRejection {
    /** The server asked for a password (cleartext, MD5 or SCRAM) and the driver had none. */
    NO_PASSWORD(
            "The server requested password-based authentication, but no password was provided by plugin {0}",
            "The server requested SCRAM-based authentication, but no password was provided."),
    /** {@code sslmode} requires TLS, and the server does not offer it. */
    TLS_UNSUPPORTED(
            "The server does not support SSL."),
    /** {@code gssEncMode=require}, and the server does not offer GSS encryption. */
    GSS_UNSUPPORTED(
            "The server does not support GSS Encoding.",
            "The server does not support GSS Encryption."),
    /** {@code channelBinding=require}, and the server did not authenticate with SCRAM over TLS. */
    CHANNEL_BINDING(
            "Channel binding is required, but server skipped authentication. "
                    + "Channel binding is only supported with SCRAM authentication over encrypted connections.",
            "Channel binding is required, but server requested ''{0}'' authentication. "
                    + "Channel binding is only supported with SCRAM authentication over encrypted connections.",
            "Channel Binding is required, but SSL is not in use"),
    /** The server asked for an authentication method pgjdbc does not implement. */
    METHOD_UNSUPPORTED(
            "The authentication type {0} is not supported. Check that you have configured the pg_hba.conf file to "
                    + "include the client''s IP address or subnet, and that it is using an authentication scheme "
                    + "supported by the driver.");

    /** Stands for a placeholder's argument; no driver message contains it. */
    private static final String MARK = "\u0000pgdock\u0000";

    @SuppressWarnings("ImmutableEnumChecker") // filled by the constructor, then only read (never handed out)
    private final List<String[]> templates;   // prefix and suffix of each rendered template

    DriverRejection(String... patterns) {
        this.templates = java.util.Arrays.stream(patterns).map(DriverRejection::render).toList();
    }

    private static String[] render(String pattern) {
        String rendered = GT.tr(pattern, MARK, MARK);
        int at = rendered.indexOf(MARK);
        return at < 0 ? new String[] {rendered, null}
                : new String[] {rendered.substring(0, at), rendered.substring(at + MARK.length())};
    }

    private boolean matches(String message) {
        for (String[] t : templates) {
            if (t[1] == null ? message.equals(t[0])
                    : message.length() >= t[0].length() + t[1].length() && message.startsWith(t[0])
                            && message.endsWith(t[1])) {
                return true;
            }
        }
        return false;
    }

    /**
     * Which refusal {@code e} is.
     *
     * @return the refusal, or null when {@code e} is not an {@code 08004} of a known template
     */
    static @Nullable DriverRejection of(SQLException e) {
        if (!"08004".equals(e.getSQLState()) || e.getMessage() == null) {
            return null;
        }
        for (DriverRejection r : values()) {
            if (r.matches(e.getMessage())) {
                return r;
            }
        }
        return null;
    }
}
