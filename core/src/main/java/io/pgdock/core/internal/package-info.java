/**
 * Implementation shared between pgdock's modules. Not API: anything here may change in any release.
 */
@NullMarked
package io.pgdock.core.internal;

import org.jspecify.annotations.NullMarked;
