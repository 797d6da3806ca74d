/** JMH benchmarks of pgdock, each measured beside a baseline in the same run; see BENCHMARKS.md. */
@NullMarked
package io.pgdock.benchmarks;

import org.jspecify.annotations.NullMarked;
