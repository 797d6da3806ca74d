package io.pgdock.spring;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.context.ApplicationContext;

/**
 * Reads the actuator's health endpoint on either Spring Boot line (3.5: {@code org.springframework.boot.actuate.health},
 * 4.0: {@code org.springframework.boot.health.actuate.endpoint}), whose types differ but whose shape does not: the
 * endpoint bean {@code healthEndpoint} has {@code healthForPath(String...)}, and what it returns has
 * {@code getStatus().getCode()} and {@code getDetails()} (an indicator) or {@code getComponents()} (a composite).
 */
final class Actuator {
    private Actuator() {
    }

    /**
     * The health of one path as the endpoint answers it.
     *
     * @param context the application
     * @param path for example {@code "pgdock", "storage"}
     * @return {@code status} and {@code details} or {@code components} (each such a map), or null if the path is unknown
     */
    static Map<String, Object> health(ApplicationContext context, String... path) {
        Object endpoint = context.getBean("healthEndpoint");
        Object health = call(endpoint, "healthForPath", new Class<?>[] {String[].class}, (Object) path);
        if (health == null) {
            throw new AssertionError("the health endpoint knows no " + String.join("/", path));
        }
        return describe(health);
    }

    /** @return the status code of a path, e.g. {@code UP} */
    static String status(ApplicationContext context, String... path) {
        return (String) health(context, path).get("status");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> describe(Object health) {
        Map<String, Object> out = new LinkedHashMap<>();
        Object status = call(health, "getStatus", new Class<?>[0]);
        out.put("status", call(status, "getCode", new Class<?>[0]));
        if (hasMethod(health, "getComponents")) {
            Map<String, Object> components = new LinkedHashMap<>();
            ((Map<String, Object>) call(health, "getComponents", new Class<?>[0]))
                    .forEach((name, part) -> components.put(name, describe(part)));
            out.put("components", components);
        }
        if (hasMethod(health, "getDetails")) {
            Object details = call(health, "getDetails", new Class<?>[0]);
            if (details != null) {
                out.put("details", details);
            }
        }
        return out;
    }

    private static boolean hasMethod(Object target, String name) {
        try {
            target.getClass().getMethod(name);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static Object call(Object target, String name, Class<?>[] types, Object... args) {
        try {
            Method m = target.getClass().getMethod(name, types);
            m.setAccessible(true);
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(name + " failed", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no " + name + " on " + target.getClass().getName(), e);
        }
    }
}
