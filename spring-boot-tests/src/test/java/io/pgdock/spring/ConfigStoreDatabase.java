package io.pgdock.spring;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** A test database with a schema {@code app}, a master key, and a store of the test's own to write with. */
final class ConfigStoreDatabase implements AutoCloseable {
    final TestDatabase database;
    final ConnectionSpec spec;
    final String keys;
    final Storage storage;
    final ConfigStore store;

    ConfigStoreDatabase() {
        database = TestPostgres.get().createDatabase();
        database.jdbi().useHandle(h -> h.execute("create schema app"));
        spec = database.spec().toBuilder().schema("app").build();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        keys = "k1:" + Base64.getEncoder().encodeToString(key);
        storage = Storage.open(spec);
        store = ConfigStore.postgres(storage, ConfigOptions.builder()
                .keys(KeyProvider.fromEnvironment(Map.of(KeyProvider.ENVIRONMENT_VARIABLE, keys))).build())
                .as("test");
    }

    /** The properties that enable the property source on this database, in {@code scope}, for keys under {@code prefix}. */
    String[] properties(String scope, String prefix, String... more) {
        List<String> all = new ArrayList<>(List.of(
                "pgdock.url=" + database.spec().jdbcUrl(),
                "pgdock.user=" + spec.user(),
                "pgdock.schema=app",
                "pgdock.config-keys=" + keys,
                "pgdock.property-source.enabled=true",
                "pgdock.property-source.scope=" + scope,
                "pgdock.property-source.prefix=" + prefix));
        spec.password().ifPresent(p -> all.add("pgdock.password=" + p));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Override
    public void close() {
        storage.close();
        database.close();
    }
}
