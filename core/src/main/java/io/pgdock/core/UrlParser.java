package io.pgdock.core;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Parses {@code postgresql://}, {@code postgres://} and {@code jdbc:postgresql://} URLs into a
 * {@link ConnectionSpec.Builder}. Every error names the URL part ({@code "<source> parameter sslmode"}) and shows the bad
 * value; the password is never shown, and a URL shown whole has its password masked.
 */
final class UrlParser {
    private static final String[] SCHEMES = {"jdbc:postgresql://", "postgresql://", "postgres://"};

    /** What a parameter name looks like; other names are shown as bad values are. */
    private static final java.util.regex.Pattern PLAIN_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private UrlParser() {
    }

    static ConnectionSpec.Builder parse(String url, String source) {
        String rest = null;
        for (String scheme : SCHEMES) {
            if (url.regionMatches(true, 0, scheme, 0, scheme.length())) {
                rest = url.substring(scheme.length());
                break;
            }
        }
        if (rest == null) {
            // Show only the start: the rest of a URL in an unknown form may hold a password anywhere.
            throw new InvalidConnectionSpecException(source,
                    "must start with postgresql://, postgres:// or jdbc:postgresql://, but starts with "
                            + Values.show(schemeOf(url)));
        }
        if (rest.indexOf('#') >= 0) {
            throw new InvalidConnectionSpecException(source, "must not contain '#'; percent-encode it as %23 "
                    + "(value not shown, it may hold a password)");
        }
        int authorityEnd = indexOfAny(rest, "/?");
        if (authorityEnd >= 0 && rest.indexOf('@') > authorityEnd) {
            // Either the password holds an unencoded '/', '?' or '#', or a later part holds a raw '@'. Showing any part
            // could show a piece of the password, so show nothing.
            throw new InvalidConnectionSpecException(source, "has an '@' after the host; percent-encode '@' as %40, and "
                    + "'/', '?', '#' in the user or password as %2F, %3F, %23 (value not shown, it may hold a password)");
        }
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }

        ConnectionSpec.Builder b = ConnectionSpec.builder();
        Set<String> seen = new HashSet<>();
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String user = colon >= 0 ? userInfo.substring(0, colon) : userInfo;
            if (!user.isEmpty()) {
                b.setUser(decode(user, source + " user", true), source + " user");
                seen.add("user");
            }
            if (colon >= 0) {
                b.setPassword(decode(userInfo.substring(colon + 1), source + " password", false), source + " password");
                seen.add("password");
            }
        }
        parseHosts(b, rest, source);
        if (!path.isEmpty()) {
            if (path.indexOf('/') >= 0) {
                throw new InvalidConnectionSpecException(source + " database",
                        "must be a single path segment, but was " + Values.show(path));
            }
            b.setDatabase(decode(path, source + " database", true), source + " database");
        }
        if (query != null && !query.isEmpty()) {
            parseQuery(b, query, source, seen);
        }
        return b;
    }

    /**
     * Reads the host list as libpq does: each host and port is percent-decoded, an empty port ({@code host:}) means the
     * default, and an empty list leaves the hosts unset (libpq would then use its default Unix-domain socket; the caller
     * decides whether another source gives a host). What pgjdbc cannot do is refused by name: a host that names a
     * Unix-domain socket directory ({@code %2Fvar%2Frun%2Fpostgresql}), or a port without a host ({@code :5433}).
     */
    private static void parseHosts(ConnectionSpec.Builder b, String hostList, String source) {
        if (hostList.isEmpty()) {
            return;
        }
        for (String part : hostList.split(",", -1)) {
            String host;
            String port = null;
            if (part.startsWith("[")) {
                int close = part.indexOf(']');
                if (close < 0) {
                    throw new InvalidConnectionSpecException(source + " host",
                            "IPv6 address has no closing ']': " + Values.show(part));
                }
                host = part.substring(1, close);
                if (host.isEmpty()) {
                    throw new InvalidConnectionSpecException(source + " host", "IPv6 address is empty: "
                            + Values.show(part));
                }
                String after = part.substring(close + 1);
                if (!after.isEmpty()) {
                    if (!after.startsWith(":")) {
                        throw new InvalidConnectionSpecException(source + " host",
                                "expected ':port' after ']', but was " + Values.show(part));
                    }
                    port = after.substring(1);
                }
            } else {
                int colon = part.lastIndexOf(':');
                host = colon >= 0 ? part.substring(0, colon) : part;
                port = colon >= 0 ? part.substring(colon + 1) : null;
            }
            if (host.isEmpty()) {
                throw new InvalidConnectionSpecException(source + " host", "host is not set in " + Values.show(part)
                        + " (libpq would connect through a Unix-domain socket, which pgjdbc does not support; name a "
                        + "TCP host)");
            }
            host = decode(host, source + " host", true);
            if (host.startsWith("/") || host.startsWith("@")) {
                throw new InvalidConnectionSpecException(source + " host", "is a Unix-domain socket "
                        + (host.startsWith("/") ? "directory " : "(abstract namespace) ") + Values.show(host)
                        + ", which pgjdbc cannot connect to (it connects over TCP only); name a TCP host such as "
                        + "localhost");
            }
            // As libpq: "host:" (an empty port) means the default port.
            String decodedPort = port == null ? null : decode(port, source + " port", true);
            Integer p = decodedPort == null || decodedPort.isEmpty() ? null : Endpoint.parsePort(source + " port",
                    decodedPort);
            b.addEndpoint(host, p, source + " host");
        }
    }

    /** The parameters modelled by {@link ConnectionSpec}, in every spelling {@link #parseQuery} accepts. */
    private static final Set<String> KNOWN_NAMES = Set.of("user", "password", "currentSchema", "sslmode",
            "ApplicationName", "application_name", "connectTimeout", "connect_timeout", "socketTimeout",
            "statementTimeout", "lockTimeout", "idleInTransactionSessionTimeout", "targetServerType", "readOnly",
            "sslpassword", "service");

    /**
     * libpq's connection parameters that pgdock does not take in a URL, each with why and what to write instead. They
     * are refused by name, so a URL written for libpq fails saying what to change rather than as an unknown option.
     */
    static final java.util.Map<String, String> LIBPQ_UNSUPPORTED = java.util.Map.of(
            "host", "libpq takes hosts (and Unix-domain socket directories) here; pgdock reads hosts only from the part "
                    + "before the path (postgresql://host1:5432,host2/db), since pgjdbc connects over TCP only",
            "hostaddr", "pgjdbc has no separate numeric address that skips the name lookup; put the address itself in "
                    + "the host part (postgresql://192.0.2.1/db)",
            "port", "put the port after the host (postgresql://host:5433/db), one per host",
            "dbname", "put the database in the path (postgresql://host/db)",
            "options", "it sends server settings at login (-c name=value) that would override what pgdock sets "
                    + "(search_path, timeouts); use currentSchema, statementTimeout or lockTimeout, or ALTER ROLE ... SET",
            "passfile", "name the password file in PGPASSFILE, which ConnectionSpec.fromEnvironment reads",
            "servicefile", "name the service file in PGSERVICEFILE, which ConnectionSpec.fromEnvironment reads",
            "target_session_attrs", "use pgjdbc's targetServerType (any, primary, secondary, preferSecondary, "
                    + "preferPrimary)");

    private static void parseQuery(ConnectionSpec.Builder b, String query, String source, Set<String> seen) {
        // A raw '&' inside a password value splits it, and its tail would then be reported as an unknown parameter.
        boolean hasPassword = ("&" + query).contains("&password=") || ("&" + query).contains("&sslpassword=");
        boolean afterPassword = false;
        for (String pair : query.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String rawName = eq >= 0 ? pair.substring(0, eq) : pair;
            // Behind a password, a parameter we do not know may be the password's tail split off at a raw '&': neither
            // its name nor its value is shown, whatever goes wrong with it.
            boolean mayBePassword = hasPassword && !KNOWN_NAMES.contains(rawName)
                    && !ConnectionSpec.ALLOWED_OPTIONS.contains(rawName) && !LIBPQ_UNSUPPORTED.containsKey(rawName);
            String name = decode(rawName, source + " parameter name", !mayBePassword);
            // A name that does not look like one is shown quoted, escaped and cut, as any bad value is.
            String at = source + " parameter " + (mayBePassword ? "(name not shown: it may be part of the password)"
                    : PLAIN_NAME.matcher(name).matches() ? name : Values.show(name));
            boolean secret = name.equals("password") || name.equals("sslpassword");
            // After the password, even a known parameter may be the password's tail ("pw&sslmode=x"): its value is not
            // shown in any error either.
            boolean knownAfterPassword = afterPassword && !mayBePassword;
            afterPassword |= secret;
            String value = eq >= 0
                    ? decode(pair.substring(eq + 1), at, !secret && !mayBePassword && !knownAfterPassword) : "";
            String canonical = canonicalName(name);
            if (!seen.add(canonical)) {
                throw new InvalidConnectionSpecException(at, "is given more than once (in the query or also before the '@')");
            }
            if (eq < 0 && hasPassword) {
                throw new InvalidConnectionSpecException(source + " parameter", "has a parameter without '=' (not shown: "
                        + "it may be part of the password; percent-encode '&' in values as %26)");
            }
            try {
                setParameter(b, canonical, name, value, at, source, hasPassword);
            } catch (InvalidConnectionSpecException e) {
                if (!knownAfterPassword) {
                    throw e;   // shows no value of a parameter that may be the password's tail (see mayBePassword)
                }
                throw new InvalidConnectionSpecException(at, "is not valid (value not shown: it may be part of the "
                        + "password; percent-encode '&' in values as %26)");
            }
        }
    }

    /** Sets one query parameter on the builder; {@code at} names it in errors. */
    private static void setParameter(ConnectionSpec.Builder b, String canonical, String name, String value, String at,
            String source, boolean hasPassword) {
        switch (canonical) {
            case "user" -> b.setUser(value, at);
            case "password" -> b.setPassword(value, at);
            case "sslpassword" -> b.setSslPassword(value, at);
            case "currentSchema" -> b.setSchema(value, at);
            case "sslmode" -> b.sslMode(SslMode.parse(at, value));
            case "ApplicationName" -> b.setApplicationName(value, at);
            case "connectTimeout" -> b.connectTimeout(Duration.ofSeconds(parseNonNegative(at, value, "seconds")));
            case "socketTimeout" -> b.socketTimeout(Duration.ofSeconds(parseNonNegative(at, value, "seconds")));
            case "statementTimeout" -> b.statementTimeout(Duration.ofMillis(parseNonNegative(at, value, "ms")));
            case "lockTimeout" -> b.lockTimeout(Duration.ofMillis(parseNonNegative(at, value, "ms")));
            case "idleInTransactionSessionTimeout" ->
                    b.idleInTransactionSessionTimeout(Duration.ofMillis(parseNonNegative(at, value, "ms")));
            case "targetServerType" -> b.targetServerType(TargetServerType.parse(at, value));
            case "readOnly" -> b.readOnly(parseBoolean(at, value));
            case "service" -> b.setService(value, at);
            default -> {
                if (LIBPQ_UNSUPPORTED.containsKey(name)) {
                    throw new InvalidConnectionSpecException(at, "is not supported: " + LIBPQ_UNSUPPORTED.get(name));
                }
                if (hasPassword && !ConnectionSpec.ALLOWED_OPTIONS.contains(name)) {
                    throw new InvalidConnectionSpecException(source + " parameter", "has an unknown parameter (not "
                            + "shown: it may be part of the password; percent-encode '&' in values as %26); allowed "
                            + "options are " + new java.util.TreeSet<>(ConnectionSpec.ALLOWED_OPTIONS));
                }
                b.setOption(name, value, at);
            }
        }
    }

    /** Maps libpq's spellings of the settings we model to pgjdbc's, so a duplicate under two spellings is caught. */
    private static String canonicalName(String name) {
        return switch (name) {
            case "application_name" -> "ApplicationName";
            case "connect_timeout" -> "connectTimeout";
            default -> name;
        };
    }

    private static long parseNonNegative(String source, String value, String unit) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0 && n <= Integer.MAX_VALUE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidConnectionSpecException(source,
                "must be a whole number of " + unit + " from 0 to " + Integer.MAX_VALUE + ", but was " + Values.show(value));
    }

    private static boolean parseBoolean(String source, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConnectionSpecException(source, "must be true or false, but was " + Values.show(value));
        };
    }

    /** The text before the first character that could start credentials or options, at most 20 characters. */
    private static String schemeOf(String url) {
        int end = indexOfAny(url, ":/@=? ");
        String head = end < 0 ? url : url.substring(0, end + (end < url.length() && url.charAt(end) == ':' ? 1 : 0));
        return head.length() > 20 ? head.substring(0, 20) : head;
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Percent-decodes as UTF-8; a plus stays a plus. Strict: escapes that do not form UTF-8 (such as {@code %FF}) are
     * refused rather than turned into U+FFFD, so the value used is always the value written.
     */
    private static String decode(String s, String source, boolean showValue) {
        if (Values.unpairedSurrogate(s) >= 0) {   // UTF-8 has no form for it: it would reach the server as '?'
            throw new InvalidConnectionSpecException(source, "is not valid Unicode (an unpaired surrogate)"
                    + (showValue ? ": " + Values.show(s) : " (value not shown)"));
        }
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new InvalidConnectionSpecException(source, "has a bad percent-escape (a '%' must be followed "
                            + "by two hex digits; write a literal '%' as %25)"
                            + (showValue ? " in " + Values.show(s) : " (value not shown)"));
                }
                if (hi == 0 && lo == 0) {   // as libpq: a NUL would end the value early in C, and no setting holds one
                    throw new InvalidConnectionSpecException(source, "must not contain %00 (a NUL character)"
                            + (showValue ? ", but was " + Values.show(s) : " (value not shown)"));
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1)) ? i + 2 : i + 1;
                byte[] bytes = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
                i = end - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidConnectionSpecException(source, "is not UTF-8 once percent-decoded"
                    + (showValue ? ": " + Values.show(s) : " (value not shown)"));
        }
    }

    /** Percent-encodes everything but unreserved characters, for URLs we print. */
    static String encode(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
