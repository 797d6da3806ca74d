package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that gives each test class a fresh database of its own on a real PostgreSQL, the one
 * {@link TestPostgres} server of the JVM (an external server named by {@value TestPostgres#URL_VARIABLE}, or an
 * embedded PostgreSQL 17). Classes never see each other's data, so they can run in parallel and against a shared server.
 *
 * <p>Register it on a static field, and use the getters or parameters:
 * <pre>{@code
 * class RunsTableTest {
 *     @RegisterExtension
 *     static final PgdockExtension pg = PgdockExtension.create()
 *             .withInitializer(db -> db.jdbi().useHandle(h -> h.execute("create table runs (name text)")));
 *
 *     @Test
 *     void recordsARun(Jdbi jdbi) {
 *         jdbi.useHandle(h -> h.execute("insert into runs values ('nightly')"));
 *         ...
 *     }
 * }
 * }</pre>
 * or declaratively, with parameters only: {@code @ExtendWith(PgdockExtension.class)}.
 *
 * <p><b>Scope.</b> Registered on a class (a static field or {@code @ExtendWith}), the database is created before the
 * class's first test ({@code BeforeAll}) and dropped after its last ({@code AfterAll}); {@code @Nested} classes share
 * their enclosing class's database. Registered on an instance field, each test method gets its own database. Tables,
 * data and roles therefore persist from one test method of a class to the next: tests that need a clean slate clean up
 * after themselves, or create their objects in a schema of their own.
 *
 * <p><b>Parameters.</b> Test constructors, test methods and lifecycle methods can declare parameters of type
 * {@link ConnectionSpec}, {@link DataSource} and {@link Jdbi} (all three connect as the database's owner role, not a
 * superuser) and {@link TestDatabase} (which also gives admin access).
 *
 * <p><b>Thread safety.</b> Thread-safe. State lives in JUnit's extension context, so one instance may serve test classes
 * that run in parallel; only the getters ({@link #database()} and the methods built on it) then cannot tell which
 * class's database is meant and throw; use parameters there. Instances are immutable configurations:
 * {@link #withInitializer(Consumer)} returns a new one.
 */
public final class PgdockExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PgdockExtension.class);
    private static final Set<Class<?>> PARAMETER_TYPES =
            Set.of(ConnectionSpec.class, DataSource.class, Jdbi.class, TestDatabase.class);

    private final List<Consumer<? super TestDatabase>> initializers;
    /** The key of this instance's database in the extension context store (extensions are compared by identity). */
    private final Object storeKey = new Object();
    /** The databases this instance made and has not yet dropped, by the unique id of the context that owns each. */
    private final Map<String, TestDatabase> active = new ConcurrentHashMap<>();

    /**
     * An extension with no initializers, for {@code @ExtendWith(PgdockExtension.class)}; in code, prefer
     * {@link #create()}.
     */
    public PgdockExtension() {
        this(List.of());
    }

    private PgdockExtension(List<Consumer<? super TestDatabase>> initializers) {
        this.initializers = List.copyOf(initializers);
    }

    /**
     * An extension with no initializers.
     *
     * @return a new extension
     */
    public static PgdockExtension create() {
        return new PgdockExtension();
    }

    /**
     * A copy of this extension that also runs {@code initializer} on each new database, after the initializers already
     * added and before any test or {@code @BeforeAll} method sees it; for example, to create tables. If an initializer
     * throws, the database is dropped and the class's tests fail with that exception.
     *
     * @param initializer receives the new database
     * @return a new extension; this one is unchanged
     */
    public PgdockExtension withInitializer(Consumer<? super TestDatabase> initializer) {
        Objects.requireNonNull(initializer, "initializer");
        List<Consumer<? super TestDatabase>> all = new ArrayList<>(initializers);
        all.add(initializer);
        return new PgdockExtension(all);
    }

    /**
     * The database of the test class that is running now.
     *
     * @return the current database
     * @throws IllegalStateException if no test class using this extension is running (for example when called from a
     *     static initializer), or several are running at once
     */
    public TestDatabase database() {
        List<TestDatabase> current = List.copyOf(active.values());
        if (current.size() == 1) {
            return current.get(0);
        }
        if (current.isEmpty()) {
            throw new IllegalStateException("PgdockExtension has no database now: its getters work from tests and"
                    + " lifecycle methods (@BeforeAll, @BeforeEach, ...) of a class that registers it, not before or after");
        }
        throw new IllegalStateException("PgdockExtension serves " + current.size() + " test classes at once (parallel"
                + " execution, or a static field that several classes inherit), so its getters cannot tell which database"
                + " is meant; declare a ConnectionSpec, DataSource, Jdbi or TestDatabase parameter instead");
    }

    /**
     * The current database's name, which is also its owner role's name.
     *
     * @return the name
     * @throws IllegalStateException as {@link #database()}
     */
    public String databaseName() {
        return database().name();
    }

    /**
     * How to connect to the current database as its owner role (not a superuser).
     *
     * @return the owner's connection settings
     * @throws IllegalStateException as {@link #database()}
     */
    public ConnectionSpec spec() {
        return database().spec();
    }

    /**
     * An unpooled data source on the current database, as its owner role.
     *
     * @return the owner's data source
     * @throws IllegalStateException as {@link #database()}
     */
    public DataSource dataSource() {
        return database().dataSource();
    }

    /**
     * A Jdbi on the current database, as its owner role, with the PostgreSQL plugin installed.
     *
     * @return the owner's Jdbi
     * @throws IllegalStateException as {@link #database()}
     */
    public Jdbi jdbi() {
        return database().jdbi();
    }

    /**
     * How to connect to the current database as the server's admin account.
     *
     * @return the admin connection settings
     * @throws IllegalStateException as {@link #database()}
     * @see TestDatabase#adminSpec()
     */
    public ConnectionSpec adminSpec() {
        return database().adminSpec();
    }

    /**
     * An unpooled data source on the current database, as the server's admin account.
     *
     * @return the admin data source
     * @throws IllegalStateException as {@link #database()}
     */
    public DataSource adminDataSource() {
        return database().adminDataSource();
    }

    /**
     * Creates the class's database, unless an enclosing class's is already there.
     *
     * @param context the class's context
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        databaseFor(context);
    }

    /**
     * Creates a database for the test method when the extension is not registered on the class (an instance field).
     *
     * @param context the method's context
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        databaseFor(context);
    }

    /**
     * Drops the database the method's context created, if any.
     *
     * @param context the method's context
     */
    @Override
    public void afterEach(ExtensionContext context) {
        drop(context);
    }

    /**
     * Drops the class's database, if this class (and not an enclosing one) created it.
     *
     * @param context the class's context
     */
    @Override
    public void afterAll(ExtensionContext context) {
        drop(context);
    }

    /**
     * Whether the parameter is a {@link ConnectionSpec}, {@link DataSource}, {@link Jdbi} or {@link TestDatabase}.
     *
     * @param parameterContext the parameter
     * @param extensionContext the context it is resolved in
     * @return whether this extension resolves it
     */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return PARAMETER_TYPES.contains(parameterContext.getParameter().getType());
    }

    /**
     * The current database, or its owner's spec, data source or Jdbi.
     *
     * @param parameterContext the parameter
     * @param extensionContext the context it is resolved in
     * @return the value
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        // With @TestInstance(PER_CLASS) the constructor is resolved before beforeAll, so this may create the database.
        TestDatabase database = databaseFor(extensionContext);
        Class<?> type = parameterContext.getParameter().getType();
        if (type == ConnectionSpec.class) {
            return database.spec();
        }
        if (type == DataSource.class) {
            return database.dataSource();
        }
        if (type == Jdbi.class) {
            return database.jdbi();
        }
        return database;
    }

    /**
     * The database this context can see (its own or an enclosing context's, since the store looks up parents), created
     * and stored in this context if there is none.
     */
    private TestDatabase databaseFor(ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(storeKey, key -> create(context), Entry.class).get();
    }

    private Entry create(ExtensionContext context) {
        TestDatabase database;
        try {
            database = TestPostgres.get().createDatabase();
        } catch (RuntimeException e) {
            return new Entry(null, e);
        }
        try {
            for (Consumer<? super TestDatabase> initializer : initializers) {
                initializer.accept(database);
            }
        } catch (RuntimeException | Error e) {
            try {
                database.close();
            } catch (RuntimeException dropFailure) {
                e.addSuppressed(dropFailure);
            }
            return new Entry(null, e);
        }
        active.put(context.getUniqueId(), database);
        return new Entry(database, null);
    }

    private void drop(ExtensionContext context) {
        // remove() looks only at this context's own store, so only the context that created the database drops it.
        Entry entry = context.getStore(NAMESPACE).remove(storeKey, Entry.class);
        if (entry != null && entry.database != null) {
            active.remove(context.getUniqueId());
            entry.database.close();
        }
    }

    /**
     * What the store holds for one context: its database, or why it could not be made. A failure is kept as a value
     * rather than thrown from the store's creator, because the store would remember the exception and throw it again from
     * {@code remove} in {@code afterAll}, on top of reporting it once from {@code beforeAll}. AutoCloseable, so that
     * JUnit (5.13+) drops the database when the context ends even if {@code afterAll} is somehow skipped.
     */
    private static final class Entry implements AutoCloseable {
        private final @Nullable TestDatabase database;
        private final @Nullable Throwable failure;

        Entry(@Nullable TestDatabase database, @Nullable Throwable failure) {
            this.database = database;
            this.failure = failure;
        }

        TestDatabase get() {
            if (failure instanceof RuntimeException runtimeException) {
                throw runtimeException;
            }
            if (failure instanceof Error error) {
                throw error;
            }
            // Without a failure, create made the database.
            return Objects.requireNonNull(database, "database");
        }

        @Override
        public void close() {
            if (database != null) {
                database.close();
            }
        }
    }
}
