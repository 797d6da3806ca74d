package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rendersABarThatFitsTheWidth() {
        Progress p = new Progress(err, true, 40, "entries");
        assertThat(p.line(0, 200)).isEqualTo("[" + ".".repeat(18) + "]   0% 0/200 entries");
        assertThat(p.line(100, 200)).isEqualTo("[" + "#".repeat(8) + ".".repeat(8) + "]  50% 100/200 entries");
        assertThat(p.line(200, 200)).isEqualTo("[" + "#".repeat(16) + "] 100% 200/200 entries");
        assertThat(p.line(250, 200)).isEqualTo(p.line(200, 200));
        assertThat(p.line(7, -1)).isEqualTo("entries 7");
        for (int done = 0; done <= 200; done += 7) {   // one column is left for the cursor
            assertThat(p.line(done, 200)).hasSizeLessThanOrEqualTo(39);
        }
        assertThat(new Progress(err, true, 20, "bytes").line(123_456, 1_000_000)).isEqualTo("12% 123456/1000000");
    }

    @Test
    void drawsInPlaceAndClearsOnClose() {
        try (Progress p = new Progress(err, true, 40, "entries")) {
            p.update(1, 2);
            p.update(1, 2);   // the same line is not drawn again
            p.update(2, 2);
        }
        String bar1 = "[" + "#".repeat(10) + ".".repeat(10) + "]  50% 1/2 entries";
        String bar2 = "[" + "#".repeat(20) + "] 100% 2/2 entries";
        assertThat(written()).isEqualTo("\r" + bar1 + "\r" + bar2 + "\r" + " ".repeat(bar2.length()) + "\r");
    }

    @Test
    void writesNothingWhenNotATerminal() {
        try (Progress p = new Progress(err, false, 80, "entries")) {
            p.update(1, 2);
            p.update(2, 2);
        }
        assertThat(written()).isEmpty();
    }
}
