package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigImportConflictException;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ImportOptions;
import io.pgdock.config.ImportResult;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.json.JsonPatches;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an import does to each key, decided against the keys' current entries: add, leave, merge, skip, overwrite or
 * report a conflict, as {@link ImportOptions#onConflict()} says. The backend calls {@link #apply} inside its write
 * batch, with the current entries locked, so what the plan compares and merges is what it overwrites; it may call it
 * again on a retry, and the plan starts over. Not thread-safe: one plan per import.
 */
final class ImportPlan implements ConfigBackend.BatchPlan {
    private final DefaultConfigStore store;
    private final ImportOptions options;
    private final Map<String, DefaultConfigStore.Prepared> values;   // in key order
    private final Map<String, ConfigDocuments.Incoming> byKey;
    private final List<ImportResult.Item> items = new ArrayList<>();

    /**
     * @param store the view imported into
     * @param options the conflict mode and whether to only try
     * @param values the checked values by key, in key order (the order of writes and locks)
     * @param byKey each key's entry of the document, to name it in errors
     */
    ImportPlan(DefaultConfigStore store, ImportOptions options, Map<String, DefaultConfigStore.Prepared> values,
            Map<String, ConfigDocuments.Incoming> byKey) {
        this.store = store;
        this.options = options;
        this.values = values;
        this.byKey = byKey;
    }

    /** The keys to write and lock, in order. */
    List<String> keys() {
        return List.copyOf(values.keySet());
    }

    /**
     * Plans against {@code current} (key to entry; keys not set are absent).
     *
     * @return the writes to make: none in a dry run
     * @throws InvalidConfigException naming the entries whose merged value is refused
     * @throws ConfigImportConflictException in conflict mode FAIL, if keys hold other values (not in a dry run)
     */
    @Override
    public List<ConfigBackend.BatchWrite> apply(Map<String, ConfigEntry> current) {
        items.clear();
        List<ConfigBackend.BatchWrite> writes = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Map.Entry<String, DefaultConfigStore.Prepared> e : values.entrySet()) {
            String key = e.getKey();
            DefaultConfigStore.Prepared imported = e.getValue();
            ConfigEntry existing = current.get(key);
            DefaultConfigStore.Prepared after = imported;
            ImportResult.Action action;
            if (existing == null) {
                action = ImportResult.Action.ADDED;
            } else if (options.onConflict() == ImportOptions.ConflictMode.MERGE) {
                try {
                    after = store.prepare(key, JsonPatches.mergePatch(existing.value(), imported.value()),
                            "the merged value");
                } catch (InvalidConfigException | ConfigSecretException ex) {
                    refused.add(Objects.requireNonNull(byKey.get(key), key).label() + ": " + ex.getMessage());
                    continue;
                }
                action = store.samePlain(key, after.value(), existing.value())
                        ? ImportResult.Action.UNCHANGED : ImportResult.Action.CHANGED;
            } else if (store.samePlain(key, imported.value(), existing.value())) {
                action = ImportResult.Action.UNCHANGED;
            } else {
                action = switch (options.onConflict()) {
                    case SKIP -> ImportResult.Action.SKIPPED;
                    case OVERWRITE -> ImportResult.Action.CHANGED;
                    default -> ImportResult.Action.CONFLICT;
                };
            }
            if (action == ImportResult.Action.CONFLICT) {
                conflicts.add(key);
            }
            JsonNode kept = existing != null
                    && (action == ImportResult.Action.SKIPPED || action == ImportResult.Action.CONFLICT)
                    ? existing.value() : after.value();
            items.add(new ImportResult.Item(key, action, existing == null ? null : existing.value(),
                    imported.value(), kept, existing == null ? 0 : existing.version()));
            if (action == ImportResult.Action.ADDED || action == ImportResult.Action.CHANGED) {
                writes.add(new ConfigBackend.BatchWrite(key, after.value(), after.json(),
                        existing == null ? 0 : existing.version()));
            }
        }
        if (!refused.isEmpty()) {
            throw ConfigDocuments.refused(store.scope, refused);
        }
        if (!conflicts.isEmpty() && !options.dryRun()) {
            throw new ConfigImportConflictException(store.scope, conflicts);
        }
        return options.dryRun() ? List.of() : writes;
    }

    /** Tells the import's {@link ImportOptions#progress()}. */
    @Override
    public void written(int done, int total) {
        options.progress().written(done, total);
    }

    /**
     * The result: the last plan's items, those written carrying their new versions.
     *
     * @param written the entries the batch wrote
     */
    ImportResult result(List<ConfigEntry> written) {
        Map<String, Long> versions = new HashMap<>();
        written.forEach(e -> versions.put(e.key(), e.version()));
        List<ImportResult.Item> result = new ArrayList<>(items.size());
        for (ImportResult.Item item : items) {
            Long version = versions.get(item.key());
            result.add(version == null ? item : new ImportResult.Item(item.key(), item.action(), item.before(),
                    item.imported(), item.after(), version));
        }
        return new ImportResult(store.scope, options.dryRun(), result);
    }
}
