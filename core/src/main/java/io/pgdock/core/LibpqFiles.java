package io.pgdock.core;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libpq's connection service file ({@code pg_service.conf}) and password file ({@code .pgpass}), read as libpq reads
 * them (PostgreSQL documentation 34.16 "The Password File" and 34.17 "The Connection Service File"). Which files: the
 * variables of an {@link EnvironmentNames}, looked up in the injected environment map only; nothing here reads
 * {@code System.getenv()} or {@code user.home}.
 *
 * <p>Service file: {@code [name]} starts a service, {@code keyword=value} lines follow (no blanks around the
 * {@code =}, as libpq), {@code #} starts a comment line, leading and trailing blanks of a line are dropped. Within the
 * service the first line of a keyword wins. The user's file ({@code PGSERVICEFILE}, else {@code ~/.pg_service.conf})
 * is searched first; only when it does not define the service is the system file
 * ({@code PGSYSCONFDIR/pg_service.conf}) searched. A service no file defines is an error listing the files searched.
 *
 * <p>Password file: {@code hostname:port:database:username:password} lines; {@code *} as a whole field matches
 * anything; a backslash escapes the next character ({@code \:}, {@code \\}); the first matching line wins. On systems
 * with POSIX permissions, a file that is not a plain file or that the group or others may access is ignored with a
 * warning, as libpq ignores it. A line with fewer than five fields is skipped with a warning naming the file and line.
 * No message or log line here contains a password.
 *
 * <p>Thread-safe: a static utility; each call reads the files afresh.
 */
final class LibpqFiles {
    private static final Logger LOG = LoggerFactory.getLogger(LibpqFiles.class);

    private LibpqFiles() {
    }

    /**
     * One value of a service, with where it was written ({@code "service file /etc/pg_service.conf line 4 (service
     * \"etl\") host"}), to name it in errors.
     *
     * @param value the value as written
     * @param where the file, line, service and keyword
     */
    record ServiceValue(String value, String where) {
        /** Where the value was written, never the value itself (it may be a password). */
        @Override
        public String toString() {
            return "ServiceValue[" + where + "]";
        }
    }

    /**
     * The keywords and values of service {@code name}, in file order.
     *
     * @param name the service name
     * @param nameSource where the name came from (a URL parameter or a variable), for the error when no file has it
     * @throws InvalidConnectionSpecException if no file defines the service, or the defining file cannot be read or
     *     has a line that is not {@code keyword=value} within the service
     */
    static Map<String, ServiceValue> service(String name, String nameSource, Map<String, String> env,
            EnvironmentNames names) {
        List<String> searched = new ArrayList<>(2);
        Path user = userFile(env, names.serviceFile(), names.home(), ".pg_service.conf");
        if (user != null) {
            searched.add(user + (Files.exists(user) ? "" : " (does not exist)"));
            if (Files.exists(user)) {
                Map<String, ServiceValue> found = parseService(user, name);
                if (found != null) {
                    return found;
                }
            }
        }
        String dirVariable = firstSet(env, names.sysconfDir());
        if (dirVariable != null) {
            Path system = Path.of(setValue(env, dirVariable), "pg_service.conf");
            searched.add(system + (Files.exists(system) ? "" : " (does not exist)"));
            if (Files.exists(system)) {
                Map<String, ServiceValue> found = parseService(system, name);
                if (found != null) {
                    return found;
                }
            }
        }
        throw new InvalidConnectionSpecException(nameSource, "names service " + Values.show(name) + ", which no "
                + "service file defines (searched: " + (searched.isEmpty() ? "nothing, since none of "
                        + String.join(", ", concat(names.serviceFile(), names.home(), names.sysconfDir())) + " is set"
                        : String.join(", ", searched)) + "); define [" + name + "] in the file PGSERVICEFILE names "
                + "(else ~/.pg_service.conf), or in PGSYSCONFDIR/pg_service.conf");
    }

    /** The service's values, or null when the file has no {@code [name]} section. */
    private static @Nullable Map<String, ServiceValue> parseService(Path file, String name) {
        List<String> lines = readLines(file, "service file");
        @Nullable Map<String, ServiceValue> values = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (values != null) {
                    break;   // the next service starts: as libpq, the first section of that name is the service
                }
                if (line.equals("[" + name + "]")) {
                    values = new LinkedHashMap<>();
                }
                continue;
            }
            if (values == null) {
                continue;   // lines of other services are not checked, as libpq does not check them
            }
            String at = "service file " + file + " line " + (i + 1) + " (service " + Values.show(name) + ")";
            int eq = line.indexOf('=');
            if (eq <= 0) {
                // The line may be a password written without its keyword: not shown.
                throw new InvalidConnectionSpecException(at, "is not keyword=value (line not shown: it may hold a "
                        + "password)");
            }
            String keyword = line.substring(0, eq);
            if (!keyword.matches("[a-z_]{1,40}")) {
                throw new InvalidConnectionSpecException(at, "has a keyword that is not one libpq knows (line not "
                        + "shown: it may hold a password; write keyword=value without blanks around '=')");
            }
            values.putIfAbsent(keyword, new ServiceValue(line.substring(eq + 1), at + " " + keyword));
        }
        return values;
    }

    /**
     * The file the password comes from, or null when no variable names one and no home directory is known.
     */
    static @Nullable Path passFile(Map<String, String> env, EnvironmentNames names) {
        return userFile(env, names.passFile(), names.home(), ".pgpass");
    }

    /**
     * The password of the first line of the password file that matches, or null when there is no file, it is ignored
     * (permissions), or no line matches.
     *
     * @param file the password file, from {@link #passFile}
     * @param endpoint the server, matched as written (host) and as a number (port)
     * @param database the database
     * @param user the role
     * @throws InvalidConnectionSpecException if the file cannot be read, or the matching line's password is empty
     */
    static @Nullable PassMatch password(@Nullable Path file, Endpoint endpoint, String database, String user) {
        if (file == null || !Files.exists(file)) {
            return null;
        }
        if (!Files.isRegularFile(file)) {
            LOG.warn("password file \"{}\" is not a plain file; it is ignored, as libpq ignores it", file);
            return null;
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> groupOrOther = EnumSet.of(PosixFilePermission.GROUP_READ,
                    PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
                    PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
            groupOrOther.retainAll(perms);
            if (!groupOrOther.isEmpty()) {
                LOG.warn("password file \"{}\" has group or world access; permissions should be u=rw (0600) or less; "
                        + "it is ignored, as libpq ignores it (chmod 0600 it)", file);
                return null;
            }
        } catch (UnsupportedOperationException e) {
            // No POSIX permissions (Windows): libpq does not check there either.
        } catch (IOException e) {
            throw new InvalidConnectionSpecException("password file " + file, "cannot be read: " + e);
        }
        String[] wanted = {endpoint.host(), Integer.toString(endpoint.port()), database, user};
        List<String> lines = readLines(file, "password file");
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            PassLine parsed = PassLine.parse(line);
            if (parsed == null) {
                LOG.warn("password file \"{}\" line {} has fewer than five ':'-separated fields "
                        + "(hostname:port:database:username:password); it is skipped (line not shown)", file, i + 1);
                continue;
            }
            if (parsed.matches(wanted)) {
                if (parsed.password.isEmpty()) {
                    throw new InvalidConnectionSpecException("password file " + file + " line " + (i + 1),
                            "matches " + endpoint + "/" + database + " for role " + Values.show(user) + ", but its "
                                    + "password is empty; give the password, or remove the line");
                }
                return new PassMatch(parsed.password, file, i + 1);
            }
        }
        return null;
    }

    /**
     * A password found in a password file, and where.
     *
     * @param password the password (never shown)
     * @param file the file
     * @param line the line number, from 1
     */
    record PassMatch(String password, Path file, int line) {
        /** Where the password came from, for messages: never the password. */
        String where() {
            return "password file " + file + " line " + line;
        }

        @Override
        public String toString() {
            return where();
        }
    }

    /** One line of a password file: four matching fields and the password, unescaped. */
    private static final class PassLine {
        final String[] fields = new String[4];
        final boolean[] wildcard = new boolean[4];
        String password = "";   // set by parse

        /** The line's fields, or null when it has fewer than five. */
        static @Nullable PassLine parse(String line) {
            PassLine p = new PassLine();
            int field = 0;
            StringBuilder current = new StringBuilder();
            boolean escapedAny = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\\' && i + 1 < line.length()) {
                    current.append(line.charAt(++i));
                    escapedAny = true;
                } else if (c == ':' && field < 4) {
                    p.fields[field] = current.toString();
                    p.wildcard[field] = !escapedAny && p.fields[field].equals("*");
                    field++;
                    current.setLength(0);
                    escapedAny = false;
                } else if (c == ':') {
                    break;   // as libpq: the password ends at its first unescaped ':'
                } else {
                    current.append(c);
                }
            }
            if (field < 4) {
                return null;
            }
            p.password = current.toString();
            return p;
        }

        boolean matches(String[] wanted) {
            for (int i = 0; i < 4; i++) {
                if (!wildcard[i] && !fields[i].equals(wanted[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    private static @Nullable Path userFile(Map<String, String> env, List<String> fileVariables,
            List<String> homeVariables, String name) {
        String v = firstSet(env, fileVariables);
        if (v != null) {
            if (setValue(env, v).isEmpty()) {
                throw new InvalidConnectionSpecException(v, "is set but empty; unset it, or name a file");
            }
            return Path.of(setValue(env, v));
        }
        String home = firstSet(env, homeVariables);
        return home == null || setValue(env, home).isEmpty() ? null : Path.of(setValue(env, home), name);
    }

    private static List<String> readLines(Path file, String what) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new InvalidConnectionSpecException(what + " " + file, "is not UTF-8 text");
        } catch (IOException e) {
            throw new InvalidConnectionSpecException(what + " " + file, "cannot be read: " + e);
        }
    }

    private static @Nullable String firstSet(Map<String, String> env, List<String> variables) {
        for (String name : variables) {
            if (env.get(name) != null) {
                return name;
            }
        }
        return null;
    }

    /** The value of a variable that {@link #firstSet} found set. */
    private static String setValue(Map<String, String> env, String variable) {
        return Objects.requireNonNull(env.get(variable), variable);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }
}
