package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.EnvironmentNames;
import io.pgdock.core.internal.Shown;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a target name into a {@link ConnectionSpec}, for {@link DataSourceFactory#get(String)}. One abstract method, so a
 * lambda or method reference will do. {@link io.pgdock.datasource.registry.ConnectionRegistry} is the one backed by the
 * configuration store (named connections, their passwords as secrets, overridable from the environment).
 *
 * <p>A resolver answers {@link Optional#empty()} for a name it does not know; the factory then throws
 * {@link UnknownTargetException}. A resolver that finds a target but cannot read its settings throws
 * (for example {@link io.pgdock.core.InvalidConnectionSpecException} naming the variable).
 *
 * <p>Target names are 1 to 100 characters: ASCII letters, digits, {@code _}, {@code -} and {@code .}, starting with a
 * letter or digit. The factory checks every name with {@link #checkName(String)} before it asks a resolver.
 *
 * <p>Implementations must be thread-safe; the factory may call them from many threads at once, and calls them on every
 * {@code get(name)} (so a changed password is picked up the next time a name is asked for).
 */
@FunctionalInterface
public interface TargetResolver {

    /**
     * Looks a name up.
     *
     * @param name a valid target name
     * @return the target's spec, or empty when this resolver does not know the name
     */
    Optional<ConnectionSpec> resolve(String name);

    /**
     * This resolver, then {@code next} for names this one does not know.
     *
     * @param next the resolver to ask second
     * @return a resolver that asks both, in order
     */
    default TargetResolver orElse(TargetResolver next) {
        Objects.requireNonNull(next, "next");
        return name -> {
            Optional<ConnectionSpec> found = resolve(name);
            return found.isPresent() ? found : next.resolve(name);
        };
    }

    /**
     * A resolver that knows no name.
     *
     * @return the empty resolver
     */
    static TargetResolver none() {
        return name -> Optional.empty();
    }

    /**
     * A resolver over a fixed map, copied.
     *
     * @param targets specs by name
     * @return the resolver
     * @throws IllegalArgumentException if a name is not a valid target name
     * @throws NullPointerException if the map, a name or a spec is null
     */
    static TargetResolver of(Map<String, ConnectionSpec> targets) {
        Objects.requireNonNull(targets, "targets");
        Map<String, ConnectionSpec> copy = new LinkedHashMap<>();
        targets.forEach((name, spec) -> copy.put(checkName(name), Objects.requireNonNull(spec, "spec of " + name)));
        Map<String, ConnectionSpec> frozen = Map.copyOf(copy);
        return name -> Optional.ofNullable(frozen.get(name));
    }

    /**
     * A resolver over environment variables: target {@code warehouse} is read from {@code PGDOCK_TARGET_WAREHOUSE_URL}, or
     * from {@code PGDOCK_TARGET_WAREHOUSE_HOST}, {@code _PORT}, {@code _DATABASE}, {@code _USER}, {@code _PASSWORD},
     * {@code _SCHEMA} and {@code _SSLMODE} (the URL first, the others filling what it leaves out, as
     * {@link ConnectionSpec#fromEnvironment(Map, EnvironmentNames)} reads them). The variable part is the name in upper
     * case with {@code -} and {@code .} turned into {@code _}. A name with none of those variables set is unknown; one with
     * some set but not enough fails with an error naming the missing variable.
     *
     * <p>The map is read on every lookup and not copied, so pass {@code System.getenv()} (or a test's map) from the top of
     * the program.
     *
     * @param env the environment, usually {@code System.getenv()}
     * @return the resolver
     */
    static TargetResolver environment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        return name -> {
            EnvironmentNames names = EnvironmentNames.prefixed(environmentPrefix(name));
            boolean any = names.all().stream().anyMatch(env::containsKey);
            return any ? Optional.of(ConnectionSpec.fromEnvironment(env, names)) : Optional.empty();
        };
    }

    /**
     * The prefix of the environment variables that {@link #environment(Map)} reads for a target.
     *
     * @param name a target name
     * @return for example {@code PGDOCK_TARGET_WAREHOUSE_} for {@code warehouse}
     * @throws IllegalArgumentException if the name is not valid
     */
    static String environmentPrefix(String name) {
        return "PGDOCK_TARGET_" + checkName(name).toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_') + "_";
    }

    /**
     * Checks a target name.
     *
     * @param name the name
     * @return the name, unchanged
     * @throws IllegalArgumentException naming the bad value when it is not a valid target name
     * @throws NullPointerException if it is null
     */
    static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (!Validation.TARGET_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("target name " + Shown.show(name) + " is not valid: use 1 to 100 ASCII "
                    + "letters, digits, '_', '-' or '.', starting with a letter or digit");
        }
        return name;
    }
}
