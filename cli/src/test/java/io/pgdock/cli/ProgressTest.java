package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import io.pgdock.core.Ticker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress bar's lines, drawn and not, with a ticker advanced by hand (no sleeps). */
class ProgressTest {

    /** A ticker that stands still: no rate is ever known. */
    private static final Ticker STILL = () -> 0L;

    private final AtomicLong nanos = new AtomicLong();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rendersABarThatFitsTheWidth() {
        Progress p = new Progress(err, true, 40, "entries", STILL);
        // Columns are kept for the rate (none is known: the ticker stands still) and the count is padded, so the
        // bar keeps its width of 9.
        assertThat(p.line(0, 200)).isEqualTo("[" + ".".repeat(9) + "]   0%   0/200 entries");
        assertThat(p.line(100, 200)).isEqualTo("[" + "#".repeat(4) + ".".repeat(5) + "]  50% 100/200 entries");
        assertThat(p.line(200, 200)).isEqualTo("[" + "#".repeat(9) + "] 100% 200/200 entries");
        assertThat(p.line(250, 200)).isEqualTo(p.line(200, 200));
        assertThat(p.line(7, -1)).isEqualTo("entries 7");
        for (int done = 0; done <= 200; done += 7) {   // one column is left for the cursor
            assertThat(p.line(done, 200)).hasSizeLessThanOrEqualTo(39);
        }
        assertThat(new Progress(err, true, 20, "bytes", STILL).line(123_456, 1_000_000)).isEqualTo("12% 123456/1000000");
    }

    @Test
    void drawsInPlaceAndClearsOnClose() {
        try (Progress p = new Progress(err, true, 40, "entries", STILL)) {
            p.update(1, 2);
            p.update(1, 2);   // the same line is not drawn again
            p.update(2, 2);
        }
        String bar1 = "[" + "#".repeat(6) + ".".repeat(7) + "]  50% 1/2 entries";
        String bar2 = "[" + "#".repeat(13) + "] 100% 2/2 entries";
        assertThat(written()).isEqualTo("\r" + bar1 + "\r" + bar2 + "\r" + " ".repeat(bar2.length()) + "\r");
    }

    @Test
    void writesNothingWhenNotATerminal() {
        try (Progress p = new Progress(err, false, 80, "entries", nanos::get)) {
            p.update(1, 2);
            p.update(2, 2);
        }
        assertThat(written()).isEmpty();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void showsTheRateAndTheTimeLeftOnceHalfASecondHasPassed() {
        Progress p = new Progress(err, true, 80, "keys", nanos::get);
        assertThat(p.line(0, 20_000)).as("the first line starts the clock").endsWith("   0%     0/20000 keys");
        advance(Duration.ofMillis(400));
        assertThat(p.line(900, 20_000)).as("too early for a rate").endsWith("   4%   900/20000 keys");
        advance(Duration.ofMillis(3_600));   // 4 s since the start
        String line = p.line(10_000, 20_000);
        assertThat(line).as("10000 keys in 4 s: 2.5k/s, 10000 left: 4 s")
                .endsWith("  50% 10000/20000 keys 2.5k/s    4s left").hasSize(79).startsWith("[" + "#".repeat(18) + ".");
        advance(Duration.ofSeconds(4));
        assertThat(p.line(20_000, 20_000)).as("done: no time left").endsWith(" 100% 20000/20000 keys 2.5k/s");
        assertThat(p.line(20, 20_000)).as("slow: minutes left").endsWith("    20/20000 keys  2.5/s 2h13m left");
        assertThat(p.line(20, 20_000).indexOf(']')).as("the bar keeps its width").isEqualTo(line.indexOf(']'));

        Progress bytes = new Progress(err, true, 80, "bytes", nanos::get);
        bytes.line(0, -1);
        advance(Duration.ofSeconds(2));
        assertThat(bytes.line(3_000_000, -1)).as("no total: the count and the rate").isEqualTo("bytes 3000000 1.5M/s");
    }

    @Test
    void dropsTheTimeLeftThenTheRateWhenTheLineIsNarrow() {
        Progress p = new Progress(err, true, 40, "keys", nanos::get);
        p.line(0, 20_000);
        advance(Duration.ofSeconds(4));
        assertThat(p.line(10_000, 20_000)).as("40 columns: the rate fits, the time left does not")
                .isEqualTo("[####....]  50% 10000/20000 keys 2.5k/s");
        Progress narrow = new Progress(err, true, 36, "keys", nanos::get);
        narrow.line(0, 20_000);
        advance(Duration.ofSeconds(4));
        assertThat(narrow.line(10_000, 20_000)).isEqualTo("[#####......]  50% 10000/20000 keys");
    }

    @Test
    void redrawsAtMostTenTimesASecondButAlwaysTheLastItem() {
        try (Progress p = new Progress(err, true, 40, "keys", nanos::get)) {
            p.update(0, 1000);
            String first = written();
            for (int i = 1; i < 1000; i++) {
                p.update(i, 1000);   // no time passes: none of these is drawn
            }
            assertThat(written()).isEqualTo(first);
            advance(Duration.ofMillis(100));
            p.update(500, 1000);
            assertThat(written()).as("a tenth of a second later").isNotEqualTo(first).endsWith("500/1000 keys");
            String second = written();
            p.update(1000, 1000);
            assertThat(written()).as("the last item, at once").isNotEqualTo(second).endsWith("1000/1000 keys");
        }
    }

    @Test
    void amountsAndDurationsAreShort() {
        assertThat(Progress.amount(2.46)).isEqualTo("2.5");
        assertThat(Progress.amount(950)).isEqualTo("950");
        assertThat(Progress.amount(12_345)).isEqualTo("12k");
        assertThat(Progress.amount(1_250_000)).isEqualTo("1.3M");
        assertThat(Progress.duration(45)).isEqualTo("45s");
        assertThat(Progress.duration(125)).isEqualTo("2m05s");
        assertThat(Progress.duration(3_720)).isEqualTo("1h02m");
    }
}
