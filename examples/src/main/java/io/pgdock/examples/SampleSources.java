package io.pgdock.examples;

import io.pgdock.core.ConnectionSpec;
import java.io.PrintStream;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;

/**
 * The example's sample data: two "source" databases of card transactions, one per region, read by a read-only login
 * role, and the merchant look-up in the main storage.
 *
 * <p>For a runtime role {@code r} it makes databases {@code r_eu} and {@code r_us} on the admin's server, each with
 * schema {@code cards} and table {@code card_transactions} ({@value #ROWS_PER_SOURCE} rows, generated on the server
 * with {@code generate_series}), and the login role {@code r_reader}, which may only connect and select (its sessions
 * are read-only by default). Everything is idempotent: a second run keeps what is there and only sets the reader's new
 * password. {@link #drop()} removes it all.
 *
 * <p>The data is a function of the row id, so tests can check it: transaction {@code g} of a region has merchant
 * {@link #merchantOf(long) merchantOf(g)}, amount {@code 1 + ((37 g) mod 50000) / 100}, card
 * {@code lpad((31 g) mod 10000, 4)}, and happened {@code 13 g} seconds after 2026-11-01T00:00Z. Merchants are
 * {@code 1} to {@value #MERCHANTS}; those divisible by 100 are left out of the look-up, so some transactions find no
 * merchant.
 *
 * <p>Needs an admin that may create databases and roles (a superuser, or a role with CREATEDB and CREATEROLE).
 * Immutable and thread-safe; not meant to run concurrently with itself for one role.
 */
public final class SampleSources {
    /** The regions, which are also the sources' names. */
    public static final List<String> REGIONS = List.of("eu", "us");
    /** The card transactions in each source. */
    public static final int ROWS_PER_SOURCE = 100_000;
    /** The highest merchant id a transaction refers to. */
    public static final int MERCHANTS = 500;
    /** The schema of the sources' table. */
    public static final String SOURCE_SCHEMA = "cards";
    /** The longest runtime role name: {@link #readerRole()} adds 7 bytes and PostgreSQL names hold 63. */
    public static final int MAX_ROLE_LENGTH = 63 - "_reader".length();

    private static final Pattern SIMPLE_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    private final ConnectionSpec admin;
    private final String role;

    private SampleSources(ConnectionSpec admin, String role) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.role = checkRole(role);
    }

    /**
     * The sample sources of one runtime role.
     *
     * @param admin an admin connection to the server (any database on it)
     * @param role the runtime role; the databases and the reader role are named after it (see
     *     {@link #checkRole(String)})
     * @return the sources
     * @throws IllegalArgumentException if {@code role} is not a simple identifier short enough for the names made of it
     */
    public static SampleSources forRole(ConnectionSpec admin, String role) {
        return new SampleSources(admin, role);
    }

    /**
     * Checks a runtime role name before anything is named after it: a simple lower-case identifier
     * ({@code [a-z_][a-z0-9_]*}, so it means the same quoted or not), not starting with {@code pg_} (reserved by
     * PostgreSQL), and at most {@value #MAX_ROLE_LENGTH} bytes, so that {@code <role>_reader} fits PostgreSQL's 63-byte
     * names (the server would silently cut a longer one at CREATE, and the example would fail later, leaving a database
     * behind).
     *
     * @param role the runtime role
     * @return {@code role}
     * @throws IllegalArgumentException if it is not such a name; the message shows it
     */
    public static String checkRole(String role) {
        Objects.requireNonNull(role, "role");
        if (!SIMPLE_IDENTIFIER.matcher(role).matches()) {
            throw new IllegalArgumentException("role: expected a simple lower-case identifier ([a-z_][a-z0-9_]*), "
                    + "but was \"" + role + "\"");
        }
        if (role.startsWith("pg_")) {
            throw new IllegalArgumentException("role: names starting with pg_ are reserved by PostgreSQL, but was \""
                    + role + "\"");
        }
        if (role.length() > MAX_ROLE_LENGTH) {
            throw new IllegalArgumentException("role: expected at most " + MAX_ROLE_LENGTH + " characters, so that \""
                    + role + "_reader\" fits PostgreSQL's 63-byte names, but was \"" + role + "\" ("
                    + role.length() + " characters)");
        }
        return role;
    }

    /**
     * @param region one of {@link #REGIONS}
     * @return the name of that region's database
     */
    public String databaseName(String region) {
        return role + "_" + region;
    }

    /** @return the name of the read-only login role */
    public String readerRole() {
        return role + "_reader";
    }

    /**
     * How the pipeline connects to a region's database, without a password (that goes into the config store as a
     * secret).
     *
     * @param region one of {@link #REGIONS}
     * @return the reader's connection settings
     */
    public ConnectionSpec readerSpec(String region) {
        return admin.toBuilder().database(databaseName(region)).user(readerRole()).password(null)
                .schema(SOURCE_SCHEMA).applicationName("pgdock-example").build();
    }

    /**
     * Creates what is missing: the reader role (setting its password), each region's database, schema, table and rows.
     *
     * @param readerPassword the reader's password, set as a SCRAM verifier computed here (never sent as text)
     * @param out where to say what was done
     */
    public void create(String readerPassword, PrintStream out) {
        Objects.requireNonNull(readerPassword, "readerPassword");
        boolean roleCreated = adminJdbi(admin.database()).withHandle(h -> {
            boolean missing = h.createQuery("select count(*) = 0 from pg_roles where rolname = :r")
                    .bind("r", readerRole()).mapTo(Boolean.class).one();
            if (missing) {
                h.execute("CREATE ROLE " + quote(readerRole()) + " LOGIN");
            }
            h.execute("ALTER ROLE " + quote(readerRole()) + " SET default_transaction_read_only = on");
            setPassword(h, readerRole(), readerPassword);
            return missing;
        });
        out.println("  role " + readerRole() + ": " + (roleCreated ? "created" : "already there")
                + "; login, read-only, new password set (stored in the config store as a secret)");
        for (String region : REGIONS) {
            String database = databaseName(region);
            boolean created = adminJdbi(admin.database()).withHandle(h -> {
                if (h.createQuery("select count(*) from pg_database where datname = :d").bind("d", database)
                        .mapTo(Integer.class).one() > 0) {
                    return false;
                }
                h.execute("CREATE DATABASE " + quote(database));
                return true;
            });
            long rows = adminJdbi(database).inTransaction(h -> {
                h.execute("CREATE SCHEMA IF NOT EXISTS " + SOURCE_SCHEMA);
                h.execute("SET LOCAL search_path = " + SOURCE_SCHEMA);
                long filled = fill(h, region, ROWS_PER_SOURCE);
                h.execute("GRANT CONNECT ON DATABASE " + quote(database) + " TO " + quote(readerRole()));
                h.execute("GRANT USAGE ON SCHEMA " + SOURCE_SCHEMA + " TO " + quote(readerRole()));
                h.execute("GRANT SELECT ON ALL TABLES IN SCHEMA " + SOURCE_SCHEMA + " TO " + quote(readerRole()));
                return filled;
            });
            out.printf("  database %s: %s, %,d card transactions in %s.card_transactions%s%n", database,
                    created ? "created" : "already there", ROWS_PER_SOURCE, SOURCE_SCHEMA,
                    rows > 0 ? " (generated now)" : "");
        }
    }

    /**
     * Drops the regions' databases (ending their sessions) and the reader role, if they exist.
     */
    public void drop() {
        adminJdbi(admin.database()).useHandle(h -> {
            for (String region : REGIONS) {
                h.execute("DROP DATABASE IF EXISTS " + quote(databaseName(region)) + " WITH (FORCE)");
            }
            h.execute("DROP ROLE IF EXISTS " + quote(readerRole()));
        });
    }

    /**
     * Makes table {@code card_transactions} in the handle's current schema hold exactly the region's first
     * {@code rows} transactions: creates it if missing, and regenerates it if it holds another number of rows.
     * Tests use it to fill their own databases.
     *
     * @param h a handle on the source database
     * @param region the region, which sets the currency
     * @param rows how many transactions
     * @return the rows generated now; 0 if the table already held {@code rows} rows
     */
    public static long fill(Handle h, String region, int rows) {
        h.execute("CREATE TABLE IF NOT EXISTS card_transactions ("
                + "id bigint PRIMARY KEY, card_last4 text NOT NULL, merchant_id integer NOT NULL, "
                + "amount numeric(12, 2) NOT NULL, currency text NOT NULL, occurred_at timestamptz NOT NULL)");
        if (h.createQuery("select count(*) from card_transactions").mapTo(Long.class).one() == rows) {
            return 0;
        }
        h.execute("TRUNCATE card_transactions");
        return h.createUpdate("INSERT INTO card_transactions "
                        + "SELECT g, lpad(((31 * g) % 10000)::text, 4, '0'), 1 + (7919 * g) % " + MERCHANTS + ", "
                        + "1 + ((37 * g) % 50000) / 100.0, :currency, "
                        + "timestamptz '2026-11-01 00:00:00+00' + g * interval '13 seconds' "
                        + "FROM generate_series(1, :rows) AS g")
                .bind("currency", "us".equals(region) ? "USD" : "EUR").bind("rows", rows).execute();
    }

    /**
     * The merchant of transaction {@code id}, as {@link #fill} generates it.
     *
     * @param id the transaction's id
     * @return the merchant id, 1 to {@value #MERCHANTS}
     */
    public static int merchantOf(long id) {
        return (int) (1 + (7919 * id) % MERCHANTS);
    }

    /**
     * Replaces the merchant look-up in the storage schema: merchants 1 to {@value #MERCHANTS} except those divisible
     * by 100, named {@code Merchant <id>}, in one of five categories and four countries by id.
     *
     * @param storage the storage's Jdbi
     * @return the merchants in the look-up
     */
    public static int seedMerchants(Jdbi storage) {
        return storage.inTransaction(h -> {
            h.execute("DELETE FROM merchant");
            return h.execute("INSERT INTO merchant (merchant_id, name, category, country) "
                    + "SELECT m, 'Merchant ' || m, "
                    + "(ARRAY['grocery', 'fuel', 'travel', 'restaurants', 'electronics'])[1 + m % 5], "
                    + "(ARRAY['DE', 'FR', 'US', 'CA'])[1 + m % 4] "
                    + "FROM generate_series(1, " + MERCHANTS + ") AS m WHERE m % 100 <> 0");
        });
    }

    private Jdbi adminJdbi(String database) {
        ConnectionSpec spec = admin.toBuilder().database(database).schema(null).build();
        return Jdbi.create(spec.jdbcUrl(), spec.driverProperties());
    }

    private static void setPassword(Handle h, String role, String password) {
        try {
            h.getConnection().unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(),
                    "scram-sha-256");
        } catch (SQLException e) {
            // The message names the role, never the password.
            throw new IllegalStateException("could not set the password of role " + role + ": " + e.getMessage(), e);
        }
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
