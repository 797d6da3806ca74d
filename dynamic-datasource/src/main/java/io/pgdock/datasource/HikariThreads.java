package io.pgdock.datasource;

import com.zaxxer.hikari.HikariDataSource;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shortens how long HikariCP keeps its per-pool connection threads alive when idle.
 *
 * <p>Each HikariCP pool opens and closes connections on two single-thread executors of its own (HikariCP
 * {@code UtilityElf.createThreadPoolExecutor}: one thread each, ended after 5 s idle, not configurable). With a thousand
 * pools in use within a few seconds that is up to two thousand platform threads (measured: 854 peak on Java 17 for 1,000
 * targets used one after the other). Shortening the idle time to {@link #KEEP_ALIVE} keeps only the threads of pools that
 * are opening or closing a connection right now. The executors are reached by reflection on HikariCP's private fields;
 * if a HikariCP version renames them, nothing breaks: this logs once at debug level and the 5 s idle time applies. On
 * Java 21+ the factory's default thread factory makes these threads virtual, which makes the count moot.
 */
final class HikariThreads {
    static final Duration KEEP_ALIVE = Duration.ofMillis(200);

    private static final Logger LOG = LoggerFactory.getLogger(HikariThreads.class);
    private static final String[] EXECUTOR_FIELDS = {"addConnectionExecutor", "closeConnectionExecutor"};
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    private HikariThreads() {
    }

    /**
     * Applies the short keep-alive to a pool's connection executors.
     *
     * @return whether both executors were found and changed
     */
    static boolean shortenKeepAlive(HikariDataSource dataSource) {
        Object pool = dataSource.getHikariPoolMXBean();
        if (pool == null) {
            return false;
        }
        try {
            for (String name : EXECUTOR_FIELDS) {
                Field field = pool.getClass().getDeclaredField(name);
                field.setAccessible(true);
                ThreadPoolExecutor executor = (ThreadPoolExecutor) field.get(pool);
                executor.setKeepAliveTime(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (REPORTED.compareAndSet(false, true)) {
                LOG.debug("Cannot shorten HikariCP's connection thread keep-alive ({}); idle connection threads end "
                        + "after HikariCP's own 5 s", e.toString());
            }
            return false;
        }
    }
}
