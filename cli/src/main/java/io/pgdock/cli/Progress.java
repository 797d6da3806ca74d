package io.pgdock.cli;

import io.pgdock.core.Ticker;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place with {@code \r}, for long exports and imports: the bar, the
 * percentage and counts, and once a rate is known (after half a second) the rate and the time left, e.g.
 * {@code [#####.....]  50% 10000/20000 keys 2.5k/s    4s left}; the bar keeps its width while the numbers change
 * (columns are kept for them). It draws only on a terminal: when stderr is a file or a
 * pipe (scripts, CI, tests) it writes nothing at all, so the output stays clean. It redraws at most ten times a second
 * (and always for the last item), measuring time with the {@link Ticker} it is given, so a test can drive it without
 * sleeping. {@link #line(long, long)} renders a line without drawing it, for tests.
 *
 * <p><b>Thread safety.</b> Not thread-safe: one command drives it from one thread.
 */
final class Progress implements AutoCloseable {

    /** How long after the start a rate is first shown: earlier ones swing too much to mean anything. */
    static final long RATE_AFTER_NANOS = 500_000_000L;
    /** The shortest time between two redraws. */
    static final long REDRAW_NANOS = 100_000_000L;

    /** The columns kept for the rate ({@code " 2.5k/s"}) and the time left ({@code " 2m05s left"}). */
    private static final int SPEED_WIDTH = 7;
    private static final int LEFT_WIDTH = 11;

    private final PrintStream err;
    private final boolean enabled;
    private final int width;
    private final String label;
    private final Ticker ticker;
    private long start;
    private boolean started;
    private String shown = "";
    private long drawnAt;

    /**
     * @param err where to draw
     * @param enabled false when stderr is not a terminal, or with {@code --no-progress}: nothing is written
     * @param width the terminal's width in columns (at least 20)
     * @param label what is counted, for example {@code "entries"} or {@code "bytes"}
     * @param ticker what the rate and the time left are measured with, from the first update (or line)
     */
    Progress(PrintStream err, boolean enabled, int width, String label, Ticker ticker) {
        this.err = err;
        this.enabled = enabled;
        this.width = Math.max(20, width);
        this.label = label;
        this.ticker = ticker;
    }

    /** The width of the terminal from {@code COLUMNS}, else 80. */
    static int width(java.util.Map<String, String> env) {
        try {
            return Integer.parseInt(env.getOrDefault("COLUMNS", "80").strip());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /**
     * Shows that {@code done} of {@code total} are done; redraws only when the line changes, and at most every
     * {@value #REDRAW_NANOS} ns unless this is the last item.
     *
     * @param total the total, or a negative number when it is not known (a count is shown, no bar)
     */
    void update(long done, long total) {
        if (!enabled) {
            return;
        }
        long now = ticker.read();
        boolean last = total >= 0 && done >= total;
        if (!shown.isEmpty() && !last && now - drawnAt < REDRAW_NANOS) {
            return;
        }
        String line = line(done, total, now);
        if (!line.equals(shown)) {
            err.print('\r' + line + (line.length() < shown.length() ? " ".repeat(shown.length() - line.length()) : ""));
            err.flush();
            shown = line;
            drawnAt = now;
        }
    }

    /**
     * The line for {@code done} of {@code total} now (by the ticker), at most {@code width - 1} characters (the
     * cursor needs a column).
     */
    String line(long done, long total) {
        return line(done, total, ticker.read());
    }

    private String line(long done, long total, long now) {
        if (!started) {
            start = now;
            started = true;
        }
        long elapsed = now - start;
        long clamped = total < 0 ? Math.max(done, 0) : Math.min(Math.max(done, 0), total);
        // Per second, from the start; none before RATE_AFTER_NANOS or before the first item.
        double rate = elapsed >= RATE_AFTER_NANOS && clamped > 0 ? clamped * 1e9 / elapsed : -1;
        if (total < 0) {
            return fit(label + " " + clamped + (rate < 0 ? "" : " " + amount(rate) + "/s"));
        }
        int percent = total == 0 ? 100 : (int) (clamped * 100 / total);
        // The count padded to the total's width, the rate and the time left to theirs, so the bar keeps its width.
        String counts = String.format(Locale.ROOT, " %3d%% %" + Long.toString(total).length() + "d/%d %s", percent,
                clamped, total, label);
        String speed = rate < 0 ? "" : String.format(Locale.ROOT, " %4s/s", amount(rate));
        String left = rate <= 0 || clamped >= total ? ""
                : String.format(Locale.ROOT, " %5s left", duration((long) Math.ceil((total - clamped) / rate)));
        // What fits, in order: everything; without the time left; without the rate too; the counts alone.
        int[] reserved = {SPEED_WIDTH + LEFT_WIDTH, SPEED_WIDTH, 0};
        for (int level = 0; level < reserved.length; level++) {
            int barWidth = width - 1 - counts.length() - reserved[level] - 2;
            if (barWidth >= 5) {
                int filled = total == 0 ? barWidth : (int) (clamped * barWidth / total);
                return "[" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "]" + counts
                        + (level <= 1 ? speed : "") + (level == 0 ? left : "");
            }
        }
        return fit(String.format(Locale.ROOT, "%d%% %d/%d %s", percent, clamped, total, label));
    }

    /** A count per second, short: {@code 950}, {@code 2.5k}, {@code 12k}, {@code 1.3M}. */
    static String amount(double perSecond) {
        if (perSecond < 1_000) {
            return perSecond < 10 ? String.format(Locale.ROOT, "%.1f", perSecond)
                    : Long.toString(Math.round(perSecond));
        }
        double value = perSecond < 1_000_000 ? perSecond / 1_000 : perSecond / 1_000_000;
        String unit = perSecond < 1_000_000 ? "k" : "M";
        return (value < 10 ? String.format(Locale.ROOT, "%.1f", value) : Long.toString(Math.round(value))) + unit;
    }

    /** Seconds as {@code 45s}, {@code 2m05s} or {@code 1h02m}. */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }

    private String fit(String s) {
        return s.length() < width ? s : s.substring(0, width - 1).strip();
    }

    /** Clears the line, so that what follows starts in the first column. */
    @Override
    public void close() {
        if (enabled && !shown.isEmpty()) {
            err.print('\r' + " ".repeat(shown.length()) + '\r');
            err.flush();
            shown = "";
        }
    }
}
