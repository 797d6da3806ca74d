package io.pgdock.config.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.store.WatchSubscription;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.Storage;
import io.pgdock.core.Ticker;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL store's change notifications: one dedicated connection per store (see below), opened when the
 * first watch starts and closed when the last one closes, that LISTENs on the schema's channel (see
 * {@code V2__config_notify.sql}) and hands each notified change, read from {@code config_history}, to the watches that
 * want it.
 *
 * <p><b>No gap, no duplicate.</b> A new watch is registered only once the connection LISTENs; then its replay is read
 * from the history (on a pooled connection), so every change is either in the replay (committed before it was read) or
 * notified (committed after LISTEN), and {@link WatchSubscription} drops what is both. When the connection breaks (the
 * backend was terminated, the server restarted), every watch is told ({@code onGap}), and the feed reconnects with
 * backoff, LISTENs again, and replays every history row whose transaction was still running, or had not started, when
 * it last knew it was connected: {@code tx >= xmin} of the snapshot of its last heartbeat. A transaction below that
 * xmin had committed (or rolled back) before the heartbeat, while the connection was listening, and its notification
 * was read by that heartbeat at the latest (pgjdbc queues notifications that arrive with a query's results; they are
 * handled before the heartbeat's xmin is adopted). Then watches are told {@code onCaughtUp}.
 *
 * <p><b>The connection.</b> It is {@link Storage#dedicatedConnection()}: for storage opened from a spec, a connection of
 * its own outside the pool, whose login is bounded by the spec's connect timeout (10 s when the spec sets none), so a
 * server that does not answer fails the first watch with {@link io.pgdock.core.ConnectionFailedException.Reason#UNREACHABLE}
 * naming that timeout; for storage over an application's DataSource ({@link Storage#over}), one connection borrowed from
 * it and held while the feed runs, given back (after {@code UNLISTEN *}) when the last watch closes or the storage is
 * closed. Its reads wait up to its own network timeout ({@code socketTimeout}), or 30 s when it has none, so a silently
 * dead network ends a read and the feed reconnects.
 *
 * <p><b>Threads.</b> One thread per running feed reads notifications (blocking for at most a heartbeat interval) and
 * reads the changes; listeners are called on a separate serial executor, so a slow listener does not hold the
 * connection. The feed stops when its last watch is closed, or when the storage has been closed (checked every
 * heartbeat). Both threads come from {@link ConfigOptions.Builder#watchThreadFactory} (daemon threads of pgdock's by
 * default); the delivery executor keeps no thread when idle, so nothing here is ever shut down.
 */
public final class PostgresChangeFeed {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);
    private static final int HEARTBEAT_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 2000;
    private static final long CONNECT_WAIT_SECONDS = 60;
    private static final int DEFAULT_READ_TIMEOUT_MILLIS = 30_000;
    private static final Executor DIRECT = Runnable::run;

    public static final String COLUMNS = "id, scope, key, version, kind, old_value, new_value, actor, reason, changed_at";
    private static final String XMIN = "SELECT txid_snapshot_xmin(txid_current_snapshot())";
    private static final String CHANNEL = "SELECT pgdock_config_channel()";
    private static final String BY_ID = "SELECT " + COLUMNS + " FROM config_history "
            + "WHERE (scope, key, id) IN (SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[])) ORDER BY id";
    private static final String SINCE_TX = "SELECT " + COLUMNS + " FROM config_history WHERE tx >= ? ORDER BY id";

    private final Storage storage;
    private final PostgresConfigBackend backend;
    private final Ticker ticker;
    private final ThreadFactory listenThreads;
    private final ExecutorService delivery;
    private final List<WatchSubscription> watches = new CopyOnWriteArrayList<>();
    private @Nullable Runner runner;   // guarded by this

    public PostgresChangeFeed(Storage storage, PostgresConfigBackend backend, ConfigOptions options) {
        this.storage = storage;
        this.backend = backend;
        this.ticker = options.ticker();
        this.listenThreads = WatchSubscription.threads(options, "pgdock-config-listen-" + storage.schema());
        this.delivery = WatchSubscription.serialExecutor(
                WatchSubscription.threads(options, "pgdock-config-watch-" + storage.schema()));
    }

    public ConfigSubscription watch(@Nullable List<String> scopes, String prefix, long afterPosition,
            ConfigListener listener) {
        while (true) {
            Runner r;
            synchronized (this) {
                if (runner == null) {
                    Runner fresh = new Runner();
                    Thread t = listenThreads.newThread(fresh);
                    if (t == null) {
                        throw new IllegalStateException("config store in schema \"" + storage.schema() + "\": "
                                + "ConfigOptions.watchThreadFactory gave no thread for the listening connection");
                    }
                    runner = fresh;
                    runner.thread = t;
                    t.start();
                }
                r = runner;
            }
            awaitConnected(r);
            WatchSubscription[] self = new WatchSubscription[1];
            self[0] = new WatchSubscription(scopes, prefix, afterPosition, listener, delivery, () -> remove(self[0]));
            synchronized (this) {
                if (runner != r) {
                    continue;   // it stopped meanwhile (its last watch closed): start another
                }
                watches.add(self[0]);
            }
            if (r.inGap) {
                // Notifications are being lost right now: this watch hears of it too, and of the catch-up after.
                // (The runner sets inGap before it tells the watches it holds; a watch added after that sees it here.)
                self[0].gap(new DataAccessException("config store in schema \"" + storage.schema() + "\": the "
                        + "listening connection is down; changes are replayed when it is back", null, null));
            }
            List<ConfigEvent> replay;
            try {
                // Only the read cache watches every scope (null), and it replays nothing.
                replay = afterPosition >= 0
                        ? backend.changesAfter(Objects.requireNonNull(scopes, "scopes"), prefix, afterPosition)
                        : List.of();
            } catch (RuntimeException e) {
                self[0].close();
                throw e;
            }
            self[0].activate(replay);
            return self[0];
        }
    }

    private void awaitConnected(Runner r) {
        try {
            r.connected.get(CONNECT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            synchronized (this) {
                if (runner == r) {
                    runner = null;
                }
            }
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new DataAccessException("config store in schema \"" + storage.schema() + "\": cannot start watching: "
                    + cause, null, null);
        } catch (TimeoutException e) {
            throw new DataAccessException("config store in schema \"" + storage.schema() + "\": the listening "
                    + "connection did not open within " + CONNECT_WAIT_SECONDS + " s", null, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataAccessException("config store in schema \"" + storage.schema() + "\": interrupted while "
                    + "opening the listening connection", null, null);
        }
    }

    private void remove(WatchSubscription watch) {
        synchronized (this) {
            watches.remove(watch);
            if (watches.isEmpty() && runner != null) {
                runner.stop();
                runner = null;
            }
        }
    }

    /** The process id of the listening connection's backend, or 0 if none is open; for tests. */
    public int listenerPid() {
        Runner r;
        synchronized (this) {
            r = runner;
        }
        return r == null ? 0 : r.pid;
    }

    /** Reads the changes of one result set of {@link #COLUMNS}, in its order. */
    public static List<ConfigEvent> events(ResultSet rs) throws SQLException {
        List<ConfigEvent> events = new ArrayList<>();
        while (rs.next()) {
            String scope = rs.getString(2);
            String key = rs.getString(3);
            events.add(new ConfigEvent(rs.getLong(1), new ConfigChange(scope, key, rs.getLong(4),
                    ConfigChange.Kind.valueOf(rs.getString(5)), PostgresConfigBackend.json(rs.getString(6), scope, key),
                    PostgresConfigBackend.json(rs.getString(7), scope, key), rs.getString(8), rs.getString(9),
                    PostgresConfigBackend.instant(rs, 10))));
        }
        return events;
    }

    /** The listening loop of one connection's life and its reconnects; ends when stopped. */
    private final class Runner implements Runnable {
        final CompletableFuture<Void> connected = new CompletableFuture<>();
        volatile boolean stopped;
        volatile @Nullable Thread thread;
        volatile int pid;
        private @Nullable Connection connection;
        /** The listening connection's network timeout as it came, put back when it is given back. */
        private int readTimeout;
        private @Nullable String channel;
        private long xmin = -1;
        private volatile boolean inGap;
        private long nextHeartbeat;

        void stop() {
            stopped = true;
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }

        @Override
        public void run() {
            long backoff = 50;
            while (!stopped) {
                try {
                    if (connection == null) {
                        connect();
                        backoff = 50;
                    }
                    PGNotification[] notes = connection().unwrap(PGConnection.class).getNotifications(HEARTBEAT_MILLIS);
                    handle(notes);
                    if (ticker.read() - nextHeartbeat >= 0) {
                        heartbeat();
                    }
                } catch (SQLException | RuntimeException e) {
                    if (stopped) {
                        break;
                    }
                    closeConnection(e);
                    if (connected.isDone() && storageClosed()) {
                        retire();   // the storage was closed (and its database perhaps dropped): not a gap to report
                        break;
                    }
                    // A driver failure is shown by its first line only; a login that ran out of time is kept whole,
                    // so its reason and the timeout it names survive.
                    Exception safe = e instanceof SQLException sql && SqlFailures.loginTimeout(e) == null
                            ? new SQLException(SqlFailures.firstLine(e.getMessage()), sql.getSQLState())
                            : e;
                    if (!connected.isDone()) {
                        connected.completeExceptionally(e instanceof SQLException
                                ? SqlFailures.connectFailure((SQLException) safe, PostgresConfigBackend.target(storage)) : e);
                        return;
                    }
                    if (!inGap) {
                        inGap = true;
                        LOG.warn("config store in schema \"{}\": change notifications lost ({}); reconnecting",
                                storage.schema(), safe.getMessage());
                        watches.forEach(w -> w.gap(safe));
                    }
                    if (storageClosed()) {
                        retire();
                        break;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoff));   // a wait: real time, no ticker
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                }
            }
            closeConnection(null);
        }

        /** The listening connection: the loop connects before anything reads from it. */
        private Connection connection() {
            return Objects.requireNonNull(connection, "connection");
        }

        private void connect() throws SQLException {
            Connection c = storage.dedicatedConnection();
            try {
                readTimeout = c.getNetworkTimeout();
                if (readTimeout == 0) {
                    // A silently dead network ends a read, so the loop reconnects.
                    c.setNetworkTimeout(DIRECT, DEFAULT_READ_TIMEOUT_MILLIS);
                }
                try (Statement s = c.createStatement()) {
                    if (channel == null) {
                        try (ResultSet rs = s.executeQuery(CHANNEL)) {
                            rs.next();
                            channel = rs.getString(1);
                        }
                    }
                    s.execute("LISTEN \"" + channel + "\"");
                }
                connection = c;
                pid = c.unwrap(PGConnection.class).getBackendPID();
            } catch (SQLException | RuntimeException e) {
                release(c, e);
                throw e;
            }
            long since = xmin;
            long now = readXmin();
            if (inGap) {
                List<ConfigEvent> missed;
                try (PreparedStatement s = connection.prepareStatement(SINCE_TX)) {
                    s.setLong(1, since);
                    try (ResultSet rs = s.executeQuery()) {
                        missed = events(rs);
                    }
                }
                for (WatchSubscription w : watches) {
                    w.replay(missed);
                }
                handle(connection.unwrap(PGConnection.class).getNotifications());
                inGap = false;
                watches.forEach(WatchSubscription::caughtUp);
                LOG.info("config store in schema \"{}\": change notifications restored, {} missed changes replayed",
                        storage.schema(), missed.size());
            }
            xmin = now;
            nextHeartbeat = ticker.read() + TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS);
            connected.complete(null);
        }

        private long readXmin() throws SQLException {
            try (Statement s = connection().createStatement(); ResultSet rs = s.executeQuery(XMIN)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        /** Proves the connection alive and moves the replay point forward (see the class comment). */
        private void heartbeat() throws SQLException {
            if (storageClosed()) {
                retire();
                return;
            }
            long now = readXmin();
            handle(connection().unwrap(PGConnection.class).getNotifications());
            xmin = now;
            nextHeartbeat = ticker.read() + TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS);
        }

        /** Reads the notified changes some watch wants, in one statement, and offers them in commit order. */
        private void handle(PGNotification[] notes) throws SQLException {
            if (notes == null || notes.length == 0) {
                return;
            }
            List<String> scopes = new ArrayList<>(notes.length);
            List<String> keys = new ArrayList<>(notes.length);
            List<Long> ids = new ArrayList<>(notes.length);
            for (PGNotification note : notes) {
                JsonNode payload;
                try {
                    payload = JsonValues.INTERNAL.readTree(note.getParameter());
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    LOG.warn("config store in schema \"{}\": ignoring a notification that is not a change",
                            storage.schema());
                    continue;
                }
                String scope = payload.path("scope").asText();
                String key = payload.path("key").asText();
                for (WatchSubscription w : watches) {
                    if (w.wants(scope, key)) {
                        scopes.add(scope);
                        keys.add(key);
                        ids.add(payload.path("id").asLong());
                        break;
                    }
                }
            }
            if (ids.isEmpty()) {
                return;
            }
            List<ConfigEvent> events;
            try (PreparedStatement s = connection().prepareStatement(BY_ID)) {
                s.setArray(1, connection().createArrayOf("text", scopes.toArray()));
                s.setArray(2, connection().createArrayOf("text", keys.toArray()));
                s.setArray(3, connection().createArrayOf("bigint", ids.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    events = events(rs);
                }
            }
            // Rows not found were removed by history retention meanwhile; a later change of the key is on its way.
            for (ConfigEvent e : events) {
                for (WatchSubscription w : watches) {
                    w.offer(e);
                }
            }
        }

        /**
         * The storage was closed: stop, and tell the watches (a cache then stops answering). A later watch starts a new
         * feed, which fails if the server cannot be reached.
         */
        private void retire() {
            stopped = true;
            synchronized (PostgresChangeFeed.this) {
                if (runner == this) {
                    runner = null;
                }
            }
            if (!inGap) {
                inGap = true;
                IllegalStateException closed = new IllegalStateException("the storage was closed");
                watches.forEach(w -> w.gap(closed));
            }
        }

        /** Closes the listening connection; {@code failure} is why, or null when the feed stops. */
        private void closeConnection(@Nullable Throwable failure) {
            pid = 0;
            if (connection != null) {
                release(connection, failure);
                connection = null;
            }
        }

        /**
         * Gives a listening connection back. One borrowed from an application's pool ({@code Storage.over}) goes back
         * to that pool, so, unless it broke, it stops listening and gets its network timeout back first (a connection
         * of pgdock's own is closed for good, and that costs one round trip).
         */
        private void release(Connection c, @Nullable Throwable failure) {
            boolean broken = failure instanceof SQLException e && SqlFailures.isBroken(e);
            try {
                if (!broken) {
                    try (Statement s = c.createStatement()) {
                        s.execute("UNLISTEN *");
                    }
                    c.setNetworkTimeout(DIRECT, readTimeout);
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("resetting the listening connection failed", e);
            } finally {
                try {
                    c.close();
                } catch (SQLException e) {
                    LOG.debug("closing the listening connection failed", e);
                }
            }
        }
    }

    private boolean storageClosed() {
        return storage.isClosed();
    }
}
