package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;

/** Copies of {@link ConfigEntry} the stores hand out. Stateless. */
public final class Entries {
    private Entries() {
    }

    /**
     * The entry with another value.
     *
     * @param entry the entry
     * @param value the value it holds instead
     * @return a new entry with the same scope, key, version, audit fields and variable
     */
    public static ConfigEntry withValue(ConfigEntry entry, JsonNode value) {
        return new ConfigEntry(entry.scope(), entry.key(), value, entry.version(), entry.updatedAt(), entry.updatedBy(),
                entry.variable());
    }

    /**
     * The entry with a value of its own, so that a caller who changes the tree does not change a store's copy. Value
     * nodes are immutable already and are shared.
     *
     * @param entry the entry
     * @return {@code entry} itself if its value is not a container, else a new entry holding a deep copy
     */
    public static ConfigEntry detached(ConfigEntry entry) {
        return entry.value().isContainerNode() ? withValue(entry, entry.value().deepCopy()) : entry;
    }
}
