package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.ds.PGSimpleDataSource;

/** Unpooled pgjdbc data sources for a {@link ConnectionSpec}. */
final class DataSources {

    private DataSources() {
    }

    /**
     * A data source that opens a new connection on every call, with the spec's URL and driver properties (user,
     * password, TLS, timeouts, application name, extra options). The spec's session settings
     * ({@link ConnectionSpec#sessionInitSql()}: search path and server-side timeouts) are not applied; the specs this
     * package makes have none.
     */
    static PGSimpleDataSource unpooled(ConnectionSpec spec) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(spec.jdbcUrl());
        Properties properties = spec.driverProperties();
        for (String name : properties.stringPropertyNames()) {
            try {
                dataSource.setProperty(name, properties.getProperty(name));
            } catch (SQLException e) {
                // ConnectionSpec only emits pgjdbc property names, so this means the two disagree.
                throw new IllegalArgumentException("pgjdbc does not accept the driver property " + name + " of " + spec,
                        e);
            }
        }
        return dataSource;
    }
}
