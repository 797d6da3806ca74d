package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.lang.reflect.Field;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link HikariThreads} reaches into HikariCP's private executors: it works on the HikariCP this build uses, a HikariCP
 * without them fails at pool start saying what and why, and moving the build to another HikariCP fails here first.
 */
class HikariThreadsTest {
    /** A started pool that opens no connection (nothing listens on port 1, and nothing asks for one). */
    private static HikariDataSource idlePool() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setServerNames(new String[] {"127.0.0.1"});
        nowhere.setPortNumbers(new int[] {1});
        HikariConfig c = new HikariConfig();
        c.setPoolName("hikari-threads-test");
        c.setDataSource(nowhere);
        c.setMinimumIdle(0);
        c.setInitializationFailTimeout(-1);
        return new HikariDataSource(c);
    }

    @Test
    void theHikariCpOfThisBuildIsTheOneTheFieldsWereCheckedAgainst() {
        assertThat(HikariThreads.hikariVersion())
                .as("HikariCP changed: check HikariPool's addConnectionExecutor and closeConnectionExecutor in its "
                        + "source, then update HikariThreads.CHECKED_AGAINST")
                .isEqualTo(HikariThreads.CHECKED_AGAINST);
    }

    @Test
    void bothConnectionExecutorsGetTheShortKeepAlive() throws ReflectiveOperationException {
        try (HikariDataSource pool = idlePool()) {
            HikariThreads.shortenKeepAlive(pool);
            Object hikariPool = pool.getHikariPoolMXBean();
            for (String name : new String[] {"addConnectionExecutor", "closeConnectionExecutor"}) {
                Field field = hikariPool.getClass().getDeclaredField(name);
                field.setAccessible(true);
                assertThat(((ThreadPoolExecutor) field.get(hikariPool)).getKeepAliveTime(TimeUnit.MILLISECONDS))
                        .as(name).isEqualTo(HikariThreads.KEEP_ALIVE.toMillis());
            }
        }
    }

    @Test
    void aHikariCpWithoutTheFieldFailsNamingItAndBothVersions() {
        try (HikariDataSource pool = idlePool()) {
            Object hikariPool = pool.getHikariPoolMXBean();
            assertThatThrownBy(() -> HikariThreads.shortenKeepAlive(hikariPool, "connectionAdderOfSomeLaterVersion"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("cannot start a pool: pgdock shortens the idle keep-alive of HikariCP's "
                            + "connection threads through the private field "
                            + "com.zaxxer.hikari.pool.HikariPool.connectionAdderOfSomeLaterVersion (a ThreadPoolExecutor "
                            + "in HikariCP " + HikariThreads.CHECKED_AGAINST + "), and the HikariCP in use ("
                            + HikariThreads.hikariVersion() + ") does not have it so (java.lang.NoSuchFieldException")
                    .hasMessageEndingWith("; use HikariCP " + HikariThreads.CHECKED_AGAINST + ", the version "
                            + "pgdock-dynamic-datasource depends on, or a pgdock release made for this one")
                    .hasCauseInstanceOf(NoSuchFieldException.class);
            assertThatThrownBy(() -> HikariThreads.shortenKeepAlive(hikariPool, "connectionBag"))
                    .as("a field of another type").isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("HikariPool.connectionBag")
                    .hasCauseInstanceOf(ClassCastException.class);
        }
    }
}
