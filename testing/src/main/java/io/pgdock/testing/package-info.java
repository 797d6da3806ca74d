/**
 * A real PostgreSQL for every test: a JUnit 5 extension that gives each test class a fresh database on one server per JVM.
 */
package io.pgdock.testing;
