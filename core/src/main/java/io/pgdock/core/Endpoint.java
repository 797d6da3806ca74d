package io.pgdock.core;

import java.util.Objects;

/**
 * One server address of a {@link ConnectionSpec}: a host name or IP address and a TCP port.
 *
 * @param host a host name, an IPv4 address or an IPv6 address (without brackets)
 * @param port a TCP port, 1 to 65535
 */
public record Endpoint(String host, int port) {
    /** The port PostgreSQL listens on unless told otherwise. */
    public static final int DEFAULT_PORT = 5432;

    /**
     * Validates both parts.
     *
     * @param host a host name, an IPv4 address or an IPv6 address (without brackets)
     * @param port a TCP port, 1 to 65535
     * @throws InvalidConnectionSpecException if the host is empty or has characters no host name has, or the port is out
     *     of range
     */
    public Endpoint {
        checkHost("host", host);
        checkPort("port", port);
    }

    static String checkHost(String source, String host) {
        Objects.requireNonNull(host, source);
        if (host.isEmpty()) {
            throw new InvalidConnectionSpecException(source, "must not be empty");
        }
        if (host.startsWith("/")) {
            throw new InvalidConnectionSpecException(source,
                    "Unix-domain sockets are not supported (pgjdbc connects over TCP), but was " + Values.show(host));
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
            if (!ok) {
                throw new InvalidConnectionSpecException(source,
                        "must be a host name or IP address (letters, digits, '.', '-', '_', ':', '%'), but was "
                                + Values.show(host));
            }
        }
        return host;
    }

    static int checkPort(String source, int port) {
        if (port < 1 || port > 65535) {
            throw new InvalidConnectionSpecException(source, "must be between 1 and 65535, but was " + port);
        }
        return port;
    }

    static int parsePort(String source, String raw) {
        int port;
        try {
            port = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new InvalidConnectionSpecException(source, "must be a port number between 1 and 65535, but was "
                    + Values.show(raw));
        }
        if (port < 1 || port > 65535) {
            throw new InvalidConnectionSpecException(source, "must be between 1 and 65535, but was " + Values.show(raw));
        }
        return port;
    }

    /**
     * {@code host:port}, with an IPv6 address in brackets.
     *
     * @return the address as it appears in a URL
     */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
