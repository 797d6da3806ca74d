package io.pgdock.spring;

import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;

/**
 * Another process that writes one config value: {@code ConfigWriterMain <scope> <key> <json>}, connecting with the
 * {@code PGDOCK_*} environment variables. Run by {@link ConfigPropertySourceApplicationTest} in a JVM of its own.
 */
public final class ConfigWriterMain {
    private ConfigWriterMain() {
    }

    /**
     * Writes the value and prints its new version.
     *
     * @param args scope, key, value as JSON text
     */
    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: ConfigWriterMain <scope> <key> <json>, but got " + args.length + " arguments");
        }
        try (Storage storage = Storage.open(ConnectionSpec.fromEnvironment(System.getenv()))) {
            ConfigEntry entry = ConfigStore.postgres(storage).inScope(args[0]).as("another-process")
                    .because("ConfigPropertySourceApplicationTest").putJson(args[1], args[2]);
            System.out.println("wrote " + entry);
        }
    }
}
