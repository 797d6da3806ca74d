package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.cli.PgdockCli;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.testing.PgdockExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * pgdock's public API is exactly what its module descriptors export. For each published module this reads the compiled
 * {@code module-info.class} of the module's jar (or classes folder) on the test class path and checks that
 *
 * <ul>
 *   <li>its unqualified exports are the packages listed here, so exporting a package is a change made on purpose, and
 *   <li>no public or protected signature of a public type in an exported package (fields, methods, constructors, thrown
 *       exceptions, superclasses, interfaces, type parameter bounds, with their type arguments) names a pgdock type that
 *       is not API: one in a package no module exports to everyone (such as {@code io.pgdock.config.store} or
 *       {@code io.pgdock.core.internal}), or one that is not public.
 * </ul>
 *
 * Here, not in the modules themselves, because this suite already depends on all five published modules as a user's
 * build does (their jars, not their sources), and it is published nowhere.
 */
class ApiBoundaryTest {
    /** Module name, a class of it (to find its jar), and the packages it exports to everyone. */
    private static final List<Published> PUBLISHED = List.of(
            new Published("io.pgdock.core", Storage.class, Set.of("io.pgdock.core", "io.pgdock.core.copy")),
            new Published("io.pgdock.config", ConfigStore.class, Set.of("io.pgdock.config")),
            new Published("io.pgdock.datasource", DataSourceFactory.class,
                    Set.of("io.pgdock.datasource", "io.pgdock.datasource.micrometer",
                            "io.pgdock.datasource.registry")),
            new Published("io.pgdock.testing", PgdockExtension.class, Set.of("io.pgdock.testing")),
            new Published("io.pgdock.cli", PgdockCli.class, Set.of("io.pgdock.cli")));

    private record Published(String module, Class<?> member, Set<String> api) {
    }

    @Test
    void eachModuleExportsExactlyItsApiPackages() {
        for (Published p : PUBLISHED) {
            assertThat(unqualifiedExports(reference(p).descriptor()))
                    .as("the packages module %s exports to everyone (a new one is API: add it here on purpose)",
                            p.module())
                    .containsExactlyInAnyOrderElementsOf(p.api());
        }
    }

    @Test
    void apiSignaturesNameOnlyApiTypes() {
        Set<String> api = new HashSet<>();
        for (Published p : PUBLISHED) {
            api.addAll(unqualifiedExports(reference(p).descriptor()));
        }
        List<String> leaks = new ArrayList<>();
        int types = 0;
        for (Published p : PUBLISHED) {
            for (Class<?> type : apiTypes(reference(p), api)) {
                leaks.addAll(leaks(type, api));
                types++;
            }
        }
        assertThat(types).as("public types in exported packages").isGreaterThan(50);
        assertThat(leaks).as("API signatures naming pgdock types that are not API").isEmpty();
    }

    /** Exercises the check itself: it must see a leak where there is one, and name the member and the type. */
    @Test
    void theCheckNamesTheMemberAndTheType() {
        Set<String> api = Set.of("io.pgdock.reliability");
        assertThat(leaks(Leaky.class, api)).containsExactlyInAnyOrder(
                "io.pgdock.reliability.ApiBoundaryTest$Leaky: method internal() names non-exported type "
                        + "io.pgdock.core.internal.SqlFailures",
                "io.pgdock.reliability.ApiBoundaryTest$Leaky: method byReason(java.util.List) names non-exported type "
                        + "io.pgdock.core.internal.SqlFailures",
                "io.pgdock.reliability.ApiBoundaryTest$Leaky: method hidden() names non-public type "
                        + "io.pgdock.reliability.ApiBoundaryTest$Hidden");
    }

    private static ModuleReference reference(Published p) {
        Path location;
        try {
            location = Path.of(p.member().getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Set<ModuleReference> found = ModuleFinder.of(location).findAll();
        assertThat(found).as("the module at %s", location).hasSize(1);
        ModuleReference ref = found.iterator().next();
        assertThat(ref.descriptor().isAutomatic()).as("%s has a module-info.class", location).isFalse();
        assertThat(ref.descriptor().name()).as("the module at %s", location).isEqualTo(p.module());
        return ref;
    }

    private static Set<String> unqualifiedExports(ModuleDescriptor descriptor) {
        return descriptor.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The public types (nested ones too, when every enclosing type is API) of the module's exported packages. */
    private static List<Class<?>> apiTypes(ModuleReference ref, Set<String> api) {
        List<Class<?>> types = new ArrayList<>();
        try (ModuleReader reader = ref.open(); Stream<String> names = reader.list()) {
            for (String resource : (Iterable<String>) names::iterator) {
                if (!resource.endsWith(".class") || resource.endsWith("module-info.class")
                        || resource.endsWith("package-info.class")) {
                    continue;
                }
                String name = resource.substring(0, resource.length() - ".class".length()).replace('/', '.');
                if (!api.contains(packageOf(name))) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, ApiBoundaryTest.class.getClassLoader());
                if (isApi(type) && !type.isSynthetic() && !type.isAnonymousClass() && !type.isLocalClass()) {
                    types.add(type);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("a class of " + ref.descriptor().name() + " is not on the test class path",
                    e);
        }
        return types;
    }

    /** Public, or protected inside an API type, all the way out. */
    private static boolean isApi(Class<?> type) {
        Class<?> enclosing = type.getDeclaringClass();
        if (enclosing == null) {
            return Modifier.isPublic(type.getModifiers());
        }
        return (Modifier.isPublic(type.getModifiers()) || Modifier.isProtected(type.getModifiers())) && isApi(enclosing);
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    /** What of {@code type}'s own signature names a pgdock type that is not API, one line per member and type. */
    private static List<String> leaks(Class<?> type, Set<String> api) {
        Map<String, Set<String>> found = new LinkedHashMap<>();
        String self = type.getName();
        scan(found, self + ": type parameters", api, type.getTypeParameters());
        if (type.getGenericSuperclass() != null) {
            scan(found, self + ": superclass", api, type.getGenericSuperclass());
        }
        scan(found, self + ": interfaces", api, type.getGenericInterfaces());
        for (Field f : type.getDeclaredFields()) {
            if (visible(f)) {
                scan(found, self + ": field " + f.getName(), api, f.getGenericType());
            }
        }
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (visible(c)) {
                scanExecutable(found, self + ": constructor " + signature(c), api, c);
            }
        }
        for (Method m : type.getDeclaredMethods()) {
            if (visible(m) && !m.isBridge()) {
                scanExecutable(found, self + ": method " + signature(m), api, m);
                scan(found, self + ": method " + signature(m), api, m.getGenericReturnType());
            }
        }
        List<String> lines = new ArrayList<>();
        found.forEach((where, names) -> names.forEach(n -> lines.add(where + " names " + n)));
        return lines;
    }

    private static boolean visible(Member m) {
        int mods = m.getModifiers();
        return !m.isSynthetic() && (Modifier.isPublic(mods) || Modifier.isProtected(mods));
    }

    private static String signature(Executable e) {
        String name = e instanceof Constructor ? e.getDeclaringClass().getSimpleName() : e.getName();
        return name + Stream.of(e.getParameterTypes()).map(Class::getTypeName).collect(Collectors.joining(", ", "(", ")"));
    }

    private static void scanExecutable(Map<String, Set<String>> found, String where, Set<String> api, Executable e) {
        scan(found, where, api, e.getTypeParameters());
        scan(found, where, api, e.getGenericParameterTypes());
        scan(found, where, api, e.getGenericExceptionTypes());
    }

    private static void scan(Map<String, Set<String>> found, String where, Set<String> api, Type... types) {
        Set<TypeVariable<?>> seen = new HashSet<>();
        Set<String> names = found.computeIfAbsent(where, k -> new TreeSet<>());
        for (Type t : types) {
            walk(t, api, seen, names);
        }
        if (found.get(where).isEmpty()) {
            found.remove(where);
        }
    }

    /** Every class a type mentions: itself, its type arguments, bounds, owners and array components. */
    private static void walk(Type t, Set<String> api, Set<TypeVariable<?>> seen, Set<String> out) {
        if (t instanceof Class<?> c) {
            if (c.isArray()) {
                walk(c.getComponentType(), api, seen, out);
            } else if (c.getName().startsWith("io.pgdock.")) {
                if (!api.contains(c.getPackageName())) {
                    out.add("non-exported type " + c.getName());
                } else if (!isApi(c)) {
                    out.add("non-public type " + c.getName());
                }
            }
        } else if (t instanceof ParameterizedType p) {
            walk(p.getRawType(), api, seen, out);
            if (p.getOwnerType() != null) {
                walk(p.getOwnerType(), api, seen, out);
            }
            for (Type a : p.getActualTypeArguments()) {
                walk(a, api, seen, out);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                walk(b, api, seen, out);
            }
            for (Type b : w.getLowerBounds()) {
                walk(b, api, seen, out);
            }
        } else if (t instanceof TypeVariable<?> v) {
            if (seen.add(v)) {
                for (Type b : v.getBounds()) {
                    walk(b, api, seen, out);
                }
            }
        } else if (t instanceof GenericArrayType g) {
            walk(g.getGenericComponentType(), api, seen, out);
        }
    }

    /** A type that leaks on purpose, for {@link #theCheckNamesTheMemberAndTheType}. */
    public static final class Leaky {
        public static final Class<?> FINE = String.class;

        private Leaky() {
        }

        public static io.pgdock.core.internal.SqlFailures internal() {
            return null;
        }

        public static void byReason(List<? extends io.pgdock.core.internal.SqlFailures> failures) {
        }

        public static Hidden hidden() {
            return null;
        }

        static io.pgdock.core.internal.SqlFailures packagePrivateIsFine() {
            return null;
        }
    }

    /** Not public: API must not name it. */
    static final class Hidden {
        private Hidden() {
        }
    }
}
