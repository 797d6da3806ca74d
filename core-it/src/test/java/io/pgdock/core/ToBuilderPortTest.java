package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.testing.PgdockExtension;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code spec.toBuilder().port(n)} on a real server: it moves the connection, or is refused; never ignored. */
class ToBuilderPortTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** A port nothing listens on: bound, then released. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aPortSetOnTheDerivedBuilderIsWhereStorageConnects() throws IOException {
        ConnectionSpec server = PG.spec();
        ConnectionSpec elsewhere = ConnectionSpec.builder().host(server.host()).port(closedPort())
                .database(server.database()).user(server.user()).password(server.password().orElse(null))
                .schema("moved").build();

        ConnectionSpec moved = elsewhere.toBuilder().port(server.port()).build();

        assertThat(moved.port()).isEqualTo(server.port());
        try (Storage storage = Storage.open(moved, StorageOptions.builder().createSchema(true)
                .discoverMigrations(false).build())) {
            int port = storage.jdbi().withHandle(h -> h.createQuery("select current_setting('port')::int")
                    .mapTo(Integer.class).one());
            assertThat(port).as("the server's own port setting").isEqualTo(server.port());
        }
    }

    @Test
    void aPortNoHostTakesIsRefusedBeforeAnythingConnects() throws IOException {
        ConnectionSpec own = ConnectionSpec.parse("postgresql://" + PG.spec().user() + "@" + PG.spec().host() + ":"
                + PG.spec().port() + "/" + PG.spec().database() + "?currentSchema=refused");
        int other = closedPort();

        assertThatThrownBy(() -> Storage.open(own.toBuilder().port(other).build()))
                .isInstanceOf(InvalidConnectionSpecException.class)
                .hasMessageStartingWith("port: port(" + other + ") would apply to no host, since every host has a port"
                        + " of its own (" + PG.spec().host() + ":" + PG.spec().port() + ")");
    }
}
