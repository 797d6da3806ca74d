package io.pgdock.core;

import java.util.Locale;

/**
 * TLS modes, with the meaning and spelling of libpq's and pgjdbc's {@code sslmode}.
 */
public enum SslMode {
    /** Never use TLS. */
    DISABLE("disable"),
    /** Try a plain connection first, then TLS. */
    ALLOW("allow"),
    /** Try TLS first, then a plain connection (the pgjdbc default). */
    PREFER("prefer"),
    /** Use TLS; do not verify the server certificate. */
    REQUIRE("require"),
    /** Use TLS and verify that the server certificate is signed by a trusted authority. */
    VERIFY_CA("verify-ca"),
    /** Use TLS, verify the certificate and that the host name matches it. */
    VERIFY_FULL("verify-full");

    private final String value;

    SslMode(String value) {
        this.value = value;
    }

    /**
     * The spelling used in URLs and by libpq/pgjdbc, for example {@code "verify-full"}.
     *
     * @return the external value
     */
    public String value() {
        return value;
    }

    static SslMode parse(String source, String raw) {
        for (SslMode mode : values()) {
            if (mode.value.equals(raw.toLowerCase(Locale.ROOT))) {
                return mode;
            }
        }
        throw new InvalidConnectionSpecException(source,
                "unknown sslmode, expected one of disable, allow, prefer, require, verify-ca, verify-full, but was "
                        + Values.show(raw));
    }
}
