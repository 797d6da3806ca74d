/** Runnable examples of pgdock: the demo pipeline and how to test pipelines. */
package io.pgdock.examples;
