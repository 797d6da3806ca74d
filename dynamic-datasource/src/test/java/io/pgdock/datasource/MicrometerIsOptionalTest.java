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
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Micrometer is an optional dependency: only io.pgdock.datasource.micrometer may need it. */
class MicrometerIsOptionalTest {
    private static final String MICROMETER_PACKAGE = "io/pgdock/datasource/micrometer/";

    /**
     * A class's constant pool holds, as text, the internal name of every class it refers to ({@code io/micrometer/...}),
     * so a class that uses Micrometer in any way contains that text.
     */
    @Test
    void noClassOutsideTheMicrometerPackageRefersToMicrometer() throws Exception {
        Path classes = Path.of(DataSourceFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(classes).as("the module's compiled classes").isDirectory();

        Map<Boolean, List<String>> referring;
        try (Stream<Path> files = Files.walk(classes)) {
            referring = files.filter(f -> f.toString().endsWith(".class"))
                    .collect(Collectors.partitioningBy(f -> refersToMicrometer(f),
                            Collectors.mapping(f -> classes.relativize(f).toString().replace(File.separatorChar, '/'),
                                    Collectors.toList())));
        }

        assertThat(referring.get(true)).as("classes referring to io.micrometer")
                .isNotEmpty()
                .allSatisfy(name -> assertThat(name).startsWith(MICROMETER_PACKAGE));
        assertThat(referring.get(false)).as("classes free of Micrometer").contains(
                "io/pgdock/datasource/PooledDataSourceFactory.class", "io/pgdock/datasource/FactoryEvent.class");
    }

    /** The factory runs in a class loader that has everything on the test class path except Micrometer. */
    @Test
    void aFactoryWorksWithoutMicrometerOnTheClassPath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
            if (!entry.isEmpty() && !Path.of(entry).getFileName().toString().startsWith("micrometer-")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Function<String, Class<?>> load = name -> {
                try {
                    return Class.forName(name, true, loader);
                } catch (ClassNotFoundException e) {
                    throw new AssertionError(name + " is not on the class path", e);
                }
            };
            assertThatThrownBy(() -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"))
                    .as("Micrometer is really absent").isInstanceOf(ClassNotFoundException.class)
                    .hasMessage("io.micrometer.core.instrument.MeterRegistry");

            Class<?> factoryType = load.apply("io.pgdock.datasource.DataSourceFactory");
            Class<?> optionsType = load.apply("io.pgdock.datasource.FactoryOptions");
            Class<?> specType = load.apply("io.pgdock.core.ConnectionSpec");
            Object spec = specType.getMethod("parse", String.class).invoke(null, "postgresql://app@127.0.0.1:5432/app");
            Object factory = factoryType.getMethod("pooled", optionsType)
                    .invoke(null, optionsType.getMethod("defaults").invoke(null));
            try {
                // A pool is made, lazily, without a connection.
                assertThat(factoryType.getMethod("get", specType).invoke(factory, spec)).isNotNull();
                assertThat((List<?>) factoryType.getMethod("targets").invoke(factory)).hasSize(1);
            } finally {
                Method close = factoryType.getMethod("close");
                close.invoke(factory);
            }
        }
    }

    private static boolean refersToMicrometer(Path classFile) {
        try {
            String text = new String(Files.readAllBytes(classFile), ISO_8859_1);
            return text.contains("io/micrometer") || text.contains("io.micrometer");
        } catch (IOException e) {
            throw new AssertionError("cannot read " + classFile, e);
        }
    }
}
