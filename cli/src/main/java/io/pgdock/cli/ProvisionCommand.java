package io.pgdock.cli;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Provisioning;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgdock provision}: the runtime role and schema of the connection (its user and schema), printed as SQL for a
 * DBA or applied through an admin connection. The runtime password is set as a SCRAM verifier and never printed. With
 * {@code --owner-url} (or {@code PGDOCK_OWNER_URL}) it sets up two roles: that URL's user owns the schema and runs
 * the migrations ({@code pgdock migrate --url <owner URL>}), the connection's user gets DML only.
 */
@Command(name = "provision", description = {"Create the connection's role (its user) and schema, least privilege.",
        "--print-sql prints the SQL and connects nowhere; otherwise it is applied as --admin-url (or PGDOCK_ADMIN_URL).",
        "--owner-url (or PGDOCK_OWNER_URL) adds an owner role that owns the schema and runs migrations; the connection's",
        "role then has DML only (recommended; see the README, two roles)."})
final class ProvisionCommand extends CliCommand {

    /** The variable an admin URL is read from when --admin-url is not given. */
    static final String ADMIN_URL_VARIABLE = "PGDOCK_ADMIN_URL";

    /** The variable an owner URL is read from when --owner-url is not given. */
    static final String OWNER_URL_VARIABLE = "PGDOCK_OWNER_URL";

    @Option(names = "--print-sql", description = "Print the SQL for a DBA; change nothing.")
    boolean printSql;

    @Option(names = "--admin-url", paramLabel = "URL",
            description = "A superuser's or the database owner's URL; default: PGDOCK_ADMIN_URL.")
    @Nullable String adminUrl;

    @Option(names = "--owner-url", paramLabel = "URL",
            description = "The owner role's URL (its user owns the schema); default: PGDOCK_OWNER_URL; none: one role.")
    @Nullable String ownerUrl;

    @Option(names = "--json", description = "Print one JSON document (see cli/README.md).")
    boolean json;

    @Override
    int run(Cli cli) {
        Provisioning plan = Provisioning.forRuntime(connection(cli));
        String owner = ownerUrl != null ? ownerUrl : cli.env.get(OWNER_URL_VARIABLE);
        if (owner != null) {
            plan = plan.withOwner(ConnectionSpec.parse(owner).withPasswordFile(cli.env));
        }
        if (printSql) {
            if (json) {
                var o = Cli.JSON.createObjectNode().put("role", plan.role()).put("schema", plan.schema());
                if (plan.twoRoles()) {
                    o.put("owner", plan.owner());
                }
                plan.statements().forEach(o.putArray("statements")::add);
                cli.printJson(o);
            } else {
                cli.out.print(plan.script());
            }
            return PgdockCli.OK;
        }
        String url = adminUrl != null ? adminUrl : cli.env.get(ADMIN_URL_VARIABLE);
        if (url == null) {
            throw new UsageException("provision needs an admin connection: --admin-url or " + ADMIN_URL_VARIABLE
                    + " (or --print-sql to print the SQL instead)");
        }
        ConnectionSpec admin = ConnectionSpec.parse(url).withPasswordFile(cli.env);
        if (admin.connectTimeout().isEmpty()) {
            admin = admin.toBuilder().connectTimeout(timeout()).build();
        }
        plan.apply(admin);
        if (json) {
            var o = Cli.JSON.createObjectNode().put("role", plan.role()).put("schema", plan.schema());
            if (plan.twoRoles()) {
                o.put("owner", plan.owner());
            }
            cli.printJson(o.put("applied", true));
        } else if (plan.twoRoles()) {
            cli.out.println("provisioned runtime role \"" + plan.role() + "\" and owner role \"" + plan.owner()
                    + "\" with schema \"" + plan.schema() + "\"; run the migrations as the owner: pgdock migrate --url "
                    + "<the owner's URL>");
        } else {
            cli.out.println("provisioned role \"" + plan.role() + "\" with schema \"" + plan.schema() + "\"");
        }
        return PgdockCli.OK;
    }
}
