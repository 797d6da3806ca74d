package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ConfigTransfer;
import io.pgdock.config.ExportOptions;
import io.pgdock.config.ImportOptions;
import io.pgdock.config.ImportResult;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.secret.SecretCodec;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * {@link ConfigTransfer} of one {@link DefaultConfigStore} view: export of the scope's own layer, and import in two
 * steps: the whole document is checked first, then an {@link ImportPlan} decides and writes in one backend batch.
 * Immutable and thread-safe.
 */
final class StoreTransfer implements ConfigTransfer {
    private final DefaultConfigStore store;

    StoreTransfer(DefaultConfigStore store) {
        this.store = store;
    }

    @Override
    public JsonNode export(ExportOptions options) {
        Objects.requireNonNull(options, "options");
        List<ConfigEntry> entries = store.backend.scan(store.scope, options.prefix());
        return ConfigDocuments.document(store.scope, options, store.options.clock().instant(), entries);
    }

    @Override
    public void export(ExportOptions options, Writer out) throws IOException {
        Objects.requireNonNull(out, "out");
        ConfigDocuments.write(export(options), out);
    }

    @Override
    public ImportResult importFrom(Reader in, ImportOptions options) throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(options, "options");
        return importFrom(ConfigDocuments.read(store.scope, in), options);
    }

    /**
     * Checks the whole document, then plans and writes in one backend batch: the plan sees the keys' current entries
     * (locked until the batch ends, in PostgreSQL), so what it compares and merges is what it overwrites.
     */
    @Override
    public ImportResult importFrom(JsonNode document, ImportOptions options) {
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(options, "options");
        String scope = store.scope;
        List<String> problems = new ArrayList<>();
        List<ConfigDocuments.Incoming> incoming = ConfigDocuments.entries(document, problems);
        Map<String, DefaultConfigStore.Prepared> values = new TreeMap<>();   // key order: one lock order, no deadlocks
        Map<String, ConfigDocuments.Incoming> byKey = new HashMap<>();
        JsonNode documentScope = document.get("scope");
        String from = documentScope != null && documentScope.isTextual() ? documentScope.textValue() : scope;
        for (ConfigDocuments.Incoming in : incoming) {
            try {
                JsonNode value = in.value();
                if (!from.equals(scope) && SecretCodec.containsSecret(value)) {
                    // Secrets are bound to their scope; one exported from another scope is re-sealed for this one.
                    if (store.options.keys().isEmpty()) {
                        problems.add(in.label() + ": holds a secret sealed for scope " + ConfigKeys.show(from)
                                + "; importing it into scope " + ConfigKeys.show(scope) + " re-encrypts it, which "
                                + "needs the store's KeyProvider (ConfigOptions.keys)");
                        continue;
                    }
                    value = SecretCodec.rebind(store.options.keys().get(), from, scope, in.key(), value);
                }
                values.put(in.key(), store.prepare(in.key(), value, "the value"));
                byKey.put(in.key(), in);
            } catch (InvalidConfigException | ConfigSecretException e) {
                problems.add(in.label() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw ConfigDocuments.refused(scope, problems);
        }
        DefaultConfigStore writer = store.reason != null ? store : (DefaultConfigStore) store.because("import");
        ImportPlan plan = new ImportPlan(store, options, values, byKey);
        List<ConfigEntry> written = store.backend.writeBatch(scope, plan.keys(), plan, writer.context());
        written.forEach(e -> store.warnIfOverridden(e.key(), "imported"));
        return plan.result(written);
    }
}
