package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;

/**
 * Export and import of one {@link ConfigStore} view's scope as a JSON document ({@code "format": "pgdock-config"}), for
 * copying a configuration between deployments, reviewing it, or keeping it in version control. Obtain it with
 * {@link ConfigStore#transfer()}.
 *
 * <pre>{@code
 * JsonNode doc = staging.transfer().export("ingest.");
 * ImportResult plan = prod.transfer().importFrom(doc, ImportOptions.builder().dryRun(true).build());
 * }</pre>
 *
 * <p>Implementations are thread-safe.
 */
public interface ConfigTransfer {
    /**
     * Exports the keys of this view's scope under {@code prefix} as a JSON document; see
     * {@link #export(ExportOptions)}.
     *
     * @param prefix the key prefix; {@code ""} for the whole scope
     * @return the document
     */
    default JsonNode export(String prefix) {
        return export(ExportOptions.builder().prefix(prefix).build());
    }

    /**
     * Exports the entries stored in this view's scope itself (not those it inherits from parent scopes) as one
     * consistent snapshot, so that importing the document into a scope recreates exactly that layer:
     * <pre>{@code
     * {"format": "pgdock-config", "version": 1, "scope": "prod", "prefix": "", "exportedAt": "2026-11-22T03:00:00Z",
     *  "entries": [{"key": "ingest.batch_size", "value": 5000, "version": 3,
     *               "updatedAt": "2026-11-21T10:00:00.123456Z", "updatedBy": "ops"}, ...]}
     * }</pre>
     * Entries are in key order. Secrets are exported as stored, encrypted, unless the options leave them out (then
     * their keys are listed in {@code "secretsLeftOut"}).
     *
     * @param options what to export
     * @return the document
     */
    JsonNode export(ExportOptions options);

    /**
     * Writes {@link #export(ExportOptions)}'s document to {@code out} as indented JSON text. {@code out} is flushed,
     * not closed.
     *
     * @param options what to export
     * @param out where to write
     * @throws IOException if writing fails
     */
    void export(ExportOptions options, Writer out) throws IOException;

    /**
     * Imports a document made by {@link #export} into this view's scope (whatever scope it was exported from), in one
     * transaction: on any error nothing is applied. The whole document is checked first (format, version, keys,
     * values as {@link ConfigStore#put} checks them, no key twice) and every problem is reported at once, naming the
     * entry. Keys that do not exist are added; keys that exist with the same value are left alone; keys that exist with
     * another value are handled as {@link ImportOptions#onConflict()} says. The versions, times and authors in the
     * document are not imported: each write is a new version by this view's actor, with this view's reason or
     * {@code "import"}.
     *
     * @param document the document
     * @param options the conflict mode and whether to only try
     * @return what was done (or in a dry run would be), with {@link ImportResult#diff()}
     * @throws InvalidConfigException naming the entries, if the document is not valid or a merged value is refused
     * @throws ConfigImportConflictException in conflict mode FAIL, if keys exist with other values (not in a dry run)
     */
    ImportResult importFrom(JsonNode document, ImportOptions options);

    /**
     * {@link #importFrom(JsonNode, ImportOptions)} reading the document as JSON text, strictly. {@code in} is not
     * closed.
     *
     * @param in the document's text
     * @param options the conflict mode and whether to only try
     * @return what was done
     * @throws IOException if reading fails
     * @throws InvalidConfigException if the text is not JSON (with line and column) or the document is not valid
     */
    ImportResult importFrom(Reader in, ImportOptions options) throws IOException;
}
