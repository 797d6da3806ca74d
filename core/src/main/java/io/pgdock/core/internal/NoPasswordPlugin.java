package io.pgdock.core.internal;

import org.jspecify.annotations.Nullable;
import org.postgresql.plugin.AuthenticationPlugin;
import org.postgresql.plugin.AuthenticationRequestType;

/**
 * The password source pgdock gives pgjdbc for a spec without a password: none. pgjdbc, given no password, reads
 * {@code ~/.pgpass} (or {@code PGPASSFILE}, or the system property {@code org.postgresql.pgpassfile}) on its own, from
 * the process environment, without libpq's permission check; pgdock reads the password file itself
 * ({@code ConnectionSpec.fromEnvironment}, {@code withPasswordFile}), so pgjdbc's reading must not apply. A spec
 * without a password then logs in without one, and a server that asks for one fails the login with pgjdbc's "no
 * password was provided by plugin" refusal ({@link DriverRejection#NO_PASSWORD}).
 *
 * <p>pgjdbc instantiates it by name ({@code authenticationPluginClassName}). Not API. Thread-safe: stateless.
 */
public final class NoPasswordPlugin implements AuthenticationPlugin {
    /** For pgjdbc, which makes one per login. */
    public NoPasswordPlugin() {
    }

    @Override
    public char @Nullable [] getPassword(AuthenticationRequestType type) {
        return null;
    }
}
