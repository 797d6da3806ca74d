package io.pgdock.cli;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Provisioning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgdock provision}: the runtime role and schema of the connection (its user and schema), printed as SQL for a
 * DBA or applied through an admin connection. The runtime password is set as a SCRAM verifier and never printed.
 */
@Command(name = "provision", description = {"Create the connection's role (its user) and schema, least privilege.",
        "--print-sql prints the SQL and connects nowhere; otherwise it is applied as --admin-url (or PGDOCK_ADMIN_URL)."})
final class ProvisionCommand extends CliCommand {

    /** The variable an admin URL is read from when --admin-url is not given. */
    static final String ADMIN_URL_VARIABLE = "PGDOCK_ADMIN_URL";

    @Option(names = "--print-sql", description = "Print the SQL for a DBA; change nothing.")
    boolean printSql;

    @Option(names = "--admin-url", paramLabel = "URL",
            description = "A superuser's or the database owner's URL; default: PGDOCK_ADMIN_URL.")
    String adminUrl;

    @Option(names = "--json", description = "Print one JSON document (see cli/README.md).")
    boolean json;

    @Override
    int run(Cli cli) {
        Provisioning plan = Provisioning.forRuntime(connection(cli));
        if (printSql) {
            if (json) {
                var o = Cli.JSON.createObjectNode().put("role", plan.role()).put("schema", plan.schema());
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
            cli.printJson(Cli.JSON.createObjectNode().put("role", plan.role()).put("schema", plan.schema())
                    .put("applied", true));
        } else {
            cli.out.println("provisioned role \"" + plan.role() + "\" with schema \"" + plan.schema() + "\"");
        }
        return PgdockCli.OK;
    }
}
