/**
 * pgdock's core: where to connect ({@link io.pgdock.core.ConnectionSpec}) and the default storage resource.
 */
package io.pgdock.core;
