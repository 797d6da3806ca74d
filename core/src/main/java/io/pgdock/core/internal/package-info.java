/**
 * Implementation shared between pgdock's modules. Not API: anything here may change in any release.
 */
package io.pgdock.core.internal;
