package io.pgdock.spring;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/** An application with every auto-configuration on the class path, as {@code @SpringBootApplication} has. */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
class TestApp {
}
