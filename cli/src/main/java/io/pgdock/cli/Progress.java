package io.pgdock.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place with {@code \r}, for long exports and imports. It draws only on
 * a terminal: when stderr is a file or a pipe (scripts, CI, tests) it writes nothing at all, so the output stays clean.
 * {@link #line(long, long)} renders a line without drawing it, for tests.
 *
 * <p><b>Thread safety.</b> Not thread-safe: one command drives it from one thread.
 */
final class Progress implements AutoCloseable {

    private final PrintStream err;
    private final boolean enabled;
    private final int width;
    private final String label;
    private String shown = "";

    /**
     * @param err where to draw
     * @param enabled false when stderr is not a terminal, or with {@code --no-progress}: nothing is written
     * @param width the terminal's width in columns (at least 20)
     * @param label what is counted, for example {@code "entries"} or {@code "bytes"}
     */
    Progress(PrintStream err, boolean enabled, int width, String label) {
        this.err = err;
        this.enabled = enabled;
        this.width = Math.max(20, width);
        this.label = label;
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
     * Shows that {@code done} of {@code total} are done; redraws only when the line changes.
     *
     * @param total the total, or a negative number when it is not known (a count is shown, no bar)
     */
    void update(long done, long total) {
        if (!enabled) {
            return;
        }
        String line = line(done, total);
        if (!line.equals(shown)) {
            err.print('\r' + line);
            err.flush();
            shown = line;
        }
    }

    /** The line for {@code done} of {@code total}, at most {@code width - 1} characters (the cursor needs a column). */
    String line(long done, long total) {
        if (total < 0) {
            return fit(label + " " + done);
        }
        long clamped = Math.min(Math.max(done, 0), total);
        int percent = total == 0 ? 100 : (int) (clamped * 100 / total);
        String counts = String.format(Locale.ROOT, " %3d%% %d/%d %s", percent, clamped, total, label);
        int barWidth = width - 1 - counts.length() - 2;
        if (barWidth < 5) {
            return fit(counts.strip());
        }
        int filled = total == 0 ? barWidth : (int) (clamped * barWidth / total);
        return "[" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "]" + counts;
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
