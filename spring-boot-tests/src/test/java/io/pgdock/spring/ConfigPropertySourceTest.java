package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigStore;
import io.pgdock.config.Secret;
import io.pgdock.core.Storage;
import io.pgdock.testing.Wait;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.autoconfigure.context.properties.ConfigurationPropertiesReportEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.env.EnvironmentEndpointAutoConfiguration;
import org.springframework.boot.actuate.context.properties.ConfigurationPropertiesReportEndpoint;
import org.springframework.boot.actuate.env.EnvironmentEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/** The config store as a property source, in contexts made by an {@link ApplicationContextRunner}. */
class ConfigPropertySourceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    static ConfigStoreDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = new ConfigStoreDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static ApplicationContextRunner runner(String scope, String... more) {
        return new ApplicationContextRunner()
                .withInitializer(new ConfigPropertySourceInitializer())
                .withConfiguration(AutoConfigurations.of(PgdockAutoConfiguration.class,
                        ConfigPropertySourceAutoConfiguration.class))
                .withUserConfiguration(Beans.class)
                .withPropertyValues(db.properties(scope, "ingest.", more));
    }

    @Test
    void readsTheKeysOfItsPrefixAndScopeAsPropertiesFlattenedAsYaml() {
        db.store.put("ingest.root_only", "from the root");
        db.store.put("ingest.batch_size", 1);
        ConfigStore read = db.store.inScope("read");
        read.put("ingest.batch_size", 5000);
        read.put("ingest.sources", List.of("a", "b"));
        read.putJson("ingest.db", "{\"url\": \"jdbc:postgresql://db/x\", \"pool\": {\"max\": 4}, \"ratio\": 1.5e1}");
        read.put("ingest.labels", Map.of("team.name", "data"));
        read.putJson("ingest.note", "null");
        read.put("other.value", 7);
        read.put("ingest.over", Map.of("x", 1, "y", 1));
        read.put("ingest.over.x", 2);
        runner("read").run(context -> {
            assertThat(context).hasNotFailed();
            ConfigurableEnvironment env = context.getEnvironment();
            assertThat(env.getProperty("ingest.batch_size")).as("the scope's value, over the root's").isEqualTo("5000");
            assertThat(env.getProperty("ingest.root_only")).as("a key only the root scope has").isEqualTo("from the root");
            assertThat(env.getProperty("ingest.sources[1]")).isEqualTo("b");
            assertThat(env.getProperty("ingest.db.pool.max")).isEqualTo("4");
            assertThat(env.getProperty("ingest.db.ratio")).as("plain notation").isEqualTo("15");
            assertThat(env.getProperty("ingest.labels[team.name]")).isEqualTo("data");
            assertThat(env.getProperty("ingest.note")).as("JSON null, as YAML's ~").isEqualTo("");
            assertThat(env.getProperty("other.value")).as("a key outside the prefix").isNull();
            assertThat(env.getProperty("ingest.over.x")).as("the longer key wins a shared name").isEqualTo("2");
            assertThat(env.getProperty("ingest.over.y")).isEqualTo("1");

            IngestProperties ingest = context.getBean(IngestProperties.class);
            assertThat(ingest.getBatchSize()).isEqualTo(5000);
            assertThat(ingest.getSources()).containsExactly("a", "b");
            assertThat(ingest.getDb().getUrl()).isEqualTo("jdbc:postgresql://db/x");
            assertThat(ingest.getDb().getPool()).containsEntry("max", "4");
            assertThat(ingest.getLabels()).containsEntry("team.name", "data");
            assertThat(context.getBean(ValueBean.class).batchSize).isEqualTo(5000);

            ConfigStorePropertySource source = (ConfigStorePropertySource) env.getPropertySources()
                    .get(ConfigStorePropertySource.NAME);
            assertThat(source.getOrigin("ingest.batch_size")).hasToString(
                    "config store key \"ingest.batch_size\" in scope \"read\", version 1");
            assertThat(source.getOrigin("ingest.root_only").toString()).contains("in scope \"\"");
        });
    }

    @Test
    void overridesApplicationPropertiesAndIsOverriddenBySystemProperties() {
        ConfigStore prec = db.store.inScope("prec");
        prec.put("ingest.batch_size", 5000);
        prec.put("ingest.mode", "store");
        Map<String, Object> file = Map.of("ingest.batch_size", "1", "ingest.only_in_file", "file");
        runner("prec")
                .withInitializer(c -> c.getEnvironment().getPropertySources()
                        .addLast(new MapPropertySource("Config resource 'class path resource [application.properties]'", file)))
                .withSystemProperties("ingest.mode=system")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ConfigurableEnvironment env = context.getEnvironment();
                    assertThat(env.getProperty("ingest.batch_size")).as("store over application.properties")
                            .isEqualTo("5000");
                    assertThat(env.getProperty("ingest.only_in_file")).isEqualTo("file");
                    assertThat(env.getProperty("ingest.mode")).as("system property over store").isEqualTo("system");
                    List<String> names = new ArrayList<>();
                    env.getPropertySources().forEach(s -> names.add(s.getName()));
                    assertThat(names.indexOf(ConfigStorePropertySource.NAME)).as("right below the environment variables in %s", names)
                            .isEqualTo(names.indexOf("systemEnvironment") + 1);
                });
    }

    @Test
    void isOffUnlessEnabled() {
        new ApplicationContextRunner()
                .withInitializer(new ConfigPropertySourceInitializer())
                .withConfiguration(AutoConfigurations.of(ConfigPropertySourceAutoConfiguration.class))
                .withPropertyValues("pgdock.url=jdbc:postgresql://127.0.0.1:1/nowhere")
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(ConfigStore.class).doesNotHaveBean(Storage.class);
                    assertThat(context.getEnvironment().getPropertySources().contains(ConfigStorePropertySource.NAME))
                            .isFalse();
                });
    }

    @Test
    void failsTheStartWhenTheStoreCannotBeRead() {
        runner("fail", "pgdock.property-source.prefix=bad prefix").run(context -> assertThat(context).hasFailed()
                .getFailure().hasMessageContaining("pgdock.property-source.enabled is true")
                .hasMessageContaining("prefix \"bad prefix\""));
        new ApplicationContextRunner()
                .withInitializer(new ConfigPropertySourceInitializer())
                .withPropertyValues("pgdock.property-source.enabled=true", "pgdock.url=jdbc:postgresql://127.0.0.1:1/x",
                        "pgdock.user=nobody", "pgdock.schema=app")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasMessageContaining("pgdock.property-source.enabled is true"));
    }

    @Test
    void itsStorageAndStoreAreTheApplicationsAndCloseWithTheContext() {
        db.store.inScope("beans").put("ingest.batch_size", 3);
        Storage[] storage = new Storage[1];
        runner("beans").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Storage.class).hasSingleBean(ConfigStore.class);
            assertThat(context.getBean(ConfigStore.class).scope()).isEqualTo("beans");
            assertThat(context.getBean(ConfigStore.class).get("ingest.batch_size", Integer.class)).contains(3);
            storage[0] = context.getBean(Storage.class);
            assertThat(context.getBean(ConfigPropertySourceInitializer.STORAGE_BEAN)).isSameAs(storage[0]);
        });
        assertThat(storage[0].isClosed()).as("the storage closed with the context").isTrue();
    }

    @Test
    void changesReachTheEnvironmentTheBeansAndAnEvent() {
        ConfigStore live = db.store.inScope("live");
        live.put("ingest.batch_size", 100);
        runner("live").run(context -> {
            assertThat(context).hasNotFailed();
            IngestProperties ingest = context.getBean(IngestProperties.class);
            ValueBean value = context.getBean(ValueBean.class);
            Events events = context.getBean(Events.class);
            assertThat(ingest.getBatchSize()).isEqualTo(100);

            live.put("ingest.batch_size", 200);
            live.put("ingest.sources", List.of("x"));
            Wait.until(TIMEOUT, () -> ingest.getBatchSize() == 200 && value.batchSize == 200 && value.fromSetter == 200
                    && ingest.getSources().equals(List.of("x")), () -> "the beans to see 200 and [x]: " + ingest.getBatchSize()
                    + ", " + value.batchSize + ", " + value.fromSetter + ", " + ingest.getSources());
            assertThat(context.getEnvironment().getProperty("ingest.batch_size")).isEqualTo("200");
            Wait.until(TIMEOUT, () -> events.changed.stream().anyMatch(e -> e.propertyNames().contains("ingest.sources[0]")),
                    () -> "an event naming ingest.sources[0]: " + events.changed);
            ConfigStoreChangedEvent first = events.changed.get(0);
            assertThat(first.propertyNames()).contains("ingest.batch_size");
            assertThat(first.keys()).contains("ingest.batch_size");
            assertThat(first.refreshedBeans()).as("%s", first).contains("valueBean")
                    .anyMatch(name -> name.contains("IngestProperties"));
            assertThat(first.affects("ingest")).isTrue();
            assertThat(first.affects("other")).isFalse();

            // A value that does not convert: the beans keep theirs, and the event says which failed and why, not the value.
            int before = events.changed.size();
            live.put("ingest.batch_size", "many");
            Wait.until(TIMEOUT, () -> events.changed.size() > before, "an event for the bad value");
            ConfigStoreChangedEvent bad = events.changed.get(events.changed.size() - 1);
            assertThat(bad.failures()).as("%s", bad).containsKey("valueBean")
                    .hasEntrySatisfying("valueBean", why -> assertThat(why).contains("batchSize").doesNotContain("many"));
            assertThat(bad.failures().keySet()).anyMatch(name -> name.contains("IngestProperties"));
            assertThat(bad.toString()).doesNotContain("many");
            assertThat(ingest.getBatchSize()).isEqualTo(200);
            assertThat(value.batchSize).isEqualTo(200);

            // Deleted in the scope: the root's value answers again.
            db.store.put("ingest.batch_size", 7);
            live.delete("ingest.batch_size");
            Wait.until(TIMEOUT, () -> value.batchSize == 7 && ingest.getBatchSize() == 7,
                    () -> "the root's 7 after the delete: " + value.batchSize + ", " + ingest.getBatchSize());
        });
        db.store.delete("ingest.batch_size");
    }

    @Test
    void secretsAreReadableButNeverShownByTheEnvAndConfigpropsEndpoints() {
        ConfigStore secret = db.store.inScope("secret");
        secret.putSecret("ingest.password", "hunter2");
        secret.put("ingest.db", Map.of("url", "jdbc:postgresql://db/x", "password", Secret.of("inner-pw")));
        secret.put("ingest.batch_size", 5);
        runner("secret", "management.endpoint.env.show-values=ALWAYS", "management.endpoint.configprops.show-values=ALWAYS",
                "management.endpoints.web.exposure.include=env,configprops")
                .withConfiguration(AutoConfigurations.of(EnvironmentEndpointAutoConfiguration.class,
                        ConfigurationPropertiesReportEndpointAutoConfiguration.class))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(EnvironmentEndpoint.class);
                    ValueBean value = context.getBean(ValueBean.class);
                    assertThat(value.password).as("@Value gets the decrypted value").isEqualTo("hunter2");
                    assertThat(context.getBean(IngestProperties.class).getDb().getPassword()).isEqualTo("inner-pw");

                    EnvironmentEndpoint env = context.getBean(EnvironmentEndpoint.class);
                    assertThat(env.environmentEntry("ingest.password").getProperty().getValue()).isEqualTo("******");
                    assertThat(env.environmentEntry("ingest.db.password").getProperty().getValue()).isEqualTo("******");
                    assertThat(env.environmentEntry("ingest.db.url").getProperty().getValue())
                            .as("a plain part of the same value").isEqualTo("jdbc:postgresql://db/x");
                    assertThat(env.environmentEntry("ingest.batch_size").getProperty().getValue()).isEqualTo("5");
                    String all = String.valueOf(descriptorText(env.environment("ingest.*")));
                    assertThat(all).contains("jdbc:postgresql://db/x").doesNotContain("hunter2").doesNotContain("inner-pw");

                    ConfigurationPropertiesReportEndpoint configprops = context.getBean(ConfigurationPropertiesReportEndpoint.class);
                    String props = String.valueOf(descriptorText(configprops.configurationPropertiesWithPrefix("ingest")));
                    assertThat(props).contains("jdbc:postgresql://db/x").doesNotContain("inner-pw");

                    ConfigStorePropertySource source = (ConfigStorePropertySource) context.getEnvironment()
                            .getPropertySources().get(ConfigStorePropertySource.NAME);
                    assertThat(source.isSecret("ingest.password")).isTrue();
                    assertThat(source.isSecret("ingest.db.url")).isFalse();
                    assertThat(source.toString()).doesNotContain("hunter2").contains("secrets=2");

                    Events events = context.getBean(Events.class);
                    secret.putSecret("ingest.password", "hunter3");
                    Wait.until(TIMEOUT, () -> "hunter3".equals(value.password), () -> "the new secret: " + value.password.length());
                    Wait.until(TIMEOUT, () -> !events.changed.isEmpty(), "the change event");
                    assertThat(events.changed.toString()).contains("ingest.password").doesNotContain("hunter");
                    assertThat(env.environmentEntry("ingest.password").getProperty().getValue()).isEqualTo("******");
                });
    }

    @Test
    void aWatchThatStopsSaysSoInEventsAndHealth() {
        db.store.inScope("gap").put("ingest.batch_size", 1);
        runner("gap").run(context -> {
            assertThat(context).hasNotFailed();
            Events events = context.getBean(Events.class);
            ConfigStorePropertySource source = (ConfigStorePropertySource) context.getEnvironment()
                    .getPropertySources().get(ConfigStorePropertySource.NAME);
            assertThat(health(context)).containsEntry("status", "UP").containsEntry("watch", "live");

            // Every session of the database is ended: the watch has a gap, says so, reconnects and says so.
            try (var c = db.database.adminDataSource().getConnection(); var s = c.createStatement()) {
                s.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database()"
                        + " and pid <> pg_backend_pid()");
            }
            Wait.until(TIMEOUT, () -> events.watch.stream().anyMatch(e -> !e.isLive())
                    && events.watch.get(events.watch.size() - 1).isLive(), () -> "an interruption, then live: " + events.watch);
            assertThat(events.watch.stream().filter(e -> !e.isLive()).findFirst().orElseThrow().problem()).isPresent();
            // The test's own pool may lend a terminated connection first: that write fails, and is tried again.
            Wait.until(TIMEOUT, () -> db.store.inScope("gap").put("ingest.batch_size", 2) != null, "the test's write");
            ValueBean value = context.getBean(ValueBean.class);
            Wait.until(TIMEOUT, () -> value.batchSize == 2, () -> "the change after the reconnect: " + value.batchSize);

            // The storage closed under it: the watch cannot come back, and health stays DOWN saying why.
            context.getBean(Storage.class).close();
            Wait.until(TIMEOUT, () -> !source.isWatchLive(), "the watch to report the closed storage");
            Map<String, Object> health = health(context);
            assertThat(health).containsEntry("status", "DOWN").containsEntry("watch", "interrupted");
            assertThat(String.valueOf(health.get("problem"))).contains("storage was closed");
            assertThat(health).containsKey("interruptedAt");
        });
    }

    /** The pgdockPropertySource health, status and details, through whichever line's HealthIndicator type. */
    private static Map<String, Object> health(ApplicationContext context) throws Exception {
        Object indicator = context.getBean("pgdockPropertySourceHealthIndicator");
        Method health = null;
        for (Class<?> i : indicator.getClass().getInterfaces()) {
            if (i.getSimpleName().equals("HealthIndicator")) {
                health = i.getMethod("health");
            }
        }
        Object result = health.invoke(indicator);
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("status", result.getClass().getMethod("getStatus").invoke(result).toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> details = (Map<String, Object>) result.getClass().getMethod("getDetails").invoke(result);
        all.putAll(details);
        return all;
    }

    /** An endpoint's answer as text, through its Jackson-friendly getters (reflection keeps this line-agnostic). */
    private static Object descriptorText(Object descriptor) throws Exception {
        if (descriptor == null || descriptor instanceof String || descriptor instanceof Number || descriptor instanceof Boolean) {
            return descriptor;
        }
        if (descriptor instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put(e.getKey(), descriptorText(e.getValue()));
            }
            return out;
        }
        if (descriptor instanceof Iterable<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object o : list) {
                out.add(descriptorText(o));
            }
            return out;
        }
        if (!descriptor.getClass().getName().startsWith("org.springframework.boot.actuate")) {
            return descriptor.toString();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Method m : descriptor.getClass().getMethods()) {
            if (m.getName().startsWith("get") && m.getParameterCount() == 0 && m.getDeclaringClass() != Object.class) {
                out.put(m.getName(), descriptorText(m.invoke(descriptor)));
            }
        }
        return out;
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(IngestProperties.class)
    static class Beans {
        @Bean
        ValueBean valueBean() {
            return new ValueBean();
        }

        @Bean
        Events events() {
            return new Events();
        }
    }

    /** A bean with @Value members that opts in to refreshing. */
    @RefreshOnConfigChange
    static class ValueBean {
        @Value("${ingest.batch_size:0}")
        volatile int batchSize;
        @Value("${ingest.password:none}")
        volatile String password;
        volatile int fromSetter;

        @Value("${ingest.batch_size:0}")
        void setFromSetter(int value) {
            this.fromSetter = value;
        }
    }

    /** Collects pgdock's events. */
    static class Events implements ApplicationListener<org.springframework.context.ApplicationEvent> {
        final List<ConfigStoreChangedEvent> changed = new CopyOnWriteArrayList<>();
        final List<ConfigStoreWatchEvent> watch = new CopyOnWriteArrayList<>();

        @Override
        public void onApplicationEvent(org.springframework.context.ApplicationEvent event) {
            if (event instanceof ConfigStoreChangedEvent e) {
                changed.add(e);
            } else if (event instanceof ConfigStoreWatchEvent e) {
                watch.add(e);
            }
        }
    }

    /** A JavaBean-style @ConfigurationProperties bean, bound again in place on changes. */
    @ConfigurationProperties("ingest")
    public static class IngestProperties {
        private int batchSize = 10;
        private List<String> sources = new ArrayList<>();
        private final Db db = new Db();
        private Map<String, String> labels = new LinkedHashMap<>();
        private String mode = "";
        private String rootOnly = "";
        private String onlyInFile = "";
        private String note = "";
        private String password = "";

        public int getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }

        public List<String> getSources() {
            return sources;
        }

        public void setSources(List<String> sources) {
            this.sources = sources;
        }

        public Db getDb() {
            return db;
        }

        public Map<String, String> getLabels() {
            return labels;
        }

        public void setLabels(Map<String, String> labels) {
            this.labels = labels;
        }

        public String getMode() {
            return mode;
        }

        public void setMode(String mode) {
            this.mode = mode;
        }

        public String getRootOnly() {
            return rootOnly;
        }

        public void setRootOnly(String rootOnly) {
            this.rootOnly = rootOnly;
        }

        public String getOnlyInFile() {
            return onlyInFile;
        }

        public void setOnlyInFile(String onlyInFile) {
            this.onlyInFile = onlyInFile;
        }

        public String getNote() {
            return note;
        }

        public void setNote(String note) {
            this.note = note;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        public static class Db {
            private String url = "";
            private String password = "";
            private double ratio;
            private Map<String, String> pool = new LinkedHashMap<>();

            public String getUrl() {
                return url;
            }

            public void setUrl(String url) {
                this.url = url;
            }

            public String getPassword() {
                return password;
            }

            public void setPassword(String password) {
                this.password = password;
            }

            public double getRatio() {
                return ratio;
            }

            public void setRatio(double ratio) {
                this.ratio = ratio;
            }

            public Map<String, String> getPool() {
                return pool;
            }

            public void setPool(Map<String, String> pool) {
                this.pool = pool;
            }
        }
    }
}
