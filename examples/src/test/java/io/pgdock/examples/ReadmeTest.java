package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Keeps the READMEs' examples identical to the code the build compiles and {@link ReadmeExampleTest} runs. */
class ReadmeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void readmeShowsExactlyTheCompiledExample() throws IOException {
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/ReadmeExample.java",
                "readme-example");
    }

    @Test
    void theConsumerProjectRunsTheReadmeExampleVerbatim() throws IOException {
        assertShowsCompiled("README.md", "consumer/src/main/java/org/example/pipeline/ReadmeExample.java",
                "readme-example");
    }

    /** The consumer projects (consumer/run) use the README's Maven section verbatim, or without the BOM only. */
    @Test
    void readmeMavenSectionIsWhatTheConsumerProjectsUse() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String shown = between(between(readme, "<!-- readme-maven: begin", "<!-- readme-maven: end -->"), "```xml\n",
                "```");
        for (String pom : List.of("consumer/pom.xml", "consumer/modular/pom.xml")) {
            String section = between(Files.readString(ROOT.resolve(pom)), "<!-- readme-maven: begin -->\n",
                    "<!-- readme-maven: end -->");
            assertThat(dedent(section).stripTrailing() + "\n").as("%s between its readme-maven markers", pom)
                    .isEqualTo(shown);
        }

        String version = between(shown, "<artifactId>pgdock-bom</artifactId>\n", "</version>").strip()
                .substring("<version>".length());
        String withoutBom = shown.replaceAll("(?s)<dependencyManagement>.*</dependencyManagement>\n\n", "")
                .replaceAll("( *)(<artifactId>pgdock-[a-z-]+</artifactId>\n)", "$1$2$1<version>" + version
                        + "</version>\n");
        String section = between(Files.readString(ROOT.resolve("consumer/without-bom/pom.xml")),
                "<!-- readme-maven-without-bom: begin", "<!-- readme-maven-without-bom: end -->");
        section = section.substring(section.indexOf('\n') + 1);
        assertThat(dedent(section).stripTrailing() + "\n")
                .as("consumer/without-bom/pom.xml: the README's section without the BOM, a version on each pgdock"
                        + " artifact")
                .isEqualTo(withoutBom);
    }

    @Test
    void readmeShowsExactlyTheCompiledApplicationDataSourceExample() throws IOException {
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/ApplicationDataSourceExample.java",
                "app-datasource-example");
    }

    @Test
    void readmeShowsExactlyTheCompiledConnectionRegistryExample() throws IOException {
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/ConnectionRegistryExample.java",
                "connections-example");
    }

    @Test
    void readmeShowsExactlyTheCompiledEnvironmentOverridesExample() throws IOException {
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/EnvironmentOverridesExample.java",
                "env-overrides-example");
    }

    @Test
    void readmeShowsExactlyTheCompiledPgBouncerExample() throws IOException {
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/PgBouncerExample.java",
                "pgbouncer-example");
    }

    @Test
    void readmeShowsExactlyTheCompiledPipelineTest() throws IOException {
        assertShowsCompiled("README.md", "examples/src/test/java/io/pgdock/examples/CardTransactionsPipelineTest.java",
                "pipeline-test-fakes");
        assertShowsCompiled("README.md", "examples/src/test/java/io/pgdock/examples/CardTransactionsPipelineTest.java",
                "pipeline-test-example");
    }

    @Test
    void readmeShowsExactlyTheCompiledSpringBatchExample() throws IOException {
        assertShowsCompiled("README.md", "examples/src/test/java/io/pgdock/examples/CardTransactionsBatchJobTest.java",
                "spring-batch-open");
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/CardTransactionsBatchJob.java",
                "spring-batch-repository");
        assertShowsCompiled("README.md", "examples/src/main/java/io/pgdock/examples/CardTransactionsBatchJob.java",
                "spring-batch-step");
    }

    @Test
    void readmeShowsExactlyTheCompiledWaitExample() throws IOException {
        assertShowsCompiled("README.md", "testing/src/test/java/io/pgdock/testing/WaitTest.java", "wait-example");
    }

    @Test
    void dynamicDatasourceReadmeShowsExactlyTheCompiledExamples() throws IOException {
        assertShowsCompiled("dynamic-datasource/README.md",
                "examples/src/main/java/io/pgdock/examples/DynamicConnectionsExample.java", "datasource-example");
        assertShowsCompiled("dynamic-datasource/README.md",
                "dynamic-datasource/src/test/java/io/pgdock/datasource/micrometer/MicrometerReadmeTest.java",
                "micrometer-example");
    }

    @Test
    void jsonbConfigReadmeShowsExactlyTheCompiledExamples() throws IOException {
        assertShowsCompiled("jsonb-config/README.md",
                "examples/src/main/java/io/pgdock/examples/ConfigPatchExportExample.java", "config-patch-example");
        assertShowsCompiled("jsonb-config/README.md",
                "examples/src/main/java/io/pgdock/examples/ConfigPatchExportExample.java", "config-export-example");
    }

    /** The README's block between {@code <!-- marker: begin} and {@code <!-- marker: end -->} is the source's. */
    private static void assertShowsCompiled(String readmePath, String sourcePath, String marker) throws IOException {
        String source = Files.readString(ROOT.resolve(sourcePath));
        String readme = Files.readString(ROOT.resolve(readmePath));

        String block = between(source, "// " + marker + ": begin\n", "// " + marker + ": end");
        String compiled = dedent(block.substring(0, block.lastIndexOf('\n') + 1)).stripTrailing() + "\n";
        String shown = between(readme, "<!-- " + marker + ": begin", "<!-- " + marker + ": end -->");
        shown = between(shown, "```java\n", "```");

        assertThat(shown).as("%s shows %s of %s", readmePath, marker, sourcePath).isEqualTo(compiled);
    }

    @Test
    void readmeNamesTheTwoCommandsThatCiRuns() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        assertThat(readme).contains("./mvnw -q -DskipTests -Pexample package").contains("./mvnw verify");
        assertThat(ci).contains("./mvnw \"${mvn_flags[@]}\" verify")
                .contains("./mvnw \"${mvn_flags[@]}\" -q -DskipTests -Pexample package");
        assertThat(readme).contains("\nconsumer/run\n");
        assertThat(ci).contains("\nconsumer/run\n");
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        assertThat(from).as("marker %s", start).isNotNegative();
        from += start.length();
        int to = text.indexOf(end, from);
        assertThat(to).as("marker %s", end).isNotNegative();
        return text.substring(from, to);
    }

    private static String dedent(String block) {
        List<String> lines = Arrays.asList(block.split("\n", -1));
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.length() >= indent ? l.substring(indent) : l.strip())
                .collect(Collectors.joining("\n"));
    }
}
