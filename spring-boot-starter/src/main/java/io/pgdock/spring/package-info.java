/**
 * Spring Boot auto-configuration for pgdock: {@link io.pgdock.core.Storage}, {@link io.pgdock.config.ConfigStore} and
 * {@link io.pgdock.datasource.DataSourceFactory} beans from {@code pgdock.*} properties, on Spring Boot 3.5 and 4.0.
 *
 * <p>Nothing here is called by application code: add the starter and inject the beans.
 */
@NullMarked
package io.pgdock.spring;

import org.jspecify.annotations.NullMarked;
