package io.pgdock.config;

import io.pgdock.config.store.ConfigKeys;
import io.pgdock.core.PgdockException;
import java.util.List;

/**
 * An import in conflict mode {@link ImportOptions.ConflictMode#FAIL} found keys that already exist with other values;
 * nothing was imported. The message names the keys (not their values). Import again with another conflict mode, or
 * look first with a dry run.
 */
public final class ConfigImportConflictException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** The scope imported into. */
    private final String scope;
    /** The keys in conflict. */
    private final List<String> keys;

    /**
     * @param scope the scope imported into
     * @param keys the keys that exist with other values, in key order
     */
    public ConfigImportConflictException(String scope, List<String> keys) {
        super("import into " + (scope.isEmpty() ? "the root scope" : "scope " + ConfigKeys.show(scope))
                + " refused (conflict mode FAIL): " + keys.size() + (keys.size() == 1 ? " key exists" : " keys exist")
                + " with another value: " + shown(keys) + "; nothing was imported", null);
        this.scope = scope;
        this.keys = List.copyOf(keys);
    }

    private static String shown(List<String> keys) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < keys.size() && i < 20; i++) {
            out.append(i == 0 ? "" : ", ").append(ConfigKeys.show(keys.get(i)));
        }
        return keys.size() > 20 ? out + " and " + (keys.size() - 20) + " more" : out.toString();
    }

    /** @return the scope imported into */
    public String scope() {
        return scope;
    }

    /** @return the conflicting keys, in key order */
    public List<String> keys() {
        return keys;
    }
}
