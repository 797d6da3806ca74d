package org.example.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.Version;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What this build got from pgdock's poms: the user's JUnit, one Jackson, and PostgreSQL 17 when embedded. */
class WhatTheBuildResolvedTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @Test
    void junitIsTheOneThisBuildDeclares() {
        String asked = System.getProperty("consumer.junit.version");
        assertEquals(asked, Test.class.getPackage().getImplementationVersion(), "junit-jupiter-api on the class path");
    }

    @Test
    void jacksonIsOneVersion() {
        List<Version> versions = List.of(com.fasterxml.jackson.core.json.PackageVersion.VERSION,
                com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION,
                com.fasterxml.jackson.datatype.jsr310.PackageVersion.VERSION,
                com.fasterxml.jackson.datatype.jdk8.PackageVersion.VERSION);
        for (Version v : versions) {
            assertEquals(versions.get(0).toString(), v.toString(), "every Jackson module: " + versions);
        }
        // Annotations are numbered by minor version only (2.22 for 2.22.x); JsonSerializeAs is one databind 2.22 needs.
        Package annotations = com.fasterxml.jackson.annotation.JsonSerializeAs.class.getPackage();
        assertEquals(versions.get(0).getMajorVersion() + "." + versions.get(0).getMinorVersion(),
                annotations.getImplementationVersion(), "jackson-annotations");
    }

    @Test
    void theServerIsTheConfiguredOneOrEmbeddedPostgres17() throws SQLException {
        int versionNum = PG.jdbi().withHandle(h -> h.createQuery("show server_version_num").mapTo(Integer.class).one());
        String external = System.getenv("PGDOCK_TEST_URL");
        if (external == null) {
            assertEquals(17, versionNum / 10_000, "the embedded server's major version, from " + versionNum);
        } else {
            ConnectionSpec admin = ConnectionSpec.parse(external);
            try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.driverProperties());
                    ResultSet rs = c.createStatement().executeQuery("show server_version_num")) {
                rs.next();
                assertEquals(rs.getInt(1), versionNum, "the server PGDOCK_TEST_URL names");
            }
        }
    }
}
