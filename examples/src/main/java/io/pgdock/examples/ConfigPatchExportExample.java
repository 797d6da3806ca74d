package io.pgdock.examples;

import io.pgdock.config.ConfigStore;
import io.pgdock.config.ExportOptions;
import io.pgdock.config.ImportOptions;
import io.pgdock.config.ImportOptions.ConflictMode;
import io.pgdock.config.ImportResult;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Map;

/**
 * The partial-update and backup examples of {@code jsonb-config/README.md}, compiled by the build and run by
 * {@code ConfigPatchExportExampleTest}; {@code ReadmeTest} checks that the README shows exactly the lines between the
 * markers.
 */
public final class ConfigPatchExportExample {
    private ConfigPatchExportExample() {
    }

    /**
     * Writes a value, patches one member of it and reads that member back by JSON Pointer.
     *
     * @param configs the store
     * @return the pool's maximum after the patch: 20
     */
    public static int patchAndRead(ConfigStore configs) {
        // config-patch-example: begin
        configs.put("db.settings", Map.of("pool", Map.of("max", 10, "min", 2), "timeoutMs", 5000));
        configs.parts().patch("db.settings", Map.of("pool", Map.of("max", 20)));  // "min" and "timeoutMs" stay
        configs.parts().patchJson("db.settings", "{\"timeoutMs\": null}");        // null removes a member
        int max = configs.parts().get("db.settings", "/pool/max", Integer.class).orElse(10);   // 20
        // config-patch-example: end
        return max;
    }

    /**
     * Exports the {@code db.} keys of the root scope, previews importing them into scope {@code staging}, then
     * imports them there.
     *
     * @param configs the store
     * @return the preview's diff
     * @throws IOException if writing or reading the document fails
     */
    public static String backupAndRestore(ConfigStore configs) throws IOException {
        // config-export-example: begin
        StringWriter backup = new StringWriter();
        configs.transfer().export(ExportOptions.builder().prefix("db.").build(), backup);   // secrets stay encrypted

        ConfigStore staging = configs.inScope("staging");
        ImportResult preview = staging.transfer().importFrom(new StringReader(backup.toString()),
                ImportOptions.builder().onConflict(ConflictMode.MERGE).dryRun().build());
        System.out.print(preview.diff());   // added     "db.settings" = {"pool":{"max":20,"min":2}}
        staging.transfer().importFrom(new StringReader(backup.toString()),
                ImportOptions.builder().onConflict(ConflictMode.MERGE).build());   // one transaction: all or none
        // config-export-example: end
        return preview.diff();
    }
}
