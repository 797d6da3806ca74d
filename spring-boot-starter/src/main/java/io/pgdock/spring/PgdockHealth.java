package io.pgdock.spring;

import io.pgdock.config.ConfigCacheStats;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Health;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the {@code pgdock} health contributor reports, apart from either Spring Boot line's health API (each line has an
 * adapter in {@link PgdockHealthAutoConfiguration}). Details are counts, names, versions and the library's error
 * messages, which never hold a password or a secret value.
 */
final class PgdockHealth {
    /**
     * One check's outcome.
     *
     * @param up whether it is up
     * @param details what to show, in order
     */
    record Result(boolean up, Map<String, Object> details) {
    }

    private PgdockHealth() {
    }

    /** The storage's {@link Storage#health()}: its server, on a fresh connection (or one of the application's). */
    static Result storage(Storage storage) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("schema", storage.schema());
        return library(storage.health(), details);
    }

    /**
     * A target's {@link DataSourceFactory#health(String)}. A name that no longer resolves, or resolves to bad settings,
     * is DOWN with the library's message (which names the variable, never a password).
     */
    static Result target(DataSourceFactory factory, String name) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("target", name);
        try {
            return library(factory.health(name), details);
        } catch (RuntimeException e) {
            details.put("error", String.valueOf(e.getMessage()));
            return new Result(false, details);
        }
    }

    /**
     * The config store's listening connection: DOWN while the read cache reads through (its listening connection is
     * missing or dead) or a watch started through the monitor is in a gap; otherwise UP, also when nothing listens.
     */
    static Result config(ConfigStore store, @Nullable ConfigWatchMonitor monitor) {
        Map<String, Object> details = new LinkedHashMap<>();
        boolean up = true;
        Optional<ConfigCacheStats> cache = store.policy().cacheStats();
        if (cache.isPresent()) {
            ConfigCacheStats s = cache.get();
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("listening", !s.readingThrough());
            c.put("size", s.size());
            c.put("hits", s.hits());
            c.put("misses", s.misses());
            c.put("hitRate", Math.round(s.hitRate() * 1000) / 1000.0);
            c.put("evictions", s.evictions());
            c.put("invalidations", s.invalidations());
            c.put("readsThrough", s.readsThrough());
            details.put("cache", c);
            if (s.readingThrough()) {
                up = false;
                details.put("error", "the read cache's listening connection is missing or dead: every read goes to "
                        + "the database until it is back (see the log)");
            }
        } else {
            details.put("cache", "off");
        }
        if (monitor != null) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("open", monitor.openWatches());
            w.put("listening", monitor.listening());
            w.put("changes", monitor.changes());
            w.put("gaps", monitor.gaps());
            details.put("watches", w);
            if (!monitor.listening()) {
                up = false;
                details.putIfAbsent("error", "the listening connection is down: watched changes are delivered "
                        + "once it is back");
            }
        }
        return new Result(up, details);
    }

    private static Result library(Health h, Map<String, Object> details) {
        h.serverVersion().ifPresent(v -> details.put("serverVersion", v));
        if (h.isUp()) {
            details.put("latencyMillis", Math.round(h.latency().toNanos() / 10_000.0) / 100.0);
        }
        Health.PoolStats p = h.pool();
        Map<String, Object> pool = new LinkedHashMap<>();
        pool.put("active", p.active());
        pool.put("idle", p.idle());
        pool.put("waiting", p.waiting());
        pool.put("total", p.total());
        pool.put("maximum", p.maximum());
        details.put("pool", pool);
        h.reason().ifPresent(r -> details.put("reason", r.name()));
        h.error().ifPresent(e -> details.put("error", e));
        return new Result(h.isUp(), details);
    }
}
