package io.pgdock.testing;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * What a fixture does when a real component that a test needs, such as the {@code pgbouncer} binary, is missing. On a
 * developer's machine the test is skipped, and the reason says what to install. In CI, when the environment variable
 * {@value #CI_VARIABLE} is {@code true} (GitHub Actions, GitLab CI and most others set it), the test fails instead: the
 * project's own CI files install or start every component its tests need, so a missing one is a broken build, not a
 * test to skip.
 *
 * <p>Stateless; thread-safe.
 */
final class Prerequisites {

    /** The environment variable that marks a CI run when it is {@code true}, in any case: {@value}. */
    static final String CI_VARIABLE = "CI";

    private Prerequisites() {
    }

    /** Whether {@value #CI_VARIABLE} is {@code true} (ignoring case and surrounding blanks) in the environment. */
    static boolean inCi(Map<String, String> env) {
        return Optional.ofNullable(env.get(CI_VARIABLE)).map(v -> v.strip().toLowerCase(Locale.ROOT))
                .filter("true"::equals).isPresent();
    }

    /**
     * Returns if the component is present; otherwise aborts the calling test, which JUnit reports as skipped, or, in CI,
     * throws.
     *
     * @param component what is missing, for example {@code "PgBouncer"}
     * @param missing why it is missing (where it was looked for), or empty if it is present
     * @param howToInstall what to do about it, as a clause: "install the Debian package pgbouncer ..."
     * @param env the environment, usually {@code System.getenv()}
     * @throws org.opentest4j.TestAbortedException if the component is missing outside CI
     * @throws TestPostgresException if the component is missing and {@value #CI_VARIABLE} is {@code true}
     */
    static void assumePresent(String component, Optional<String> missing, String howToInstall,
            Map<String, String> env) {
        if (missing.isEmpty()) {
            return;
        }
        if (inCi(env)) {
            throw new TestPostgresException(component + " is not available: " + missing.get() + ". This is a CI run ("
                    + CI_VARIABLE + "=" + env.get(CI_VARIABLE) + "), where a test that needs " + component
                    + " fails rather than being skipped; the CI script must " + howToInstall, null);
        }
        Assumptions.assumeTrue(false, () -> component + " is not available, so this test is skipped: "
                + missing.get() + ". To run it, " + howToInstall);
    }
}
