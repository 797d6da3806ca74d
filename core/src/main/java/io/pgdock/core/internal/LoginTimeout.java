package io.pgdock.core.internal;

import io.pgdock.core.ConnectionSpec;
import java.time.Duration;
import java.util.Objects;

/**
 * How long a login may take, all of it (TCP connect, TLS, authentication, the driver's first queries), and what to call
 * that limit in a message. Not API: shared by pgdock's modules.
 *
 * @param value the limit; zero for none
 * @param what what the limit is called in a message, for example {@code "connect timeout"}
 * @param setting where it is set, for a message, for example {@code "connectTimeout"}
 */
public record LoginTimeout(Duration value, String what, String setting) {
    /** The connect timeout of a spec that sets none: 10 s, pgjdbc's own default for {@code connectTimeout}. */
    public static final Duration DEFAULT = Duration.ofSeconds(10);

    /**
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public LoginTimeout {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(setting, "setting");
        if (value.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, but was " + value);
        }
    }

    /**
     * The spec's {@code connectTimeout}, or {@link #DEFAULT} when it sets none.
     *
     * @param spec the spec
     * @return the timeout
     */
    public static LoginTimeout of(ConnectionSpec spec) {
        return of(spec, DEFAULT, "the default; set connectTimeout to change it");
    }

    /**
     * The spec's {@code connectTimeout}, or {@code fallback} when it sets none.
     *
     * @param spec the spec
     * @param fallback the timeout for a spec that sets none
     * @param fallbackSetting where the fallback is set, for messages, for example {@code "FactoryOptions.connectTimeout"}
     * @return the timeout
     */
    public static LoginTimeout of(ConnectionSpec spec, Duration fallback, String fallbackSetting) {
        return spec.connectTimeout().map(d -> new LoginTimeout(d, "connect timeout", "connectTimeout"))
                .orElseGet(() -> new LoginTimeout(fallback, "connect timeout", fallbackSetting));
    }

    /**
     * Whether there is no limit (a spec's {@code connectTimeout} of zero).
     *
     * @return true for no limit
     */
    public boolean unlimited() {
        return value.isZero();
    }

    /**
     * The limit in whole seconds, rounded up: pgjdbc's unit.
     *
     * @return the seconds; 0 for no limit
     */
    public long seconds() {
        return (value.toMillis() + 999) / 1000;
    }

    /**
     * For messages: {@code the connect timeout of 5 s (connectTimeout)}.
     *
     * @return the description
     */
    public String describe() {
        return "the " + what + " of " + show(value) + " (" + setting + ")";
    }

    /** A duration as people write it: {@code 5 s}, {@code 1.5 s}, {@code 250 ms}. */
    static String show(Duration d) {
        long millis = d.toMillis();
        if (millis < 1000) {
            return millis + " ms";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + " s";
        }
        return java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + " s";
    }
}
