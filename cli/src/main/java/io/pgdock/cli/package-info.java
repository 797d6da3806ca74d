/**
 * The {@code pgdock} ops command line. {@link io.pgdock.cli.PgdockCli} is its entry point (the runnable jar's main
 * class, and {@code execute} for running it in a process of one's own); everything else is package-private.
 * {@code cli/README.md} documents the commands, their JSON output and exit codes.
 */
@NullMarked
package io.pgdock.cli;

import org.jspecify.annotations.NullMarked;
