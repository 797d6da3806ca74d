package io.pgdock.spring;

import java.util.List;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * What Spring Boot's startup failure report says about a failure: the analyzers registered in
 * {@code META-INF/spring.factories} (as {@code SpringApplication} loads them), the first that knows the failure.
 *
 * @param description what went wrong
 * @param action what to do
 */
record Analysis(String description, String action) {
    static Analysis of(Throwable failure) {
        // Spring Boot's own analyzers take constructor arguments that SpringApplication passes; only pgdock's is needed.
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation().load(FailureAnalyzer.class,
                null, SpringFactoriesLoader.FailureHandler.handleMessage((message, e) -> { }));
        FailureAnalyzer pgdock = analyzers.stream()
                .filter(a -> a.getClass().getName().equals("io.pgdock.spring.PgdockFailureAnalyzer")).findFirst()
                .orElseThrow(() -> new AssertionError("pgdock's FailureAnalyzer is not registered: " + analyzers));
        FailureAnalysis analysis = pgdock.analyze(failure);
        if (analysis == null) {
            throw new AssertionError("pgdock's FailureAnalyzer does not know this failure", failure);
        }
        return new Analysis(analysis.getDescription(), analysis.getAction());
    }
}
