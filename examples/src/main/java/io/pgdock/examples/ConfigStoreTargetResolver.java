package io.pgdock.examples;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.Secret;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.SslMode;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.TargetResolver;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TargetResolver} backed by the configuration store: target {@code warehouse} is the entry
 * {@code targets.warehouse}, a JSON object that holds either a URL or the connection's fields, and the password as a
 * secret:
 * <pre>{@code
 * configs.put("targets.warehouse", Map.of("url", "postgresql://reader@warehouse:5432/sales?currentSchema=mart",
 *         "password", Secret.of(password)));
 * configs.put("targets.eu", new Target("db-eu", 5432, "cards", "reader", "cards", null, Secret.of(password)));
 * }</pre>
 * Members: {@code url}, or {@code host}, {@code port} (default 5432), {@code database}, {@code user}, {@code schema},
 * {@code sslmode}; and {@code password}. A secret is stored encrypted (see {@link ConfigStore#putSecret}); the store
 * decrypts it on read, so the store needs the {@link io.pgdock.config.KeyProvider} it was written with.
 *
 * <p>The factory resolves a name on every {@link DataSourceFactory#get(String)}, so a password changed in the store
 * reaches the next {@code get}: the factory sees a spec that differs only by its password, builds a new pool, and drains
 * the old one.
 *
 * <p>An entry that is not a valid target is refused with an {@link IllegalArgumentException} naming the config key and
 * the bad member (never the password). Thread-safe, as the store is.
 */
public final class ConfigStoreTargetResolver implements TargetResolver {
    /**
     * The JSON shape of one target's entry: {@code url}, or the fields; and the password.
     *
     * @param url a {@code postgresql://} or {@code jdbc:postgresql://} URL, or null to use the fields
     * @param host the host, when there is no URL
     * @param port the port, or null for 5432
     * @param database the database, when there is no URL
     * @param user the user, when there is no URL
     * @param schema the schema, or null
     * @param sslmode {@code disable} to {@code verify-full}, or null for the factory's default
     * @param password the password: a {@link Secret} when writing (or text, which is then stored in plain), its plain
     *     text when read back; or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Target(@Nullable String url, @Nullable String host, @Nullable Integer port,
            @Nullable String database, @Nullable String user, @Nullable String schema, @Nullable String sslmode,
            @Nullable Object password) {
        /**
         * The fields of a spec, without its password, plus a password.
         *
         * @param spec where to connect; its password is ignored
         * @param password the password, for example {@code Secret.of(text)}, or null
         * @return the target
         */
        public static Target of(ConnectionSpec spec, @Nullable Object password) {
            return new Target(null, spec.host(), spec.port(), spec.database(), spec.user(), spec.schema().orElse(null),
                    spec.sslMode().map(SslMode::value).orElse(null), password);
        }

        /** Without the password (nor one written into the URL). */
        @Override
        public String toString() {
            String where;
            if (url != null) {
                try {
                    where = "url=" + ConnectionSpec.parse(url);   // masks a password in the URL
                } catch (RuntimeException e) {
                    where = "url=(not a valid URL)";
                }
            } else {
                where = "host=" + host + (port == null ? "" : ", port=" + port) + ", database=" + database
                        + ", user=" + user + (schema == null ? "" : ", schema=" + schema)
                        + (sslmode == null ? "" : ", sslmode=" + sslmode);
            }
            return "Target[" + where + ", password=" + (password == null ? "none" : Secret.REDACTED) + "]";
        }
    }

    private final ConfigStore configs;
    private final String prefix;

    /**
     * @param configs the store
     * @param prefix the key prefix of target entries, for example {@code "targets."}
     */
    public ConfigStoreTargetResolver(ConfigStore configs, String prefix) {
        this.configs = Objects.requireNonNull(configs, "configs");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    @Override
    public Optional<ConnectionSpec> resolve(String name) {
        String key = prefix + name;
        return configs.get(key, Target.class).map(target -> {
            try {
                return toSpec(target);
            } catch (IllegalArgumentException e) {
                // ConnectionSpec's messages name the field and show the bad value, never a password.
                throw new IllegalArgumentException("config key \"" + key + "\": " + e.getMessage(), e);
            }
        });
    }

    private static ConnectionSpec toSpec(Target t) {
        ConnectionSpec.Builder b;
        if (t.url() != null) {
            if (t.host() != null || t.port() != null || t.database() != null || t.user() != null || t.schema() != null
                    || t.sslmode() != null) {
                throw new IllegalArgumentException("give either url or host, port, database, user, schema and sslmode, "
                        + "not both");
            }
            b = ConnectionSpec.parse(t.url()).toBuilder();
        } else {
            if (t.host() == null || t.database() == null || t.user() == null) {
                throw new IllegalArgumentException("needs url, or host, database and user; but host was " + t.host()
                        + ", database " + t.database() + ", user " + t.user());
            }
            b = ConnectionSpec.builder().host(t.host()).database(t.database()).user(t.user()).schema(t.schema());
            if (t.port() != null) {
                b.port(t.port());
            }
            if (t.sslmode() != null) {
                b.sslMode(sslMode(t.sslmode()));
            }
        }
        if (t.password() != null) {
            if (!(t.password() instanceof String text)) {
                throw new IllegalArgumentException("password: must be text (or a secret holding text)");
            }
            b.password(text);
        }
        return b.build();
    }

    private static SslMode sslMode(String value) {
        return Arrays.stream(SslMode.values()).filter(m -> m.value().equals(value)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("sslmode: expected one of disable, allow, prefer, "
                        + "require, verify-ca, verify-full, but was \"" + value + "\""));
    }
}
