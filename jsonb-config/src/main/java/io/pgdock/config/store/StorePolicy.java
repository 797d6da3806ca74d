package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.pgdock.config.ConfigCacheStats;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigExplanation;
import io.pgdock.config.ConfigPolicy;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.HistoryVerification;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.ReencryptResult;
import io.pgdock.config.Secret;
import io.pgdock.config.secret.SecretCodec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@link ConfigPolicy} of one {@link DefaultConfigStore} view: explain, re-encryption of values and history, history
 * verification, snapshots and the cache's counters. Immutable and thread-safe.
 */
final class StorePolicy implements ConfigPolicy {
    /** History rows per transaction of {@link #reencrypt(String)}. */
    static final int HISTORY_BATCH = 500;

    private final DefaultConfigStore store;

    StorePolicy(DefaultConfigStore store) {
        this.store = store;
    }

    @Override
    public ConfigExplanation explain(String key) {
        ConfigKeys.checkKey(key);
        List<ConfigEntry> held = store.backend.read(store.layers, key);
        ConfigEntry answer = ScopeFallback.first(store.layers, held).map(StorePolicy::redacted).orElse(null);
        EnvironmentOverrides.Variable variable = store.override(key);
        if (variable == null) {
            return new ConfigExplanation(key, store.layers, answer);
        }
        // The environment's value is as secret as what it overrides: shown as "***" if any layer holds a secret there.
        ConfigEntry fromEnvironment = store.fromEnvironment(variable, held);
        if (held.stream().anyMatch(e -> SecretCodec.containsSecret(e.value()))) {
            fromEnvironment = Entries.withValue(fromEnvironment, TextNode.valueOf(Secret.REDACTED));
        }
        return new ConfigExplanation(key, store.layers, fromEnvironment, answer);
    }

    private static ConfigEntry redacted(ConfigEntry e) {
        return SecretCodec.containsSecret(e.value()) ? Entries.withValue(e, SecretCodec.redact(e.value())) : e;
    }

    @Override
    public ReencryptResult reencrypt(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        String scope = store.scope;
        KeyProvider keys = store.options.keys().orElseThrow(() -> new ConfigSecretException(null, null,
                ConfigSecretException.Problem.NO_KEY_PROVIDER, "reencrypt(" + ConfigKeys.show(prefix) + ") in scope "
                + ConfigKeys.show(scope) + ": the store has no KeyProvider (ConfigOptions.builder().keys(...))", null));
        List<String> scopes = new ArrayList<>();
        for (String s : store.backend.scopes()) {
            if (ConfigKeys.atOrBelow(scope, s)) {
                scopes.add(s);
            }
        }
        scopes.sort(Comparator.naturalOrder());
        int rewritten = 0;
        for (String s : scopes) {
            rewritten += reencryptScope((DefaultConfigStore) store.inScope(s), keys, prefix);
        }
        // After the values: their rewrite appended history rows whose old_value is still under the old key.
        long history = store.backend.rewrapHistory(scope, prefix, (s, k, version, column, value) -> {
            try {
                return SecretCodec.reseal(keys, s, k, value);
            } catch (ConfigSecretException e) {
                throw new ConfigSecretException(e.key(), e.keyId(), e.problem(), e.getMessage()
                        + " (in its history: " + column + " of version " + version + "); the history rows before it"
                        + " are re-encrypted; give the KeyProvider that key id and run reencrypt again", null);
            }
        }, HISTORY_BATCH);
        return new ReencryptResult(rewritten, history);
    }

    /** Re-encrypts the values of {@code view}'s scope alone. */
    private static int reencryptScope(DefaultConfigStore view, KeyProvider keys, String prefix) {
        List<String> here = List.of(view.scope);
        int rewritten = 0;
        String after = null;
        List<ConfigEntry> page;
        do {
            page = view.backend.list(here, prefix, after, 1000);
            for (ConfigEntry e : page) {
                if (reencrypt(view, keys, e)) {
                    rewritten++;
                }
            }
            after = page.isEmpty() ? null : page.get(page.size() - 1).key();
        } while (page.size() == 1000);
        return rewritten;
    }

    /** Rewrites one entry under the current key; reads it again if a write lands meanwhile. */
    private static boolean reencrypt(DefaultConfigStore view, KeyProvider keys, ConfigEntry entry) {
        String scope = view.scope;
        ConfigEntry e = entry;
        while (true) {
            JsonNode resealed = SecretCodec.reseal(keys, scope, e.key(), e.value());
            if (resealed == null) {
                return false;
            }
            DefaultConfigStore writer = view.reason != null ? view
                    : (DefaultConfigStore) view.because("re-encrypt secrets under key id " + keys.currentKeyId());
            try {
                writer.store(e.key(), resealed, SecretCodec.open(Optional.of(keys), scope, e.key(), resealed),
                        e.version());
                return true;
            } catch (ConfigConflictException conflict) {
                List<ConfigEntry> now = view.backend.read(List.of(scope), e.key());
                if (now.isEmpty()) {
                    return false;
                }
                e = now.get(0);
            }
        }
    }

    @Override
    public HistoryVerification verifyHistory(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        return store.backend.verifyHistory(store.scope, prefix);
    }

    @Override
    public ConfigStore snapshot(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        SnapshotConfigBackend taken = new SnapshotConfigBackend(prefix, store.layers,
                store.backend.snapshot(store.layers, prefix), store.backend);
        return store.over(taken);
    }

    @Override
    public Optional<ConfigCacheStats> cacheStats() {
        return store.backend instanceof CachingConfigBackend caching
                ? Optional.of(caching.stats()) : Optional.empty();
    }
}
