/** JMH benchmarks of pgdock, each measured beside a baseline in the same run; see BENCHMARKS.md. */
package io.pgdock.benchmarks;
