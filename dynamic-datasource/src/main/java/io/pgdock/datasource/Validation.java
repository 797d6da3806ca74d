package io.pgdock.datasource;

import io.pgdock.core.internal.Shown;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/** Argument checks shared by this package's builders. */
final class Validation {
    static final Pattern TARGET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");

    private Validation() {
    }

    static int atLeast(String field, int value, int minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(field + " must be at least " + minimum + ", but was " + value);
        }
        return value;
    }

    static Duration atLeast(String field, Duration value, Duration minimum) {
        Objects.requireNonNull(value, field);
        if (value.compareTo(minimum) < 0) {
            throw new IllegalArgumentException(field + " must be at least " + minimum + ", but was " + value);
        }
        return value;
    }

    static String notBlank(String field, String value) {
        Objects.requireNonNull(value, field);
        if (value.isBlank() || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " must be non-blank text without NUL, but was " + Shown.show(value));
        }
        return value;
    }
}
