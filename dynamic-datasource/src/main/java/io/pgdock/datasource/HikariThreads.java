package io.pgdock.datasource;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Shortens how long HikariCP keeps its per-pool connection threads alive when idle. HikariCP has no supported setting for
 * it, so this reaches into two of its private fields, and fails loudly if a HikariCP version changes them.
 *
 * <p><b>What HikariCP does.</b> Each pool opens and closes connections on two single-thread executors of its own,
 * {@code HikariPool.addConnectionExecutor} and {@code closeConnectionExecutor}, made by
 * {@code UtilityElf.createThreadPoolExecutor}: one thread each, ended after 5 s idle, a constant. That is so in HikariCP
 * 5.1.0, 6.0.0 and 7.1.0. HikariCP's supported hooks reach what those threads are ({@code HikariConfig.setThreadFactory},
 * which the factory sets: {@link FactoryOptions.Builder#threadFactory}, virtual threads on Java 21+ by default) and the
 * housekeeping executor ({@code HikariConfig.setScheduledExecutor}, which the factory shares between all its pools), not
 * the keep-alive.
 *
 * <p><b>What it costs without this.</b> Every pool that opened or closed a connection in the last 5 s holds up to two
 * threads: with a thousand targets used within a few seconds, up to two thousand platform threads on Java 17 (measured:
 * 854 at the peak for 1,000 targets used one after the other). Shortened to {@link #KEEP_ALIVE}, only the threads of
 * pools that are opening or closing a connection right now, give or take 200 ms, stay. With virtual threads the count
 * hardly matters, but the same code runs, so that a HikariCP change is found on every JDK.
 *
 * <p><b>What it costs with this.</b> The fields are private and may change in any HikariCP release. Their names and type
 * were checked against HikariCP {@value #CHECKED_AGAINST} (the version this module depends on; a test fails when the
 * build moves to another). If a HikariCP version renames, retypes or drops them, starting a pool fails with an
 * {@link IllegalStateException} that names the field and both versions, rather than the thread count growing unnoticed.
 * The fix is a pgdock release checked against that HikariCP, or HikariCP {@value #CHECKED_AGAINST}.
 */
final class HikariThreads {
    static final Duration KEEP_ALIVE = Duration.ofMillis(200);
    /** The HikariCP version whose private executors this was checked against. */
    static final String CHECKED_AGAINST = "7.1.0";

    private static final String[] EXECUTOR_FIELDS = {"addConnectionExecutor", "closeConnectionExecutor"};

    private HikariThreads() {
    }

    /**
     * Applies the short keep-alive to a started pool's connection executors; does nothing for a pool not started.
     *
     * @throws IllegalStateException if this HikariCP's pool does not have the executors as HikariCP
     *     {@value #CHECKED_AGAINST} has them
     */
    static void shortenKeepAlive(HikariDataSource dataSource) {
        Object pool = dataSource.getHikariPoolMXBean();
        if (pool != null) {
            shortenKeepAlive(pool, EXECUTOR_FIELDS);
        }
    }

    /** Applies the short keep-alive to the executors in {@code fields} of {@code pool}. */
    static void shortenKeepAlive(Object pool, String... fields) {
        for (String name : fields) {
            try {
                Field field = pool.getClass().getDeclaredField(name);
                field.setAccessible(true);
                ((ThreadPoolExecutor) field.get(pool)).setKeepAliveTime(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot start a pool: pgdock shortens the idle keep-alive of HikariCP's "
                        + "connection threads through the private field " + pool.getClass().getName() + "." + name
                        + " (a ThreadPoolExecutor in HikariCP " + CHECKED_AGAINST + "), and the HikariCP in use ("
                        + hikariVersion() + ") does not have it so (" + e + "); use HikariCP " + CHECKED_AGAINST
                        + ", the version pgdock-dynamic-datasource depends on, or a pgdock release made for this one",
                        e);
            }
        }
    }

    /** The version of the HikariCP jar in use, from its Maven metadata, or {@code "version unknown"}. */
    static String hikariVersion() {
        try (InputStream in = HikariDataSource.class.getResourceAsStream(
                "/META-INF/maven/com.zaxxer/HikariCP/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String version = p.getProperty("version");
                if (version != null) {
                    return version;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the message says the version is unknown
        }
        return "version unknown";
    }
}
