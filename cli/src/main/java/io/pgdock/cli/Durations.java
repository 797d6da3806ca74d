package io.pgdock.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.TypeConversionException;

/** Parses durations on the command line: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or ISO-8601 {@code PT5S}. */
final class Durations {

    private static final Pattern SHORT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    /** The longest duration taken: a year is more than any timeout needs, and far from overflowing nanoseconds. */
    static final Duration MAX = Duration.ofDays(365);

    private Durations() {
    }

    static Duration parse(String text) {
        Matcher m = SHORT.matcher(text.strip());
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } else {
            try {
                d = Duration.parse(text.strip());
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not a duration (examples: 500ms, 5s, 2m, 1h, PT5S)");
            }
        }
        if (d.isNegative() || d.isZero()) {
            throw new TypeConversionException("'" + text + "' is not a positive duration");
        }
        if (d.compareTo(MAX) > 0) {
            throw new TypeConversionException("'" + text + "' is too long (at most " + MAX.toHours() + "h)");
        }
        return d;
    }

    static String show(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
