package io.pgdock.datasource;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The configuration store (pgdock-jsonb-config) is an optional dependency: only io.pgdock.datasource.registry may need
 * it, so a factory whose names come from the environment or a map runs without it.
 */
class ConfigStoreIsOptionalTest {
    private static final String REGISTRY_PACKAGE = "io/pgdock/datasource/registry/";

    /** A class that uses the config store names {@code io/pgdock/config/...} in its constant pool. */
    @Test
    void noClassOutsideTheRegistryPackageRefersToTheConfigStore() throws Exception {
        Path classes = Path.of(DataSourceFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(classes).as("the module's compiled classes").isDirectory();

        Map<Boolean, List<String>> referring;
        try (Stream<Path> files = Files.walk(classes)) {
            referring = files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .collect(Collectors.partitioningBy(ConfigStoreIsOptionalTest::refersToConfig,
                            Collectors.mapping(f -> classes.relativize(f).toString().replace(File.separatorChar, '/'),
                                    Collectors.toList())));
        }

        assertThat(referring.get(true)).as("classes referring to io.pgdock.config")
                .isNotEmpty()
                .allSatisfy(name -> assertThat(name).startsWith(REGISTRY_PACKAGE));
        assertThat(referring.get(false)).as("classes free of the config store").contains(
                "io/pgdock/datasource/PooledDataSourceFactory.class", "io/pgdock/datasource/TargetResolver.class");
    }

    /** A factory over the environment runs in a class loader that has no pgdock-jsonb-config. */
    @Test
    void aFactoryWorksWithoutTheConfigStoreOnTheClassPath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
            Path path = Path.of(entry);
            boolean config = (path.getFileName() != null
                    && path.getFileName().toString().startsWith("pgdock-jsonb-config"))
                    || path.endsWith(Path.of("jsonb-config", "target", "classes"));
            if (!entry.isEmpty() && !config) {
                urls.add(path.toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> loader.loadClass("io.pgdock.config.ConfigStore"))
                    .as("the config store is really absent").isInstanceOf(ClassNotFoundException.class);

            Class<?> factoryType = Class.forName("io.pgdock.datasource.DataSourceFactory", true, loader);
            Class<?> optionsType = Class.forName("io.pgdock.datasource.FactoryOptions", true, loader);
            Class<?> resolverType = Class.forName("io.pgdock.datasource.TargetResolver", true, loader);
            Object resolver = resolverType.getMethod("environment", Map.class)
                    .invoke(null, Map.of("PGDOCK_TARGET_WAREHOUSE_URL", "postgresql://app@127.0.0.1:5432/app"));
            assertThat((Optional<?>) resolverType.getMethod("resolve", String.class).invoke(resolver, "warehouse"))
                    .isPresent();
            Object builder = optionsType.getMethod("builder").invoke(null);
            builder.getClass().getMethod("resolver", resolverType).invoke(builder, resolver);
            Object options = builder.getClass().getMethod("build").invoke(builder);
            Object factory = factoryType.getMethod("pooled", optionsType).invoke(null, options);
            try {
                // A pool is made, lazily, without a connection.
                assertThat(factoryType.getMethod("get", String.class).invoke(factory, "warehouse")).isNotNull();
            } finally {
                Method close = factoryType.getMethod("close");
                close.invoke(factory);
            }
        }
    }

    private static boolean refersToConfig(Path classFile) {
        try {
            String text = new String(Files.readAllBytes(classFile), ISO_8859_1);
            return text.contains("io/pgdock/config/") || text.contains("io.pgdock.config.");
        } catch (IOException e) {
            throw new AssertionError("cannot read " + classFile, e);
        }
    }
}
