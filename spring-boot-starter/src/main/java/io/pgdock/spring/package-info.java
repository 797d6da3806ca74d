/**
 * Spring Boot auto-configuration for pgdock: {@link io.pgdock.core.Storage}, {@link io.pgdock.config.ConfigStore} and
 * {@link io.pgdock.datasource.DataSourceFactory} beans from {@code pgdock.*} properties, on Spring Boot 3.5 and 4.0.
 *
 * <p>Nothing here is called by application code: add the starter and inject the beans.
 *
 * <p>With {@code pgdock.property-source.enabled=true} the config store is also a live property source
 * ({@link io.pgdock.spring.ConfigStorePropertySource}): application code may then mark beans
 * {@link io.pgdock.spring.RefreshOnConfigChange} and listen for {@link io.pgdock.spring.ConfigStoreChangedEvent} and
 * {@link io.pgdock.spring.ConfigStoreWatchEvent}.
 */
@NullMarked
package io.pgdock.spring;

import org.jspecify.annotations.NullMarked;
