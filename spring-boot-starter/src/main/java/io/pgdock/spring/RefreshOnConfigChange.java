package io.pgdock.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a singleton bean whose {@code @Value} fields and {@code @Value} setters are set again when the config store's
 * properties change ({@link ConfigStorePropertySource}), without a restart:
 *
 * <pre>{@code
 * @Component
 * @RefreshOnConfigChange
 * class Throttle {
 *     @Value("${ingest.rate:100}")
 *     volatile int rate;                       // volatile: written by the refresh thread, read by yours
 * }
 * }</pre>
 *
 * <p>After each batch of changes, every {@code @Value} field of the bean (its class and superclasses) and every
 * {@code @Value} method with one parameter is resolved again, as Spring resolved it when it made the bean (placeholders,
 * SpEL, conversion); a field is written and a setter called only when the value differs from the one it has. The
 * values of one bean are all resolved before any is set: if one cannot be resolved (a value that no longer converts),
 * the bean keeps all its values and the failure is logged (without the value) and named in the
 * {@link ConfigStoreChangedEvent}. Fields and setters are set from pgdock's refresh thread: make the fields
 * {@code volatile}, or read them under a lock the setter takes.
 *
 * <p>Not refreshed: constructor parameters (a bean made through its constructor keeps them; listen for
 * {@link ConfigStoreChangedEvent} instead), beans of other scopes than singleton (a prototype is made with the values of
 * its time), and {@code @Autowired} members, which are not injected again.
 * {@code @ConfigurationProperties} beans need no annotation: they are bound again whenever a property under their
 * prefix changes.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface RefreshOnConfigChange {
}
