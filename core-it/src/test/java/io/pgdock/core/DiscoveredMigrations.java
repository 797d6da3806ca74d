package io.pgdock.core;

import java.util.List;

/** A provider registered in META-INF/services of this test module, to prove discovery at open. */
public final class DiscoveredMigrations implements MigrationProvider {
    @Override
    public MigrationSet migrations() {
        return new MigrationSet("discovered", List.of(new Migration(1, "marker",
                "create table discovered_marker (id int); insert into discovered_marker values (1);")));
    }
}
