package io.pgdock.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ordered migrations of one module (for example {@code "config"} for the JSONB configuration store). Each module's
 * versions are tracked separately in the storage schema's {@code pgdock_schema_history} table.
 *
 * <p>Modules usually ship their SQL as classpath resources named {@code V<version>__<description>.sql} and build the set
 * with {@link #fromResources(String, Class, String...)}. Immutable and thread-safe.
 *
 * @param module the module name: lower-case letters, digits and {@code _ -}, at most 63 characters
 * @param migrations the migrations, in strictly ascending version order
 */
public record MigrationSet(String module, List<Migration> migrations) {
    private static final Pattern MODULE = Pattern.compile("[a-z0-9_-]{1,63}");
    private static final Pattern FILE = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");

    /**
     * Validates the name and the order.
     *
     * @param module the module name: lower-case letters, digits and {@code _ -}, at most 63 characters
     * @param migrations the migrations, in strictly ascending version order
     * @throws IllegalArgumentException if the module name is not allowed, or versions are not strictly ascending
     */
    public MigrationSet {
        Objects.requireNonNull(module, "module");
        if (!MODULE.matcher(module).matches()) {
            throw new IllegalArgumentException("module: must be 1-63 of a-z 0-9 _ -, but was " + Values.show(module));
        }
        migrations = List.copyOf(Objects.requireNonNull(migrations, "migrations"));
        for (int i = 1; i < migrations.size(); i++) {
            if (migrations.get(i).version() <= migrations.get(i - 1).version()) {
                throw new IllegalArgumentException("migrations of module " + module + " must have strictly ascending "
                        + "versions, but " + migrations.get(i) + " follows " + migrations.get(i - 1));
            }
        }
    }

    /**
     * A set from SQL resources named {@code V<version>__<description>.sql} (underscores in the description become
     * spaces), for example {@code V1__create_config_tables.sql}. The resources are sorted by version.
     *
     * @param module the module name
     * @param anchor a class whose class loader and package resolve the resource names
     * @param resources resource names, relative to {@code anchor}'s package or absolute (starting with {@code /})
     * @return the set
     * @throws IllegalArgumentException if a name does not follow the pattern or a resource is missing
     */
    public static MigrationSet fromResources(String module, Class<?> anchor, String... resources) {
        Objects.requireNonNull(anchor, "anchor");
        List<Migration> list = new ArrayList<>(resources.length);
        for (String resource : resources) {
            String fileName = resource.substring(resource.lastIndexOf('/') + 1);
            Matcher m = FILE.matcher(fileName);
            if (!m.matches()) {
                throw new IllegalArgumentException("resource: must be named V<version>__<description>.sql, but was "
                        + Values.show(resource));
            }
            try (InputStream in = anchor.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalArgumentException("resource: not found next to " + anchor.getName() + ": "
                            + Values.show(resource));
                }
                String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                list.add(new Migration(Integer.parseInt(m.group(1)), m.group(2).replace('_', ' '), sql));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read migration resource " + resource, e);
            }
        }
        list.sort(Comparator.comparingInt(Migration::version));
        return new MigrationSet(module, list);
    }

    /**
     * The highest version this set knows.
     *
     * @return the latest version, or 0 for an empty set
     */
    public int latestVersion() {
        return migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version();
    }
}
