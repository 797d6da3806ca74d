package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import java.time.Duration;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * transactionPooling mode on a direct connection: no session state is set, so the spec's settings must be the role's,
 * and the first connection says so, with the statement to run. (Through a real PgBouncer: {@code PgBouncerTest}.)
 */
class TransactionPoolingModeTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @Test
    void settingsTheRoleDoesNotHaveAreNamedWithTheStatementThatGivesThemToIt() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Jdbi admin = Jdbi.create(PG.adminDataSource());
        ConnectionSpec spec = PG.spec().toBuilder().statementTimeout(Duration.ofMillis(1234)).build();
        String alter = "ALTER ROLE \"" + spec.user() + "\" IN DATABASE \"" + spec.database()
                + "\" SET statement_timeout = 1234";
        try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().ticker(ticker)
                .transactionPooling(true).build())) {
            DataSource ds = factory.get(spec);
            ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                    () -> ds.getConnection().close());
            assertThat(e.getMessage()).contains("transactionPooling").contains("statement_timeout is 0 ms")
                    .contains(alter + ";");

            admin.useHandle(h -> h.execute(alter));
            ticker.advance(Duration.ofSeconds(6));
            assertThat(PooledDataSourceFactoryTest.query(ds, "SHOW statement_timeout")).isEqualTo("1234ms");
        } finally {
            admin.useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" IN DATABASE \"" + spec.database()
                    + "\" RESET statement_timeout"));
        }
    }

    @Test
    void serverSidePreparedStatementsAreOffUnlessTheSpecSetsThem() {
        FactoryOptions pooling = FactoryOptions.builder().transactionPooling(true).build();
        assertThat(TargetPool.driverProperties(PG.spec(), pooling).getProperty("prepareThreshold")).isEqualTo("0");
        ConnectionSpec own = PG.spec().toBuilder().option("prepareThreshold", "3").build();
        assertThat(TargetPool.driverProperties(own, pooling).getProperty("prepareThreshold")).isEqualTo("3");
        assertThat(TargetPool.driverProperties(PG.spec(), FactoryOptions.defaults()).getProperty("prepareThreshold"))
                .isNull();
    }
}
