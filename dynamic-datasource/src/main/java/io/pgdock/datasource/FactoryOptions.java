package io.pgdock.datasource;

import io.pgdock.core.SslMode;
import io.pgdock.core.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/**
 * Settings of a pooled {@link DataSourceFactory}. Build with {@link #builder()}; each setter checks its value at once and
 * names it in the error, {@link Builder#build()} checks the settings against each other. Immutable and thread-safe.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code resolver}</td><td>{@link TargetResolver#none()}</td><td>turns names into specs for
 *     {@code get(name)}; for example {@code TargetResolver.environment(System.getenv())}</td></tr>
 * <tr><td>{@code maximumPoolSize}</td><td>5</td><td>connections per target</td></tr>
 * <tr><td>{@code maximumPools}</td><td>100</td><td>live pools (targets); the least recently used idle pool is evicted
 *     to make room</td></tr>
 * <tr><td>{@code maximumConnections}</td><td>50</td><td>open connections across all targets; idle connections of the
 *     least recently used pools are closed to make room</td></tr>
 * <tr><td>{@code idleTtl}</td><td>10 min</td><td>a pool nobody asked for a connection for this long, with none lent, is
 *     evicted</td></tr>
 * <tr><td>{@code connectionIdleTimeout}</td><td>1 min</td><td>an idle connection is closed after this long
 *     (HikariCP {@code idleTimeout}; at least 10 s)</td></tr>
 * <tr><td>{@code maxLifetime}</td><td>30 min</td><td>a connection is replaced after this long (HikariCP
 *     {@code maxLifetime}; at least 30 s)</td></tr>
 * <tr><td>{@code borrowTimeout}</td><td>10 s</td><td>how long a caller waits for a connection from a busy pool (HikariCP
 *     {@code connectionTimeout}; at least 250 ms)</td></tr>
 * <tr><td>{@code connectTimeout}</td><td>10 s</td><td>how long a whole login may take (TCP connect, TLS,
 *     authentication) for specs that set no {@code connectTimeout} of their own</td></tr>
 * <tr><td>{@code failureBackoff}</td><td>5 s</td><td>after a failed connect, callers get that failure again without a
 *     new attempt for this long, so a wrong password does not become a login storm</td></tr>
 * <tr><td>{@code drainTimeout}</td><td>30 s</td><td>a retired pool waits this long for its lent connections to come
 *     back, then is closed anyway (logged as a warning)</td></tr>
 * <tr><td>{@code maintenanceInterval}</td><td>1 s</td><td>how often idle pools are evicted and drained ones
 *     closed</td></tr>
 * <tr><td>{@code defaultSslMode}</td><td>{@link SslMode#PREFER}</td><td>the sslmode sent for specs that set none; it is
 *     always sent explicitly. Use {@link SslMode#VERIFY_FULL} wherever the server has a certificate</td></tr>
 * <tr><td>{@code applicationName}</td><td>{@code pgdock}</td><td>{@code application_name} for specs that set
 *     none</td></tr>
 * <tr><td>{@code transactionPooling}</td><td>false</td><td>targets are reached through a transaction-mode pooler such
 *     as PgBouncer: no session state is set (see {@link Builder#transactionPooling(boolean)})</td></tr>
 * <tr><td>{@code ticker}, {@code clock}</td><td>system</td><td>time sources; tests pass fakes</td></tr>
 * <tr><td>{@code executor}</td><td>one daemon thread owned by the factory ({@code pgdock-datasource-housekeeper}),
 *     shut down when the factory is closed</td><td>runs maintenance and every pool's HikariCP housekeeping; a caller's
 *     executor is never shut down by the factory (see {@link Builder#executor})</td></tr>
 * <tr><td>{@code threadFactory}</td><td>virtual threads on Java 21+, daemon threads otherwise (named
 *     {@code pgdock-datasource-<n>})</td><td>makes the short-lived threads that open and close connections (see
 *     {@link Builder#threadFactory})</td></tr>
 * </table>
 */
public final class FactoryOptions {
    private static final FactoryOptions DEFAULTS = builder().build();

    private final TargetResolver resolver;
    private final int maximumPoolSize;
    private final int maximumPools;
    private final int maximumConnections;
    private final Duration idleTtl;
    private final Duration connectionIdleTimeout;
    private final Duration maxLifetime;
    private final Duration borrowTimeout;
    private final Duration connectTimeout;
    private final Duration failureBackoff;
    private final Duration drainTimeout;
    private final Duration maintenanceInterval;
    private final SslMode defaultSslMode;
    private final String applicationName;
    private final boolean transactionPooling;
    private final Ticker ticker;
    private final Clock clock;
    private final List<FactoryListener> listeners;
    private final @Nullable ScheduledExecutorService executor;
    private final @Nullable ThreadFactory threadFactory;

    private FactoryOptions(Builder b) {
        this.resolver = b.resolver;
        this.maximumPoolSize = b.maximumPoolSize;
        this.maximumPools = b.maximumPools;
        this.maximumConnections = b.maximumConnections;
        this.idleTtl = b.idleTtl;
        this.connectionIdleTimeout = b.connectionIdleTimeout;
        this.maxLifetime = b.maxLifetime;
        this.borrowTimeout = b.borrowTimeout;
        this.connectTimeout = b.connectTimeout;
        this.failureBackoff = b.failureBackoff;
        this.drainTimeout = b.drainTimeout;
        this.maintenanceInterval = b.maintenanceInterval;
        this.defaultSslMode = b.defaultSslMode;
        this.applicationName = b.applicationName;
        this.transactionPooling = b.transactionPooling;
        this.ticker = b.ticker;
        this.clock = b.clock;
        this.listeners = List.copyOf(b.listeners);
        this.executor = b.executor;
        this.threadFactory = b.threadFactory;
    }

    /**
     * The defaults of the table above.
     *
     * @return default options
     */
    public static FactoryOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the name resolver */
    public TargetResolver resolver() {
        return resolver;
    }

    /** @return connections per target */
    public int maximumPoolSize() {
        return maximumPoolSize;
    }

    /** @return the most live pools */
    public int maximumPools() {
        return maximumPools;
    }

    /** @return the most open connections across all targets */
    public int maximumConnections() {
        return maximumConnections;
    }

    /** @return how long an unused pool lives */
    public Duration idleTtl() {
        return idleTtl;
    }

    /** @return how long an idle connection lives */
    public Duration connectionIdleTimeout() {
        return connectionIdleTimeout;
    }

    /** @return how long any connection lives */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /** @return how long a caller waits for a connection */
    public Duration borrowTimeout() {
        return borrowTimeout;
    }

    /** @return the connect and login timeout for specs without one */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** @return how long a failure is remembered */
    public Duration failureBackoff() {
        return failureBackoff;
    }

    /** @return how long a retired pool may drain */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** @return how often maintenance runs */
    public Duration maintenanceInterval() {
        return maintenanceInterval;
    }

    /** @return the sslmode for specs without one */
    public SslMode defaultSslMode() {
        return defaultSslMode;
    }

    /** @return the application_name for specs without one */
    public String applicationName() {
        return applicationName;
    }

    /** @return whether targets are reached through a transaction-mode pooler */
    public boolean transactionPooling() {
        return transactionPooling;
    }

    /** @return the ticker */
    public Ticker ticker() {
        return ticker;
    }

    /** @return the wall clock, for event and health timestamps */
    public Clock clock() {
        return clock;
    }

    /** @return the listeners, in registration order */
    public List<FactoryListener> listeners() {
        return listeners;
    }

    /** @return the caller's executor, or empty when the factory owns one */
    public Optional<ScheduledExecutorService> executor() {
        return Optional.ofNullable(executor);
    }

    /** @return the caller's thread factory, or empty for the default */
    public Optional<ThreadFactory> threadFactory() {
        return Optional.ofNullable(threadFactory);
    }

    @Override
    public String toString() {
        return "FactoryOptions[maximumPoolSize=" + maximumPoolSize + ", maximumPools=" + maximumPools
                + ", maximumConnections=" + maximumConnections + ", idleTtl=" + idleTtl + ", connectionIdleTimeout="
                + connectionIdleTimeout + ", maxLifetime=" + maxLifetime + ", borrowTimeout=" + borrowTimeout
                + ", connectTimeout=" + connectTimeout + ", failureBackoff=" + failureBackoff + ", drainTimeout="
                + drainTimeout + ", maintenanceInterval=" + maintenanceInterval + ", defaultSslMode="
                + defaultSslMode.value() + ", applicationName=" + applicationName + ", transactionPooling="
                + transactionPooling + ", listeners=" + listeners.size() + "]";
    }

    /** Builds {@link FactoryOptions}. Not thread-safe. */
    public static final class Builder {
        private TargetResolver resolver = TargetResolver.none();
        private int maximumPoolSize = 5;
        private int maximumPools = 100;
        private int maximumConnections = 50;
        private Duration idleTtl = Duration.ofMinutes(10);
        private Duration connectionIdleTimeout = Duration.ofMinutes(1);
        private Duration maxLifetime = Duration.ofMinutes(30);
        private Duration borrowTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration failureBackoff = Duration.ofSeconds(5);
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration maintenanceInterval = Duration.ofSeconds(1);
        private SslMode defaultSslMode = SslMode.PREFER;
        private String applicationName = "pgdock";
        private boolean transactionPooling;
        private Ticker ticker = Ticker.system();
        private Clock clock = Clock.systemUTC();
        private final List<FactoryListener> listeners = new ArrayList<>();
        private @Nullable ScheduledExecutorService executor;
        private @Nullable ThreadFactory threadFactory;

        private Builder() {
        }

        /**
         * Sets how names are turned into specs.
         *
         * @param resolver the resolver
         * @return this builder
         */
        public Builder resolver(TargetResolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /**
         * Sets the number of connections per target.
         *
         * @param size at least 1
         * @return this builder
         */
        public Builder maximumPoolSize(int size) {
            this.maximumPoolSize = Validation.atLeast("maximumPoolSize", size, 1);
            return this;
        }

        /**
         * Sets the most live pools.
         *
         * @param pools at least 1
         * @return this builder
         */
        public Builder maximumPools(int pools) {
            this.maximumPools = Validation.atLeast("maximumPools", pools, 1);
            return this;
        }

        /**
         * Sets the most open connections across all targets, counting connections of pools that are draining.
         *
         * @param connections at least 1, and at least {@code maximumPoolSize}
         * @return this builder
         */
        public Builder maximumConnections(int connections) {
            this.maximumConnections = Validation.atLeast("maximumConnections", connections, 1);
            return this;
        }

        /**
         * Sets how long a pool may go unasked before it is evicted.
         *
         * @param ttl at least 1 s
         * @return this builder
         */
        public Builder idleTtl(Duration ttl) {
            this.idleTtl = Validation.atLeast("idleTtl", ttl, Duration.ofSeconds(1));
            return this;
        }

        /**
         * Sets how long an idle connection stays open.
         *
         * @param timeout at least 10 s (HikariCP's minimum)
         * @return this builder
         */
        public Builder connectionIdleTimeout(Duration timeout) {
            this.connectionIdleTimeout = Validation.atLeast("connectionIdleTimeout", timeout, Duration.ofSeconds(10));
            return this;
        }

        /**
         * Sets how long any connection stays open before it is replaced.
         *
         * @param lifetime at least 30 s (HikariCP's minimum)
         * @return this builder
         */
        public Builder maxLifetime(Duration lifetime) {
            this.maxLifetime = Validation.atLeast("maxLifetime", lifetime, Duration.ofSeconds(30));
            return this;
        }

        /**
         * Sets how long a caller waits for a connection when the target's pool is busy.
         *
         * @param timeout at least 250 ms (HikariCP's minimum)
         * @return this builder
         */
        public Builder borrowTimeout(Duration timeout) {
            this.borrowTimeout = Validation.atLeast("borrowTimeout", timeout, Duration.ofMillis(250));
            return this;
        }

        /**
         * Sets the TCP connect and login timeout for specs that set no {@code connectTimeout}.
         *
         * @param timeout whole seconds, at least 1 s (pgjdbc's unit)
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            Validation.atLeast("connectTimeout", timeout, Duration.ofSeconds(1));
            if (timeout.toNanos() % 1_000_000_000L != 0) {
                throw new IllegalArgumentException("connectTimeout must be whole seconds (pgjdbc's unit), but was "
                        + timeout);
            }
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * Sets how long a failed target is refused without a new attempt.
         *
         * @param backoff zero or more; zero tries again on every call
         * @return this builder
         */
        public Builder failureBackoff(Duration backoff) {
            this.failureBackoff = Validation.atLeast("failureBackoff", backoff, Duration.ZERO);
            return this;
        }

        /**
         * Sets how long a retired pool waits for lent connections before it is closed anyway.
         *
         * @param timeout zero or more
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Validation.atLeast("drainTimeout", timeout, Duration.ZERO);
            return this;
        }

        /**
         * Sets how often maintenance (idle eviction, closing drained pools) runs on the executor.
         *
         * @param interval at least 10 ms
         * @return this builder
         */
        public Builder maintenanceInterval(Duration interval) {
            this.maintenanceInterval = Validation.atLeast("maintenanceInterval", interval, Duration.ofMillis(10));
            return this;
        }

        /**
         * Sets the sslmode sent for specs that set none.
         *
         * @param mode the mode; {@link SslMode#VERIFY_FULL} is recommended wherever the server has a certificate
         * @return this builder
         */
        public Builder defaultSslMode(SslMode mode) {
            this.defaultSslMode = Objects.requireNonNull(mode, "defaultSslMode");
            return this;
        }

        /**
         * Sets the {@code application_name} for specs that set none.
         *
         * @param name non-blank
         * @return this builder
         */
        public Builder applicationName(String name) {
            this.applicationName = Validation.notBlank("applicationName", name);
            return this;
        }

        /**
         * Declares that targets are reached through a transaction-mode pooler such as PgBouncer, where consecutive
         * transactions of one client connection may run on different server sessions. Then the factory sets no session
         * state: no {@code SET} of search_path or timeouts on new connections, and pgjdbc's server-side prepared statements
         * off ({@code prepareThreshold=0}) unless the spec sets {@code prepareThreshold}. A spec's schema and timeouts must
         * then be the role's own settings on the server ({@code ALTER ROLE ... IN DATABASE ... SET search_path = ...});
         * the first connection to each target checks that they are, and fails naming the statement to run when they are
         * not.
         *
         * @param on whether targets sit behind a transaction-mode pooler
         * @return this builder
         */
        public Builder transactionPooling(boolean on) {
            this.transactionPooling = on;
            return this;
        }

        /**
         * Sets the ticker that measures idle time, back-off and drain deadlines.
         *
         * @param ticker the ticker
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Sets the wall clock for event and health timestamps.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Adds a lifecycle listener.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(FactoryListener listener) {
            this.listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Sets the executor for maintenance (idle eviction, closing drained pools, every {@code maintenanceInterval})
         * and for every pool's HikariCP housekeeping ({@code HikariConfig.setScheduledExecutor}): one executor for all
         * pools, however many, so a thousand targets do not mean a thousand housekeeping threads. Its tasks are short;
         * one thread is enough.
         *
         * <p>The factory never shuts it down: it is the caller's, and stays usable after {@link DataSourceFactory#close()},
         * which cancels the factory's own tasks on it (HikariCP cancels each pool's as the pool closes).
         *
         * <p>Without it, the factory makes one of its own: a single daemon thread named
         * {@code pgdock-datasource-housekeeper}, shared by all the factory's pools and shut down when the factory is
         * closed.
         *
         * @param executor the executor
         * @return this builder
         */
        public Builder executor(ScheduledExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Sets the factory of the short-lived threads that open and close connections: HikariCP's, one opener and one
         * closer per pool while it works (HikariCP {@code HikariConfig.setThreadFactory}; each ends 200 ms after its
         * last task), and the factory's own closer of retired pools (ends after 1 s idle). pgdock only asks it for
         * threads and never shuts it down; the threads end as said, so nothing needs closing. It must return a thread.
         *
         * <p>Without it: virtual threads named {@code pgdock-datasource-<n>} on Java 21 and later, daemon platform
         * threads of the same names on Java 17.
         *
         * @param threadFactory the thread factory
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /**
         * Builds the options.
         *
         * @return immutable options
         * @throws IllegalArgumentException if {@code maximumConnections < maximumPoolSize}, or
         *     {@code connectionIdleTimeout >= maxLifetime}
         */
        public FactoryOptions build() {
            if (maximumConnections < maximumPoolSize) {
                throw new IllegalArgumentException("maximumConnections (" + maximumConnections
                        + ") must be at least maximumPoolSize (" + maximumPoolSize + ")");
            }
            // HikariCP silently turns the idle timeout off when it is within a second of the lifetime.
            if (connectionIdleTimeout.plusSeconds(1).compareTo(maxLifetime) > 0) {
                throw new IllegalArgumentException("connectionIdleTimeout (" + connectionIdleTimeout
                        + ") must be at least 1 s shorter than maxLifetime (" + maxLifetime + "); HikariCP would"
                        + " otherwise ignore it");
            }
            return new FactoryOptions(this);
        }
    }
}
