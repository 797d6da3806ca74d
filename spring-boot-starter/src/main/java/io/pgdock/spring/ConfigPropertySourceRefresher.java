package io.pgdock.spring;

import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.spring.ConfigPropertyReader.KeyProperties;
import io.pgdock.spring.ConfigStorePropertySource.Change;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.beans.factory.annotation.BeanFactoryAnnotationUtils;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.config.DependencyDescriptor;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.BindConstructorProvider;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.bind.handler.IgnoreErrorsBindHandler;
import org.springframework.boot.context.properties.bind.handler.IgnoreTopLevelConverterNotFoundBindHandler;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.bind.validation.ValidationBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.UnboundElementsSourceFilter;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.converter.Converter;
import org.springframework.core.convert.converter.GenericConverter;
import org.springframework.format.Formatter;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * Keeps the {@link ConfigStorePropertySource} in step with the store and the application in step with it: the store's
 * watch hands changes here; a refresh thread reads the changed keys, updates the source, binds the affected
 * {@code @ConfigurationProperties} beans again, sets the {@code @Value} members of {@link RefreshOnConfigChange} beans
 * again, and publishes a {@link ConfigStoreChangedEvent}. Gaps of the watch mark the source and are published as
 * {@link ConfigStoreWatchEvent}s.
 *
 * <p><b>Concurrency.</b> The watch's delivery thread only records the changed keys ({@code pending}, guarded by
 * {@code lock}) and schedules one drain; all reading, updating and refreshing runs on the single refresh thread, so
 * changes are applied one batch at a time, in order. The initial read (in {@link #start}) and the drains hold
 * {@code updating}, so a change that arrives while the first read is under way is applied after it. Until the context
 * has been refreshed, changes only update the source (beans bind the new values as they are made) and the names are
 * kept, to refresh the beans made before them once the context is ready. {@link #close()} stops the watch, then lets
 * the refresh thread finish (at most 10 s).
 */
final class ConfigPropertySourceRefresher implements ConfigListener, ApplicationListener<ApplicationEvent>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStorePropertySource.class);
    /** Beyond this many keys in one batch, all keys are read again at once (one list) instead of one by one. */
    private static final int READ_ALL_ABOVE = 64;

    private final ConfigurableApplicationContext context;
    private final ConfigPropertyReader reader;
    private final Clock clock;
    private final Object lock = new Object();
    private final Object updating = new Object();
    private final ScheduledExecutorService refreshThread;
    private int failures;                                           // refresh thread only: retries in a row
    private final Map<String, Refreshable> refreshables = new ConcurrentHashMap<>();
    private final Set<String> constructorBoundWarned = ConcurrentHashMap.newKeySet();
    private @Nullable ConfigStorePropertySource source;            // set once by start
    private @Nullable ConfigSubscription subscription;             // set once by start
    private Map<String, ConfigEvent> pending = new LinkedHashMap<>();   // guarded by lock
    private boolean drainScheduled;                                 // guarded by lock
    private final Set<String> changedBeforeStart = new TreeSet<>(); // refresh thread only
    private final Set<String> keysChangedBeforeStart = new TreeSet<>();
    private volatile @Nullable Thread refreshing;
    private volatile boolean started;
    private volatile boolean closed;

    private ConfigPropertySourceRefresher(ConfigurableApplicationContext context, ConfigPropertyReader reader, Clock clock) {
        this.context = context;
        this.reader = reader;
        this.clock = clock;
        this.refreshThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgdock-property-source");
            t.setDaemon(true);
            refreshing = t;
            return t;
        });
    }

    /**
     * Starts watching, reads every key, and returns the refresher with its {@link #source()}, which the caller puts in
     * the environment. Watching starts first, so no change made during the read is missed.
     */
    static ConfigPropertySourceRefresher start(ConfigurableApplicationContext context, ConfigPropertyReader reader,
            Clock clock) {
        ConfigPropertySourceRefresher refresher = new ConfigPropertySourceRefresher(context, reader, clock);
        try {
            synchronized (refresher.updating) {
                refresher.subscription = reader.view().watch(reader.prefix(), refresher);
                refresher.source = new ConfigStorePropertySource(reader.view(), reader.prefix(), reader.readAll());
            }
            return refresher;
        } catch (RuntimeException | Error e) {
            refresher.close();
            throw e;
        }
    }

    ConfigStorePropertySource source() {
        return Objects.requireNonNull(source, "source");
    }

    /** The post-processor that records {@link RefreshOnConfigChange} singletons as they are made. */
    BeanPostProcessor postProcessor() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                Class<?> type = ClassUtils.getUserClass(bean);
                if (AnnotatedElementUtils.hasAnnotation(type, RefreshOnConfigChange.class)) {
                    register(bean, beanName, type);
                }
                return bean;
            }
        };
    }

    // --- the watch's thread ---

    @Override
    public void onChange(ConfigEvent event) {
        synchronized (lock) {
            pending.put(event.key(), event);
            if (drainScheduled || closed) {
                return;
            }
            drainScheduled = true;
        }
        submit(this::drain);
    }

    @Override
    public void onGap(Exception cause) {
        String problem = describe(cause);
        ConfigStorePropertySource s = source;
        if (s != null) {
            s.watchInterrupted(problem, clock.instant());
        }
        if (closed) {
            return;
        }
        LOG.warn("pgdock.property-source: the config store's watch stopped delivering changes ({}); properties keep "
                + "their last values until it reconnects and catches up", problem);
        submit(() -> publish(false, problem));
    }

    @Override
    public void onCaughtUp() {
        ConfigStorePropertySource s = source;
        if (s != null) {
            s.watchResumed();
        }
        if (closed) {
            return;
        }
        LOG.info("pgdock.property-source: the config store's watch is delivering changes again");
        submit(() -> publish(true, null));
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private void submit(Runnable task) {
        try {
            refreshThread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    if (!closed) {
                        LOG.error("pgdock.property-source: refreshing failed ({}); the next change tries again",
                                e.getClass().getName(), e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    // --- the context's events ---

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ContextRefreshedEvent refreshed && refreshed.getApplicationContext() == context) {
            started = true;
            submit(() -> {
                if (!changedBeforeStart.isEmpty()) {
                    Change change = new Change(Set.copyOf(changedBeforeStart), Set.copyOf(keysChangedBeforeStart));
                    changedBeforeStart.clear();
                    keysChangedBeforeStart.clear();
                    refresh(change);
                }
            });
        } else if (event instanceof ContextClosedEvent closing && closing.getApplicationContext() == context) {
            close();
        }
    }

    // --- the refresh thread ---

    private void drain() {
        Map<String, ConfigEvent> batch;
        synchronized (lock) {
            batch = pending;
            pending = new LinkedHashMap<>();
            drainScheduled = false;
        }
        if (batch.isEmpty() || closed) {
            return;
        }
        Change change;
        Map<String, ConfigEvent> failed = new LinkedHashMap<>();
        synchronized (updating) {
            ConfigStorePropertySource s = source();
            if (batch.size() > READ_ALL_ABOVE) {
                Map<String, @Nullable KeyProperties> all;
                try {
                    all = new LinkedHashMap<>(reader.readAll());
                } catch (RuntimeException e) {
                    LOG.error("pgdock.property-source: {} changed keys could not be read ({}); their properties keep "
                            + "their previous values until a retry succeeds", batch.size(), describe(e));
                    all = null;
                    failed.putAll(batch);
                }
                change = all == null ? new Change(Set.of(), Set.of()) : s.update(all, true);
            } else {
                Map<String, @Nullable KeyProperties> updates = new LinkedHashMap<>();
                batch.forEach((key, event) -> {
                    try {
                        updates.put(key, reader.read(key, event).orElse(null));
                    } catch (RuntimeException e) {
                        // A lost connection, or a secret without its key: the message names no value.
                        LOG.error("pgdock.property-source: key {} changed but could not be read ({}); its properties "
                                + "keep their previous values until a retry succeeds", key, describe(e));
                        failed.put(key, event);
                    }
                });
                change = s.update(updates, false);
            }
            s.unread(failed.keySet(), batch.keySet());
        }
        retry(failed);
        if (change.isEmpty()) {
            return;
        }
        LOG.info("pgdock.property-source: {} config key(s) changed: {}", change.keys().size(), change.keys());
        if (!started) {
            changedBeforeStart.addAll(change.propertyNames());
            keysChangedBeforeStart.addAll(change.keys());
            return;
        }
        refresh(change);
    }

    /**
     * Reads keys that failed again later, 1 s after the first failure, doubling up to 30 s while they keep failing. A
     * newer change of a key that arrived meanwhile is kept.
     */
    private void retry(Map<String, ConfigEvent> failed) {
        if (failed.isEmpty()) {
            failures = 0;
            return;
        }
        long delayMillis = Math.min(30_000L, 1_000L << Math.min(failures, 5));
        failures++;
        synchronized (lock) {
            failed.forEach(pending::putIfAbsent);
            if (drainScheduled || closed) {
                return;
            }
            drainScheduled = true;
        }
        try {
            // The task logs its own failures (submit), so the future has nothing to tell.
            var unused = refreshThread.schedule(() -> submit(this::drain), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    private void refresh(Change change) {
        if (closed) {
            return;
        }
        Set<String> refreshed = new TreeSet<>();
        Map<String, String> failures = new TreeMap<>();
        rebindConfigurationProperties(change.propertyNames(), refreshed, failures);
        refreshables.forEach((name, bean) -> bean.refresh(name, refreshed, failures));
        if (!closed) {
            context.publishEvent(new ConfigStoreChangedEvent(source(), change.propertyNames(), change.keys(), refreshed,
                    failures));
        }
    }

    private void publish(boolean live, @Nullable String problem) {
        if (started && !closed) {
            context.publishEvent(new ConfigStoreWatchEvent(source(), live, problem));
        }
    }

    // --- @ConfigurationProperties ---

    private void rebindConfigurationProperties(Set<String> names, Set<String> refreshed, Map<String, String> failures) {
        List<ConfigurationPropertyName> changed = new ArrayList<>();
        for (String name : names) {
            changed.add(ConfigurationPropertyName.adapt(name, '.'));
        }
        Binder binder = null;
        for (ConfigurationPropertiesBean bean : ConfigurationPropertiesBean.getAll(context).values()) {
            ConfigurationProperties annotation = bean.getAnnotation();
            String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
            if (!affected(prefix, changed)) {
                continue;
            }
            Bindable<?> target = bean.asBindTarget();
            if (target.getBindMethod() == BindMethod.VALUE_OBJECT) {
                if (constructorBoundWarned.add(bean.getName())) {
                    LOG.warn("pgdock.property-source: @ConfigurationProperties bean '{}' (prefix {}) is bound through "
                            + "its constructor and keeps its values until a restart; listen for ConfigStoreChangedEvent "
                            + "to react to changes under its prefix", bean.getName(), prefix);
                }
                continue;
            }
            if (binder == null) {
                binder = binder();
            }
            String failure = rebind(binder, bean, prefix, target);
            if (failure == null) {
                refreshed.add(bean.getName());
            } else {
                failures.put(bean.getName(), failure);
                LOG.error("pgdock.property-source: @ConfigurationProperties bean '{}' (prefix {}) could not be bound "
                        + "again and keeps its previous values: {}", bean.getName(), prefix, failure);
            }
        }
    }

    private static boolean affected(String prefix, List<ConfigurationPropertyName> changed) {
        ConfigurationPropertyName root = ConfigurationPropertyName.of(prefix);
        for (ConfigurationPropertyName name : changed) {
            if (root.isEmpty() || root.equals(name) || root.isAncestorOf(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Binds a JavaBean-style bean again, in place. When its class can be made with no arguments, a fresh instance is
     * bound first, so that a value that does not bind leaves the bean untouched rather than half bound.
     *
     * @return null, or what failed (without values)
     */
    private @Nullable String rebind(Binder binder, ConfigurationPropertiesBean bean, String prefix, Bindable<?> target) {
        Object instance = bean.getInstance();
        BindHandler handler = handler(bean.getAnnotation(), target, instance, bean.getName());
        try {
            Class<?> type = ClassUtils.getUserClass(instance);
            Constructor<?> noArgs = noArgsConstructor(type);
            if (noArgs != null) {
                Object fresh = BeanUtils.instantiateClass(noArgs);
                binder.bind(prefix, withValue(type, fresh).withAnnotations(target.getAnnotations()), handler);
            }
            binder.bind(prefix, target, handler);
            return null;
        } catch (org.springframework.boot.context.properties.bind.BindException e) {
            return "property " + e.getName() + " (" + rootCauseType(e) + ")";
        } catch (RuntimeException e) {
            return e.getClass().getName();
        }
    }

    private static <T> Bindable<T> withValue(Class<T> type, Object value) {
        return Bindable.of(type).withExistingValue(type.cast(value));
    }

    private static @Nullable Constructor<?> noArgsConstructor(Class<?> type) {
        if (type.isMemberClass() && !Modifier.isStatic(type.getModifiers())) {
            return null;
        }
        try {
            return type.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static String rootCauseType(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName();
    }

    /** The handlers Spring Boot binds the bean with: unknown and invalid fields as annotated, and validation. */
    private BindHandler handler(ConfigurationProperties annotation, Bindable<?> target, Object instance, String beanName) {
        BindHandler handler = new IgnoreTopLevelConverterNotFoundBindHandler();
        if (annotation.ignoreInvalidFields()) {
            handler = new IgnoreErrorsBindHandler(handler);
        }
        if (!annotation.ignoreUnknownFields()) {
            handler = new NoUnboundElementsBindHandler(handler, new UnboundElementsSourceFilter());
        }
        List<Validator> validators = new ArrayList<>();
        ConfigurableListableBeanFactory beans = context.getBeanFactory();
        if (target.getAnnotation(Validated.class) != null
                || AnnotatedElementUtils.hasAnnotation(instance.getClass(), Validated.class)) {
            if (beans.containsBean("configurationPropertiesValidator")) {
                validators.add(beans.getBean("configurationPropertiesValidator", Validator.class));
            }
            Validator shared = beans.getBeanProvider(Validator.class).getIfUnique();
            if (shared != null && !validators.contains(shared)) {
                validators.add(shared);
            }
            if (validators.isEmpty()) {
                LOG.warn("pgdock.property-source: @Validated bean '{}' is bound again without validation: the context "
                        + "has no Validator bean (add spring-boot-starter-validation)", beanName);
            }
        }
        if (instance instanceof Validator self) {
            validators.add(self);
        }
        if (!validators.isEmpty()) {
            handler = new ValidationBindHandler(handler, validators.toArray(Validator[]::new));
        }
        return handler;
    }

    /** A binder over the environment with the conversions Spring Boot binds {@code @ConfigurationProperties} with. */
    private Binder binder() {
        ConfigurableListableBeanFactory beans = context.getBeanFactory();
        List<ConversionService> conversions = new ArrayList<>();
        if (beans.containsBean(ConfigurableApplicationContext.CONVERSION_SERVICE_BEAN_NAME)) {
            conversions.add(beans.getBean(ConfigurableApplicationContext.CONVERSION_SERVICE_BEAN_NAME,
                    ConversionService.class));
        } else {
            ApplicationConversionService qualified = new ApplicationConversionService();
            boolean any = false;
            for (Object c : qualifiedBeans(beans, Converter.class)) {
                qualified.addConverter((Converter<?, ?>) c);
                any = true;
            }
            for (Object c : qualifiedBeans(beans, GenericConverter.class)) {
                qualified.addConverter((GenericConverter) c);
                any = true;
            }
            for (Object f : qualifiedBeans(beans, Formatter.class)) {
                qualified.addFormatter((Formatter<?>) f);
                any = true;
            }
            if (any) {
                conversions.add(qualified);
            }
            conversions.add(ApplicationConversionService.getSharedInstance());
        }
        return new Binder(ConfigurationPropertySources.get(context.getEnvironment()),
                new PropertySourcesPlaceholdersResolver(context.getEnvironment()), conversions,
                beans::copyRegisteredEditorsTo, BindHandler.DEFAULT, BindConstructorProvider.DEFAULT);
    }

    /** The beans of {@code type} qualified {@code @ConfigurationPropertiesBinding}, as Spring Boot binds with. */
    private static List<Object> qualifiedBeans(ConfigurableListableBeanFactory beans, Class<?> type) {
        return new ArrayList<>(BeanFactoryAnnotationUtils.qualifiedBeansOfType(beans, type,
                ConfigurationPropertiesBinding.VALUE).values());
    }

    // --- @RefreshOnConfigChange ---

    private void register(Object bean, String beanName, Class<?> type) {
        ConfigurableListableBeanFactory beans = context.getBeanFactory();
        if (beans.containsBeanDefinition(beanName) && !beans.getMergedBeanDefinition(beanName).isSingleton()) {
            LOG.warn("pgdock.property-source: bean '{}' has @RefreshOnConfigChange but is not a singleton; its @Value "
                    + "members are set when it is made and not refreshed", beanName);
            return;
        }
        if (BeanFactoryUtils.isGeneratedBeanName(beanName) || beanName.isEmpty()) {
            return;
        }
        refreshables.put(beanName, new Refreshable(bean, type, beanName));
    }

    /** One {@link RefreshOnConfigChange} bean and its {@code @Value} members. */
    private final class Refreshable {
        private final Object bean;
        private final List<Field> fields = new ArrayList<>();
        private final List<Method> setters = new ArrayList<>();
        private final Map<Method, @Nullable Object> lastSet = new HashMap<>();

        Refreshable(Object bean, Class<?> type, String beanName) {
            this.bean = bean;
            ReflectionUtils.doWithFields(type, fields::add, f -> !Modifier.isStatic(f.getModifiers())
                    && !Modifier.isFinal(f.getModifiers()) && AnnotatedElementUtils.hasAnnotation(f, Value.class));
            ReflectionUtils.doWithMethods(type, setters::add, m -> !Modifier.isStatic(m.getModifiers()) && !m.isBridge()
                    && m.getParameterCount() == 1 && AnnotatedElementUtils.hasAnnotation(m, Value.class));
            for (Method m : setters) {
                try {
                    lastSet.put(m, resolve(new DependencyDescriptor(new MethodParameter(m, 0), true), beanName));
                } catch (RuntimeException e) {
                    lastSet.put(m, null);   // it was injected, so it resolves; if not now, the first refresh sets it
                }
            }
        }

        void refresh(String beanName, Set<String> refreshed, Map<String, String> failures) {
            Map<Field, @Nullable Object> fieldValues = new LinkedHashMap<>();
            Map<Method, @Nullable Object> setterValues = new LinkedHashMap<>();
            String member = null;
            try {
                for (Field f : fields) {
                    member = f.getName();
                    DependencyDescriptor d = new DependencyDescriptor(f, true);
                    d.setContainingClass(ClassUtils.getUserClass(bean));
                    fieldValues.put(f, resolve(d, beanName));
                }
                for (Method m : setters) {
                    member = m.getName() + "(..)";
                    setterValues.put(m, resolve(new DependencyDescriptor(new MethodParameter(m, 0), true), beanName));
                }
            } catch (RuntimeException e) {
                String failure = "@Value " + member + " (" + rootCauseType(e) + ")";
                failures.put(beanName, failure);
                LOG.error("pgdock.property-source: bean '{}' keeps its previous @Value values: {} could not be resolved",
                        beanName, failure);
                return;
            }
            boolean changed = false;
            try {
                for (Map.Entry<Field, @Nullable Object> e : fieldValues.entrySet()) {
                    Field f = e.getKey();
                    ReflectionUtils.makeAccessible(f);
                    if (!Objects.equals(ReflectionUtils.getField(f, bean), e.getValue())) {
                        member = f.getName();
                        ReflectionUtils.setField(f, bean, e.getValue());
                        changed = true;
                    }
                }
                for (Map.Entry<Method, @Nullable Object> e : setterValues.entrySet()) {
                    Method m = e.getKey();
                    if (!Objects.equals(lastSet.get(m), e.getValue())) {
                        member = m.getName() + "(..)";
                        ReflectionUtils.makeAccessible(m);
                        m.invoke(bean, e.getValue());
                        lastSet.put(m, e.getValue());
                        changed = true;
                    }
                }
            } catch (InvocationTargetException | IllegalAccessException | RuntimeException e) {
                Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
                String failure = "@Value " + member + " (" + cause.getClass().getSimpleName() + ")";
                failures.put(beanName, failure);
                LOG.error("pgdock.property-source: bean '{}' could not be refreshed: {}", beanName, failure);
                return;
            }
            if (changed) {
                refreshed.add(beanName);
            }
        }

        private @Nullable Object resolve(DependencyDescriptor descriptor, String beanName) {
            ConfigurableListableBeanFactory beans = context.getBeanFactory();
            return beans.resolveDependency(descriptor, beanName, null, beans.getTypeConverter());
        }
    }

    // --- lifecycle ---

    /** Stops the watch and the refresh thread. Idempotent; called when the context closes, before the storage is. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        ConfigSubscription s = subscription;
        if (s != null) {
            s.close();
        }
        refreshThread.shutdown();
        if (Thread.currentThread() == refreshing) {
            return;   // closed from a listener of our own event: the thread ends after this task
        }
        try {
            if (!refreshThread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("pgdock.property-source: the refresh thread did not finish within 10 s; interrupting it");
                refreshThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            refreshThread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ConfigPropertySourceRefresher[" + source + (closed ? ", closed" : "") + "]";
    }
}
