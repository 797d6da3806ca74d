package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigStore;
import org.junit.jupiter.api.Test;

/** Runs the examples of {@code jsonb-config/README.md} on the in-memory store. */
class ConfigPatchExportExampleTest {
    @Test
    void thePatchExampleKeepsTheOtherMembers() {
        ConfigStore configs = ConfigStore.inMemory();

        assertThat(ConfigPatchExportExample.patchAndRead(configs)).isEqualTo(20);
        assertThat(configs.get("db.settings").orElseThrow()).hasToString("{\"pool\":{\"max\":20,\"min\":2}}");
    }

    @Test
    void theBackupExamplePreviewsThenImportsIntoStaging() throws Exception {
        ConfigStore configs = ConfigStore.inMemory();
        ConfigPatchExportExample.patchAndRead(configs);

        String diff = ConfigPatchExportExample.backupAndRestore(configs);

        assertThat(diff).isEqualTo("added     \"db.settings\" = {\"pool\":{\"max\":20,\"min\":2}}\n");
        assertThat(configs.inScope("staging").entry("db.settings").orElseThrow().scope()).isEqualTo("staging");
    }
}
